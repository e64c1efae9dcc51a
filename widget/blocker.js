// The blocker (docs/auto-blocking.md): the trackers of a site's declared catalogue services,
// held back with no markup of the owner's. It is part of the loader (`loader-block.js`, which
// the server sends only when a site it serves has such services) and runs in it, synchronously,
// once the loader has found the page's site and read the `kelisim` cookie: `R` is that site's
// rules from the boot data, `[[[category, regexp of its URLs without the scheme], …],
// reload_on_revoke 0|1]` (the patterns from `catalogue::block_rules`), and `G` the categories
// its standing decision grants ([] without one).
//
// It rewrites a tracker's <script src>, <iframe src> or <img src> into the gated form an owner
// would write by hand (`type="text/plain" data-category=… data-src=…`, W4) before the browser
// runs or loads it: set from a script (the `src` property or setAttribute, as install snippets,
// tag managers and document.createElement do), or written in the HTML (a MutationObserver sees
// each element the parser inserts before the parser runs it). The widget then runs it, once, in
// document order, when its category is granted — as it does every gated element. An element
// the widget itself brings back (data-kelisim-on), one of a category the decision in force
// grants, and every other URL are left alone.
export function block(w, d, R, G) {
  var E = w.Element.prototype, sa = E.setAttribute, armed;
  var rx = R[0].map((r) => [r[0], RegExp('^(?:https?:)?//(?:' + r[1] + ')$')]);
  var on = (c) => G.includes(c);
  // Holds back `el` (a <script>, <iframe> or <img> about to use URL `u`) as a gated element
  // of the category whose pattern `u` matches; true when it did. Not when no pattern matches,
  // when the widget is bringing it back (data-kelisim-on), or when the decision in force grants
  // the category: the standing one, then each made on this page (`kelisim:change`, below). What
  // the widget brings back while it makes one carries data-kelisim-on; what that adds at once
  // is held, and brought back by the widget too (host.js sees the gated element arrive).
  function hold(el, u) {
    var i = 0, r;
    if (!/^(SCRIPT|IFRAME|IMG)$/.test(el.tagName) || el.hasAttribute('data-kelisim-on')) return;
    while ((r = rx[i++])) {
      if (r[1].test(u)) {
        if (on(r[0])) return;
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
  // A decision made on this page (`kelisim:change`, its granted list in the detail): the hooks,
  // if they were waiting; and W5 for the trackers that run here without the widget having
  // brought them back (their category was granted when the page loaded): if the decision
  // turns off a category that was on and one of its trackers is on the page (an element that
  // loaded a URL its pattern matches), the page is reloaded to stop it, as the widget does for
  // what it ran, unless the site's `reload_on_revoke` is off. So a first decision reloads
  // nothing, not even for a tracker that ran above the loader (the documented limit).
  w.addEventListener('kelisim:change', (e) => {
    var was = G;
    G = e.detail.granted;
    arm();
    R[1] && [...d.querySelectorAll('[src]')].some((el) =>
      rx.some((r) => was.includes(r[0]) && !on(r[0]) && r[1].test(el.src))) && location.reload();
  });
  // A return visit whose standing decision grants every category this site blocks holds
  // nothing back: the hooks, which cost a little for every element the page makes, wait for
  // such a decision.
  rx.every((r) => on(r[0])) || arm();
}
