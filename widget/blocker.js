// The blocker (docs/auto-blocking.md): the trackers of a site's declared catalogue services,
// held back with no markup of the owner's. The server puts it into the loader
// (`http::assets::Loader::render`) only when a site it serves has such services, with their URL
// scope, consent days and URL patterns per category in __KELISIM_RULES__ ({site: [scope,
// consent_days, [[category, regexp source], …]]}); it runs first, synchronously, in the loader.
//
// It rewrites a tracker's <script src>, <iframe src> or <img src> into the gated form an owner
// would write by hand (`type="text/plain" data-category=… data-src=…`, W4) before the browser
// runs or loads it: set from a script (the `src` property or setAttribute, as install snippets,
// tag managers and document.createElement do), or written in the HTML (a MutationObserver sees
// each element the parser inserts before the parser runs it). The widget then runs it, once, in
// document order, when its category is granted — as it does every gated element. An element
// the widget itself brings back (data-kelisim-on), one of a category the visitor's decision
// grants, and every other URL are left alone.
(function (w, d, R) {
  // [scope, consent_days, [[category, regexp source], …]] of the page's site.
  var s = d.currentScript, site = R[s && s.getAttribute('data-site')];
  if (!site) return;
  var rx = site[2].map(function (r) { return [r[0], new RegExp(r[1])]; });
  // Whether the visitor's standing decision grants category `c` (the `kelisim` cookie, read as
  // the loader reads it: shared/src/cookie.rs). Read each time: a decision made on this page is
  // in the cookie before the widget brings the held elements back, so what a granted tracker
  // then loads itself (its pixels) goes through.
  function granted(c) {
    var m = d.cookie.match(/(?:^|;\s*)kelisim=([^;]*)/), p = m ? m[1].split('.') : [];
    return p.length == 7 && p[0] == '1' && p[4] == site[0] && Date.now() / 1000 - p[2] < site[1] * 86400 &&
      p[6].split('+').indexOf(c) >= 0;
  }
  var sa = w.Element.prototype.setAttribute;
  var TAGS = /^(SCRIPT|IFRAME|IMG)$/;
  function abs(u) {
    try { return new URL(u, d.baseURI).href; } catch (e) { return ''; }
  }
  // The element becomes a gated one of the category whose pattern `u` matches; false when none
  // does (or the widget is bringing it back).
  function hold(el, u) {
    if (el.hasAttribute('data-kelisim-on')) return false;
    for (var i = 0; i < rx.length; i++) {
      if (rx[i][1].test(u)) {
        if (granted(rx[i][0])) return false;
        sa.call(el, 'data-category', rx[i][0]);
        sa.call(el, 'data-src', u);
        if (el.tagName == 'SCRIPT') {
          if (el.type && el.type != 'text/plain') sa.call(el, 'data-type', el.type);
          el.type = 'text/plain';
        }
        return true;
      }
    }
    return false;
  }
  ['HTMLScriptElement', 'HTMLIFrameElement', 'HTMLImageElement'].forEach(function (n) {
    var P = w[n].prototype, o = Object.getOwnPropertyDescriptor(P, 'src');
    Object.defineProperty(P, 'src', {
      configurable: true, enumerable: o.enumerable, get: o.get,
      set: function (v) { hold(this, abs(v)) || o.set.call(this, v); }
    });
  });
  w.Element.prototype.setAttribute = function (n, v) {
    if (String(n).toLowerCase() == 'src' && TAGS.test(this.tagName) && hold(this, abs(v))) return;
    return sa.apply(this, arguments);
  };
  // Written in the HTML: seen as the parser inserts it, before a script is run.
  new MutationObserver(function (ms) {
    ms.forEach(function (m) {
      m.addedNodes.forEach(function (n) {
        if (n.nodeType != 1) return;
        var all = n.querySelectorAll('script[src],iframe[src],img[src]');
        [n].concat([].slice.call(all)).forEach(function (e) {
          if (TAGS.test(e.tagName) && e.hasAttribute('src') && hold(e, e.src)) {
            // An iframe has begun to load: it is sent to a blank page instead.
            e.tagName == 'IFRAME' ? sa.call(e, 'src', 'about:blank') : e.removeAttribute('src');
          }
        });
      });
    });
  }).observe(d.documentElement, { childList: true, subtree: true });
})(window, document, __KELISIM_RULES__)
