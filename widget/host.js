/*! Kelisim · kelisim.kz */
// The browser side of the WASM widget. The module (widget/src) decides everything: what to
// show, what a click means, the cookie, the Consent Mode update, the event, which categories
// run. This file only carries those decisions into the page: DOM writes, focus, the network,
// localStorage, `window.kelisim`. It talks to the module through two imports, `h` (an
// operation with one string argument) and `t` (take the string result of the last one), and
// two exports, `a` (allocate) and `on` (an event from the page); the operation and event
// numbers are those of widget/src/host.rs, keep the two in step.
import css from './widget.css'; // the layers' styles (shadow root only), W13

const W = window, D = document, E = new TextEncoder(), U = new TextDecoder();
let X, R = E.encode(''), out = '', root, ui, saved, waiting = 0, o;
// The server's markup by language, as loaded (GET …/widget?lang=).
const UI = {};
const Q = [];

const warn = (m) => console.warn('Kelisim: ' + m);
const mem = () => new Uint8Array(X.memory.buffer);
const str = (p, n) => U.decode(mem().subarray(p, p + n));
// One event into the module; returns what it answered through the OUT operation.
function call(kind, s) {
  const b = E.encode(s), p = X.a(b.length);
  mem().set(b, p);
  out = '';
  X.on(kind, p, b.length);
  return out;
}
const ids = (s) => (s ? s.split(' ') : []);
// A decision as the module gives it (lines: consent id, granted ids, config version, time).
const detail = (s) => {
  const [consentId, granted, configVersion, at] = s.split('\n');
  return { consentId, granted: ids(granted), configVersion, decidedAt: new Date(at * 1000) };
};
const url = (tail) => o.api + '/api/v1/sites/' + o.site + tail;
// The facts and one language's markup (the first of `tags` the site offers).
const load = (tags, p) =>
  (p || fetch(url('/widget?lang=' + encodeURIComponent(tags)), { credentials: 'omit' }).then((r) => {
    if (!r.ok) throw Error('HTTP ' + r.status);
    return r.text();
  })).then((t) => {
    const c = JSON.parse(t);
    UI[c.lang] = c.ui;
    return c;
  });
const focus = (el) => el && (el.focus(), 1);

// W7: a decision waits in localStorage until the log acknowledged it (the server is
// idempotent on event_id, so sending twice never makes two records).
const KEY = () => 'kelisim:pending:' + o.site;
function pending() {
  try { return JSON.parse(localStorage.getItem(KEY())) || []; } catch (e) { return []; }
}
function keep(q) {
  try { q.length ? localStorage.setItem(KEY(), JSON.stringify(q)) : localStorage.removeItem(KEY()); } catch (e) {}
}
function post(body) {
  fetch(url('/consents'), {
    method: 'POST', body, credentials: 'omit', keepalive: true,
    headers: { 'content-type': 'application/json' },
  }).then((r) => {
    const s = r.status;
    // Logged (201), logged before (200), or refused for good: never sent again.
    if (s >= 500 || s == 408 || s == 429) throw 0;
    keep(pending().filter((b) => b != body));
    if (s >= 400) warn('the consent log refused the decision; it is applied on this page');
  }).catch(() => warn('the consent log could not be reached; the decision is applied here and will be sent later'));
}
const resend = () => pending().forEach(post);

// W4: gated elements of granted categories come alive, scripts in document order (an
// external one holds back the next until it loaded or failed, as the page's own would).
function enable(ids) {
  const granted = ids.split(' '), hit = [];
  for (const el of D.querySelectorAll('[data-category]:not([data-kelisim-on])')) {
    const c = el.getAttribute('data-category'), src = el.getAttribute('data-src');
    if (!granted.includes(c)) continue;
    el.setAttribute('data-kelisim-on', '');
    if (el.tagName == 'SCRIPT') {
      if (el.type != 'text/plain') continue;
      Q.push(el);
    } else if (src) el.setAttribute('src', src);
    else continue;
    hit.includes(c) || hit.push(c);
  }
  run();
  return hit.join(' ');
}
function run() {
  while (!waiting && Q.length) {
    const el = Q.shift(), s = D.createElement('script'), src = el.getAttribute('data-src') || el.getAttribute('src');
    for (const a of el.attributes) if (a.name != 'type' && a.name != 'data-src') s.setAttribute(a.name, a.value);
    if (el.dataset.type) s.type = el.dataset.type;
    if (src) {
      waiting = 1;
      s.onload = s.onerror = () => { waiting = 0; run(); };
      s.src = src;
    } else s.text = el.textContent;
    el.replaceWith(s);
  }
}

