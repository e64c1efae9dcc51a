// Demo only: shows which gated categories have run so far. It reads the flags the gated
// elements set and nothing else; it sets no cookie and sends nothing.
(function () {
  function show() {
    var d = window.kelisimDemo || {};
    var out = document.querySelectorAll("[data-demo-flag]");
    for (var i = 0; i < out.length; i++) {
      var n = d[out[i].getAttribute("data-demo-flag")] || 0;
      out[i].textContent = n ? out[i].getAttribute("data-on") : out[i].getAttribute("data-off");
    }
  }
  window.addEventListener("kelisim:consent", function () { setTimeout(show, 0); });
  window.addEventListener("kelisim:change", function () { setTimeout(show, 0); });
  setInterval(show, 1000);
  show();
})();
