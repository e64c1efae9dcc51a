// The blocker (docs/auto-blocking.md): the trackers of a site's declared catalogue services,
// held back with no markup of the owner's. The server puts it into the loader
// (`http::assets::Loader::render`) only when a site it serves has such services, with its URL
// scope, consent days, URL patterns per category and `reload_on_revoke` in __KELISIM_RULES__
// ({site: [scope, consent_days, [[category, regexp of its URLs without the scheme], …],
// reload_on_revoke 0|1]}, the patterns from `catalogue::block_rules`); it runs first,
// synchronously, in the loader.
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
  // [scope, consent_days, [[category, regexp of its URLs without the scheme], …], reload_on_revoke] of the page's site.
  var s = d.currentScript, site = R[s && s.getAttribute('data-site')];
  if (!site) return;
  var E = w.Element.prototype, sa = E.setAttribute, armed;
  var rx = site[2].map((r) => [r[0], RegExp('^(?:https?:)?//(?:' + r[1] + ')$')]);
  // Holds back `el` (a <script>, <iframe> or <img> about to use URL `u`) as a gated element
  // of the category whose pattern `u` matches; true when it did. Not when no pattern matches,
  // when the widget is bringing it back (data-kelisim-on), or when the visitor's standing
  // decision grants the category — the `kelisim` cookie, read as the loader reads it
  // (shared/src/cookie.rs), each time: a decision made on this page is in the cookie before
  // the widget brings the held elements back, so what a granted tracker then loads goes through.
  function granted(c) {
    var m = d.cookie.match(/(?:^|;\s*)kelisim=([^;]*)/), p = m ? m[1].split('.') : [];
    return p.length == 7 && p[0] == 1 && p[4] == site[0] && Date.now() / 1e3 - p[2] < site[1] * 864e2 &&
      p[6].split('+').indexOf(c) >= 0;
  }
  function hold(el, u) {
    var i = 0, r;
    if (!/^(SCRIPT|IFRAME|IMG)$/.test(el.tagName) || el.hasAttribute('data-kelisim-on')) return;
    while ((r = rx[i++])) {
      if (r[1].test(u)) {
        if (granted(r[0])) return;
        sa.call(el, 'data-category', r[0]);
        sa.call(el, 'data-src', u);
        if (el.tagName == 'SCRIPT') {
          if (el.type && el.type != 'text/plain') sa.call(el, 'data-type', el.type);
          el.type = 'text/plain';
        }
        return 1;
      }
    }
  }
  function arm() {
    if (armed) return;
    armed = 1;
    // Set from a script: the `src` property (document.createElement, new Image) or setAttribute.
    ['Script', 'IFrame', 'Image'].forEach((n) => {
      var P = w['HTML' + n + 'Element'].prototype, o = Object.getOwnPropertyDescriptor(P, 'src');
      Object.defineProperty(P, 'src', {
        configurable: true, get: o.get,
        set: function (v) { hold(this, v) || o.set.call(this, v); }
      });
    });
    E.setAttribute = function (n, v) {
      if (!(/^src$/i.test(n) && hold(this, v))) return sa.apply(this, arguments);
    };
    // Written in the HTML (or inserted as markup): seen as the parser inserts it, before a script
    // is run; an iframe that has begun to load is sent to a blank page instead.
    new MutationObserver((ms) => {
      ms.forEach((m) => {
        m.addedNodes.forEach((n) => {
          if (n.querySelectorAll) [n, ...n.querySelectorAll('[src]')].forEach((e) => {
            e.hasAttribute('src') && hold(e, e.src) && (e.tagName == 'IFRAME' ? sa.call(e, 'src', 'about:blank') : e.removeAttribute('src'));
          });
        });
      });
    }).observe(d.documentElement, { childList: true, subtree: true });
  }
  // Which of the patterns' categories are granted: when the page loaded (the cookie), then as
  // each decision made on this page says.
  var was = rx.map((r) => granted(r[0]));
  // A decision made on this page (`kelisim:change`, its granted list in the detail): the hooks,
  // if they were waiting; and W5 for the trackers that run here without the widget having
  // brought them back (their category was granted when the page loaded): if the decision
  // turns off a category that was on and one of its trackers is on the page (an element that
  // loaded a URL its pattern matches), the page is reloaded to stop it, as the widget does for
  // what it ran, unless the site's `reload_on_revoke` is off.
  w.addEventListener('kelisim:change', (e) => {
    var g = e.detail.granted, off = rx.map((r, i) => was[i] && g.indexOf(r[0]) < 0);
    was = rx.map((r) => g.indexOf(r[0]) >= 0);
    arm();
    site[3] && [...d.querySelectorAll('script[src],iframe[src],img[src]')].some((el) =>
      rx.some((r, i) => off[i] && r[1].test(el.src))) && location.reload();
  });
  // A return visit whose standing decision grants every category this site blocks holds
  // nothing back: the hooks, which cost a little for every element the page makes, wait for
  // such a decision.
  was.every(Boolean) || arm();
})(window, document, __KELISIM_RULES__)
