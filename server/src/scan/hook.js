// kelisim scan: injected into every document before its own scripts (Page.addScriptToEvaluateOnNewDocument).
// Wraps the ways a script stores something in the browser — the document.cookie setter,
// Storage.prototype.setItem, cookieStore.set — and reports each write's name and the script
// that made it (the first http(s) frame of the stack) to the scanner through a CDP binding.
// Values are never reported: the scanner needs names, not what a site stores about a visitor.
(function () {
  var send = window.__KELISIM_BINDING__;
  if (typeof send !== 'function') return;
  function frames() {
    var stack = String(new Error().stack || '').split('\n'), out = [];
    for (var i = 1; i < stack.length; i++) {
      var m = /(https?:\/\/[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(stack[i]);
      if (m) out.push({ url: m[1], line: +m[2] });
    }
    return out;
  }
  // The script running now: while a <script> runs for the first time it is
  // document.currentScript (which also tells a script Kelisim enabled: its data-category);
  // later (timers, events) only the stack knows.
  function caller() {
    var f = frames(), cs = document.currentScript;
    if (cs) {
      var url = cs.src || location.href.split('#')[0], line = null;
      for (var i = 0; i < f.length; i++) if (f[i].url === url) { line = f[i].line; break; }
      return { url: url, line: line, category: cs.getAttribute('data-category') };
    }
    return f[0] || null;
  }
  function report(kind, name, extra) {
    try {
      var c = caller();
      send(JSON.stringify({ kind: kind, name: String(name), page: location.href,
        url: c && c.url, line: c && c.line, category: c && c.category, attrs: extra || '' }));
    } catch (e) { /* the page must never notice the scanner */ }
  }
  var d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (d && d.set) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true, enumerable: d.enumerable,
      get: function () { return d.get.call(this); },
      set: function (v) {
        var s = String(v), eq = s.indexOf('='), semi = s.indexOf(';');
        var name = (eq < 0 || (semi >= 0 && semi < eq) ? '' : s.slice(0, eq)).trim();
        // Only the attributes (after the first `;`), lower-cased: never the value.
        var attrs = semi < 0 ? '' : s.slice(semi + 1).toLowerCase();
        report('cookie', name, attrs);
        return d.set.call(this, v);
      }
    });
  }
  var setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    var kind = 'local_storage';
    try { if (this === window.sessionStorage) kind = 'session_storage'; } catch (e) {}
    report(kind, k);
    return setItem.apply(this, arguments);
  };
  if (window.CookieStore && CookieStore.prototype.set) {
    var csSet = CookieStore.prototype.set;
    CookieStore.prototype.set = function (a) {
      report('cookie', a && typeof a === 'object' ? a.name : a, '');
      return csSet.apply(this, arguments);
    };
  }
})();
//# sourceURL=kelisim-scan-hook.js