// The operations (numbers: widget/src/host.rs). Returns a number; a string result is kept
// in R for `t`, and its length returned.
const text = (s) => (R = E.encode(s)).length;
const OPS = [
  /* 0 WARN */ (s) => warn(s),
  /* 1 ROOT */ () => {
    const host = D.createElement('div');
    host.id = 'kelisim';
    root = host.attachShadow({ mode: 'open' });
    root.innerHTML = '<style>' + css + '</style><div id="k-ui"></div>';
    ui = root.lastChild;
    (D.body || D.documentElement).append(host);
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-action]');
      b && call(3, b.dataset.action + ' ' + (b.dataset.lang || ''));
    });
    root.addEventListener('keydown', (e) => {
      const d = root.querySelector('[data-kelisim="preferences"]');
      if (!d) return;
      if (e.key == 'Escape') { e.preventDefault(); call(3, 'close '); }
      // W12: focus stays inside the modal dialog.
      if (e.key == 'Tab') {
        const l = d.querySelectorAll('button, input:not([disabled]), a[href], summary'), a = root.activeElement;
        const to = e.shiftKey ? (!a || a == l[0]) && l[l.length - 1] : (!a || a == l[l.length - 1]) && l[0];
        if (to) { e.preventDefault(); to.focus(); }
      }
    });
  },
  /* 2 UI: "b LANG" first layer, "p LANG G W URL" preferences, "r LABEL" reopen, "" nothing */
  (s) => {
    const [k, l, g, w, url] = s.split(' '), L = UI[l];
    // A language the visitor just switched to: load its markup, then switch again.
    if (!L && k != 'r' && k) return load(l).then(() => UI[l] && call(3, 'lang ' + l), warn);
    ui.innerHTML = k == 'b' ? L.banner
      // The server's markup (shared/src/render.rs) leaves three markers for the visitor's parts.
      : k == 'p' ? L.preferences.replace('<!--gpc-->', g == 'g' ? L.gpc : '')
        .replace('<!--withdraw-->', w == 'w' ? L.withdraw : '')
        .replace('<!--receipt-->', url ? L.receipt[0] + url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;') + L.receipt[1] : '')
      // A cookie: a ring and three crumbs.
      : k == 'r' ? '<button type="button" class="k-reopen" data-action="reopen" aria-label="' + s.slice(2) + '" title="' + s.slice(2) +
        '"><svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="currentColor"><path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16z"/>' +
        '<circle cx="9" cy="10" r="1.5"/><circle cx="14.5" cy="14" r="1.5"/><circle cx="14" cy="8.5" r="1"/></svg></button>'
      : '';
  },
  /* 3 FOCUS: a selector in the shadow root; "" = back where focus was before the dialog */
  (sel) => {
    if (sel) return focus(root.querySelector(sel));
    const el = saved;
    saved = null;
    return el && el.isConnected ? focus(el) : 0;
  },
  /* 4 SAVE_FOCUS (1: even if one is kept) */ (force) => {
    if (force || !saved) saved = root.activeElement || D.activeElement;
  },
  /* 5 FORGET_FOCUS */ () => { saved = null; },
  /* 6 FOCUS_IS_OURS */ () => +!!root.activeElement,
  /* 7 COOKIES */ () => text(D.cookie),
  /* 8 SET_COOKIE */ (c) => { D.cookie = c; },
  /* 9 CONSENT_MODE (bits as in shared/src/consent_mode.rs; the loader's `modes`) */ (bits) => o.gtag('consent', 'update', o.modes(bits)),
  /* 10 ENABLE */ (ids) => text(enable(ids)),
  /* 11 POST: the event's fields, one per line */ (s) => {
    const [consent_id, event_id, config_version, action, granted, language, gpc, page] = s.split('\n');
    const body = JSON.stringify({ consent_id, event_id, config_version, action, granted: ids(granted), language, gpc: gpc == '1', page });
    keep(pending().concat(body));
    post(body);
  },
  /* 12 EVENT "name\njson" */ (s) => {
    const i = s.indexOf('\n');
    W.dispatchEvent(new CustomEvent('kelisim:' + s.slice(0, i), { detail: detail(s.slice(i + 1)) }));
  },
  /* 13 RELOAD */ () => location.reload(),
  /* 14 CHECKED */ () => text([...root.querySelectorAll('input[data-category]:checked')].map((i) => i.dataset.category).join(' ')),
  /* 15 SET_CHECKED */ (ids) => {
    for (const i of root.querySelectorAll('input[data-category]:not([disabled])')) i.checked = ids.split(' ').includes(i.dataset.category);
  },
  /* 16 NOW */ () => Date.now() / 1000,
  /* 17 CONFIG: load (or take the loader's), answer with event 1 (the facts) or 2 */ () => {
    load(o.tags, o.config).then((c) => call(1, c.widget), (e) => call(2, '' + (e && e.message || e)));
    o.config = null;
  },
  /* 18 ENV: href, the visitor's language tags (the loader's), GPC */ () => text([location.href, o.tags, +(navigator.globalPrivacyControl === true)].join('\n')),
  /* 19 OUT */ (s) => { out = s; },
  /* 20 DELETE_COOKIES: each named cookie, on every Domain and Path this page can reach (W5) */
  (names) => {
    const h = location.hostname.split('.'), P = ['/'], Dm = [''];
    // Every parent domain but a bare top-level one, with and without the leading dot.
    for (let i = 0; i < h.length - 1; i++) Dm.push('; Domain=' + h.slice(i).join('.'), '; Domain=.' + h.slice(i).join('.'));
    let a = '';
    for (const s of location.pathname.split('/')) if (s) P.push(a += '/' + s, a + '/');
    for (const n of ids(names.trim())) for (const d of Dm) for (const p of P) D.cookie = n + '=; Max-Age=0; Path=' + p + d;
  },
];

/** Called by the loader with {wasm, site, api, tags, cookie, standing, config, floating, gtag, modes}. */
export async function boot(opts) {
  o = opts;
  const { instance } = await WebAssembly.instantiateStreaming(o.wasm, {
    k: {
      h: (op, p, n) => OPS[op](op == 4 || op == 9 ? n : str(p, n)) || 0,
      t: (p) => mem().set(R, p),
      r: (p, n) => crypto.getRandomValues(mem().subarray(p, p + n)),
    },
  });
  X = instance.exports;
  // Gated elements added later (by the page or a tag manager) are handled as they appear.
  new MutationObserver((rs) => {
    for (const r of rs) for (const n of r.addedNodes) if (n.nodeType == 1 && (n.matches('[data-category]') || n.querySelector('[data-category]'))) return call(5, '');
  }).observe(D.documentElement, { childList: true, subtree: true });
  // W10: any element with data-kelisim-open, or a link to #kelisim, reopens the preferences.
  D.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('[data-kelisim-open], a[href="#kelisim"]')) {
      e.preventDefault();
      call(3, 'reopen ');
    }
  });
  resend();
  W.addEventListener('online', resend);
  call(0, [o.site, o.api, o.cookie || '', +!!o.standing, +(o.floating !== false), +(location.hash == '#kelisim')].join('\n'));
  // W11: window.kelisim (methods without a result are one call each into the module).
  const api = (m, a) => call(4, m + ' ' + (a || ''));
  const K = (W.kelisim = {
    get: () => { const r = api('get'); return r ? detail(r) : null; },
    accept: (ids) => { api('accept', [].concat(ids).join(' ')); },
    on: (ev, f) => { W.addEventListener('kelisim:' + ev, (e) => f(e.detail)); },
  });
  for (const m of ['show', 'showPreferences', 'hide', 'acceptAll', 'rejectAll', 'withdraw']) K[m] = () => { api(m); };
  W.dispatchEvent(new CustomEvent('kelisim:ready'));
}
