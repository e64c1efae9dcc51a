/*! Kelisim · kelisim.kz */
// The browser side of the WASM widget. The module (widget/src) decides everything: what to
// show, what a click means, the cookie, the Consent Mode update, the event, which categories
// run. This file only carries those decisions into the page: DOM writes, focus, the network,
// localStorage, `window.kelisim`. The module imports every function exported here but `boot`
// (the loader's): the typed import block of widget/src/host.rs, through wasm-bindgen. Its other
// imports come from the generated glue (`./kelisim.js`): its own reads and writes through
// web-sys and js-sys (`document.cookie`, `crypto.getRandomValues`, `Date.now`,
// `navigator.globalPrivacyControl`) and wasm-bindgen's helpers; the build passes both kinds in
// one import object, under short names (xtask/src/widget.rs). This file calls the module's
// exports through the glue (the build puts this file beside it and bundles the two).
// Labels W1–W13 name the widget's behaviours; docs/architecture.md defines them.
import css from './widget.css'; // the layers' styles (shadow root only), W13
import { initSync, start, configLoaded, configFailed, api, mutation } from './kelisim.js';

const W = window, D = document;
let R, U, V, saved, waiting = 0, o, M, E, lang, T, ro, PS;
// The server's markup by language, as loaded (GET …/widget?lang=).
const UI = {};
const Q = [];
// Clicks and `window.kelisim` calls made before the module runs, replayed in order once it
// does (M): nothing is decided or stored without it.
const P = [];
// Clicks as `ACTION LANG`, methods as `METHOD ARGS` (widget/src/lib.rs `api`).
const ask = (c) => { M ? api(c) : P.push(() => api(c)); };

export function warn(m) { console.warn('Kelisim: ' + m); }
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
    return r.json();
  })).then((c) => {
    UI[lang = c.lang] = c.ui;
    hold();
    return c;
  });
const focusOn = (el) => !!el && (el.focus(), true);

// W7: a decision waits in localStorage until the log acknowledged it (the server is
// idempotent on event_id, so sending twice never makes two records).
const KEY = () => 'kelisim:pending:' + o.site;
function pending() {
  try { return JSON.parse(localStorage.getItem(KEY())) || []; } catch (e) { return []; }
}
function keep(q) {
  try { q.length ? localStorage.setItem(KEY(), JSON.stringify(q)) : localStorage.removeItem(KEY()); } catch (e) {}
}
// What waits goes one request at a time, oldest first, and stops at the first that fails: a
// later decision is never logged before an earlier one (the log's order is the visitor's). Each
// new decision, the page's next load and coming back online send again what still waits.
let line = Promise.resolve();
function send() {
  line = line.catch(() => {}).then(async () => {
    for (const body of pending()) {
      const s = (await fetch(url('/consents'), {
        method: 'POST', body, credentials: 'omit', keepalive: true,
        headers: { 'content-type': 'application/json' },
      })).status;
      // Logged (201), logged before (200), or refused for good: never sent again.
      if (s >= 500 || s == 408 || s == 429) throw 0;
      keep(pending().filter((b) => b != body));
      if (s >= 400) warn('the consent log refused the decision; it is applied on this page');
    }
  });
  line.catch(() => warn('the consent log could not be reached; the decision is applied here and will be sent later'));
}

// W4: gated elements of granted categories come alive, scripts in document order (an
// external one holds back the next until it loaded or failed, as the page's own would).
export function enable(ids) {
  const granted = ids.split(' '), hit = [];
  for (const el of D.querySelectorAll('[data-category]:not([data-kelisim-on])')) {
    const c = el.getAttribute('data-category'), src = el.getAttribute('data-src');
    if (!granted.includes(c)) continue;
    el.setAttribute('data-kelisim-on', '');
    // An embed that waited behind a placeholder takes its place again.
    if (el.kp) el.kp.remove(), (el.hidden = false);
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
    // Under a strict CSP the new script needs a nonce: the page's own (not readable as an
    // attribute once parsed) or the loader's.
    s.nonce = el.nonce || o.nonce;
    if (el.dataset.type) s.type = el.dataset.type;
    if (src) {
      waiting = 1;
      s.onload = s.onerror = () => { waiting = 0; run(); };
      s.src = src;
    } else s.text = el.textContent;
    el.replaceWith(s);
  }
}

// Embeds (iframes, videos) of categories not granted wait behind a placeholder in their own
// box (embeds.js, loaded only by pages that have such embeds). Its texts are the server's,
// loaded with the markup; a return visit loads them only when an embed waits.
const SEL = 'iframe[data-category]:not([data-kelisim-on]),video[data-category]:not([data-kelisim-on])';
function hold() {
  const L = UI[lang];
  if (!D.querySelector(SEL)) return;
  if (!L) return o.standing && lang !== 0 && ((lang = 0), load(o.tags).catch(warn));
  import('./embeds.js').then((m) => m.hold(L, SEL, ask), warn);
}
// Says `t` politely (role=status: screen readers read it without moving focus) and shows it
// briefly (`quiet`: only says it); gone by itself.
function say(t, quiet) {
  clearTimeout(T);
  T = setTimeout(() => {
    V.className = quiet ? 'k-sr' : 'k-live';
    V.textContent = t;
    T = setTimeout(() => (V.textContent = ''), 5e3);
  }, 99);
}
// While the first layer is up the page keeps room for it below its content: padding on the root,
// which the page itself hardly ever sets (WCAG 2.2 "Focus Not Obscured": see boot's focusin);
// `b` is the first layer, or nothing when it is gone.
function room(b) {
  const st = D.documentElement.style;
  ro && ro.disconnect();
  st.paddingBottom = '';
  if (b) (ro = new ResizeObserver(() => (st.paddingBottom = b.offsetHeight + 24 + 'px'))).observe(b);
}

// What the module imports (widget/src/host.rs says what each does).
export function root() {
  if (R) return; // made already for the first layer shown before the module ran
  const host = D.createElement('div');
  host.id = 'kelisim';
  R = host.attachShadow({ mode: 'open' });
  // The style element carries the loader's nonce: a strict CSP (style-src 'nonce-…') applies
  // in the shadow root too. The site's own look (W13, `[appearance]`) comes after the defaults.
  R.innerHTML = '<style nonce="' + o.nonce + '">' + css + (o.css || '') + '</style><div class="k-live" role="status"></div><div id="k-ui"></div>';
  U = R.lastChild;
  V = U.previousSibling;
  // First in the page: the banner is the first thing in the focus order and the reading order.
  (D.body || D.documentElement).prepend(host);
  R.addEventListener('click', (e) => {
    const b = e.target.closest('[data-action],[data-early]');
    b && ask((b.dataset.action || b.dataset.early) + ' ' + (b.dataset.lang || ''));
  });
}
// "b LANG" first layer, "p LANG GW CONSENT_ID" preferences (G: `g` with GPC, W: `w` while
// something optional is granted), "r LABEL" reopen, "" nothing.
export function ui(s) {
  const [k, l, g, id] = s.split(' '), L = UI[l];
  // A language the visitor just switched to: load its markup, then switch again.
  if (!L && k != 'r' && k) return load(l).then(() => UI[l] && api('lang ' + l), warn);
  // The dialog's own styles and keys come the first time it opens (most visitors decide on the
  // first layer and never download them); until its styles apply it is fixed and transparent
  // (widget.css): nothing of the page moves, and focus can already be in it.
  // If they cannot come (a deploy removed the file this page's bundle names), the dialog shows
  // plainly, over the whole page, and the next opening tries again.
  if (k == 'p' && !PS)
    PS = import('./prefs.js').then((m) => (R.firstChild.append(m.css), m.keys(R, () => ask('close'))), (e) => {
      PS = 0;
      R.firstChild.append('.k-prefs{opacity:1;pointer-events:auto;inset:0;overflow:auto;background:#fff}');
      warn(e);
    });
  // The first layer the host showed before the module ran (`early`): the module takes it over
  // as it is (focus stays where the visitor put it), its buttons now `data-action`.
  if (s == E) for (const b of U.querySelectorAll('[data-early]')) b.dataset.action = b.dataset.early;
  else U.innerHTML = k == 'b' ? L.banner
    // The server's markup (shared/src/render.rs) leaves three markers for the visitor's parts.
    : k == 'p' ? L.preferences.replace('<!--gpc-->', g[0] == 'g' ? L.gpc : '')
      .replace('<!--withdraw-->', g[1] == 'w' ? L.withdraw : L.reject)
      // The visitor's own receipt, in the language shown (encodeURI: no quote or < of the
      // page's data-api or data-site can leave the attribute; the id is a checked UUID).
      .replace('<!--receipt-->', id ? L.receipt[0] + encodeURI(o.api + '/receipt/' + o.site + '/' + id + '?lang=' + l) + L.receipt[1] : '')
    // A cookie: a ring and three crumbs.
    : k == 'r' ? '<button type="button" class="k-reopen" data-action="reopen" aria-label="' + s.slice(2) + '" title="' + s.slice(2) +
      '"><svg viewBox="0 0 24 24" width=22 height=22 aria-hidden=true fill=currentColor><circle cx=12 cy=12 r=9 fill=none stroke=currentColor stroke-width=2 />' +
      '<circle cx=9 cy=10 r=1.5 /><circle cx=14.5 cy=14 r=1.5 /><circle cx=14 cy=8.5 r=1 /></svg></button>'
    : '';
  E = 0;
  shown();
}
// After a layer changed: room kept for the first layer, which is announced when it appears.
function shown() {
  const b = U.querySelector('.k-banner');
  room(b);
  b && say(b.firstChild.textContent, 1);
}
// A selector in the shadow root; "" = back where focus was before the dialog.
export function focus(sel) {
  if (sel) return focusOn(R.querySelector(sel));
  const el = saved;
  saved = null;
  return !!el && el.isConnected && focusOn(el);
}
export function saveFocus(force) {
  if (force || !saved) saved = R.activeElement || D.activeElement;
}
export function forgetFocus() { saved = null; }
export function focusIsOurs() { return !!R.activeElement; }
// Bits as in shared/src/consent_mode.rs (the loader's `modes`).
export function consentMode(bits) { o.gtag('consent', 'update', o.modes(bits)); }
// The event's fields, one per line.
export function post(s) {
  const [consent_id, event_id, config_version, action, granted, language, gpc, page] = s.split('\n');
  const body = JSON.stringify({ consent_id, event_id, config_version, action, granted: ids(granted), language, gpc: gpc == '1', page });
  keep(pending().concat(body));
  send();
  // A short, polite confirmation of each logged decision.
  UI[language] && say(UI[language].saved);
}
export function emit(name, s) { W.dispatchEvent(new CustomEvent('kelisim:' + name, { detail: detail(s) })); }
export function reload() { location.reload(); }
export function checked() { return [...R.querySelectorAll('input[data-category]:checked')].map((i) => i.dataset.category).join(' '); }
export function setChecked(ids) {
  for (const i of R.querySelectorAll('input[data-category]:not([disabled])')) i.checked = ids.split(' ').includes(i.dataset.category);
}
// Loads the config (or takes the loader's).
export function config() {
  load(o.tags, o.config).then((c) => configLoaded(c.lang + c.widget), (e) => configFailed('' + (e && e.message || e)));
  o.config = null;
}
export function env() { return location.href + '\n' + o.tags; }
// Each named cookie, on every Domain and Path this page can reach (W5).
export function deleteCookies(names) {
  const h = location.hostname.split('.'), P = ['/'], Dm = [''];
  // Every parent domain but a bare top-level one, with and without the leading dot.
  for (let i = 0; i < h.length - 1; i++) Dm.push('; Domain=' + h.slice(i).join('.'), '; Domain=.' + h.slice(i).join('.'));
  let a = '';
  for (const s of location.pathname.split('/')) if (s) P.push(a += '/' + s, a + '/');
  for (const n of ids(names.trim())) for (const d of Dm) for (const p of P) D.cookie = n + '=; Max-Age=0; Path=' + p + d;
}

/** Called by the loader (and the dashboard's preview, server/src/admin/preview.rs) with {wasm (the module's bytes, a promise), site, api, tags, standing, cookie (the `kelisim` cookie's value it checked, or ""), config (a promise of the `/widget` answer, parsed; null on a return visit), floating, css, gtag, modes, nonce}. */
export async function boot(opts) {
  o = opts;
  // W11: window.kelisim (methods without a result are one call each into the module; `get` is
  // null until it runs: a first visit has no decision yet).
  const K = (W.kelisim = {
    get: () => { const r = M && api('get'); return r ? detail(r) : null; },
    accept: (ids) => ask('accept ' + [].concat(ids).join(' ')),
    on: (ev, f) => { W.addEventListener('kelisim:' + ev, (e) => f(e.detail)); },
  });
  for (const m of ['show', 'showPreferences', 'hide', 'acceptAll', 'rejectAll', 'withdraw']) K[m] = () => ask(m);
  // A first visit (no standing decision; the loader is fetching the config and its markup): the
  // first layer is shown as soon as that arrives, while the module is still downloading and
  // compiling; its buttons are `data-early` until the module takes it over (`ui`).
  if (o.config && location.hash != '#kelisim')
    o.config.then((c) => {
      if (!R) root(), (U.innerHTML = c.ui.banner.replace(/data-action=/g, 'data-early=')), (E = 'b ' + c.lang), shown();
    }, () => {});
  try {
    // The loader fetched the module's bytes; compiled and instantiated at once (a small module
    // compiles in a few milliseconds, sooner than compileStreaming's promise comes back).
    const bytes = await o.wasm;
    // The first layer is up: it is painted first. The compilation, the module's start and its
    // reading of the config run in one task, which would otherwise hold the frame that shows the
    // layer (10–40 ms on a slow phone). After the next frame, or at most 99 ms (a hidden tab
    // paints no frame).
    if (R) await new Promise((f) => (requestAnimationFrame(() => setTimeout(f)), setTimeout(f, 99)));
    initSync({ module: bytes });
  } catch (e) {
    R && R.host.remove();
    throw e;
  }
  // Gated elements added later (by the page or a tag manager) are handled as they appear.
  // A single-page app that replaced <body> took the widget with it: it goes back, first.
  new MutationObserver((rs) => {
    if (R && !R.host.isConnected) (D.body || D.documentElement).prepend(R.host);
    for (const r of rs) for (const n of r.addedNodes) if (n.nodeType == 1 && (n.matches('[data-category]') || n.querySelector('[data-category]'))) return mutation(), hold();
  }).observe(D.documentElement, { childList: true, subtree: true });
  // A focused element of the page that sits under the first layer is scrolled above it — after
  // the browser's own scrolling to it, which WebKit does later and smoothly: once a task after
  // the focus, and again when a scroll has settled, a few times at most, until it is clear (so a
  // visitor's own scrolling later is never fought).
  let p = 0, S;
  const clear = () => {
    const b = U && U.querySelector('.k-banner'), a = D.activeElement, y = b && a && a != R.host && a != D.body && a.getBoundingClientRect().bottom - b.getBoundingClientRect().top;
    y > 0 ? p && (p--, scrollBy(0, y + 8)) : (p = 0);
  };
  D.addEventListener('focusin', () => { p = 3; setTimeout(clear); });
  W.addEventListener('scroll', () => { clearTimeout(S); S = setTimeout(clear, 99); });
  // W10: any element with data-kelisim-open, or a link to #kelisim, reopens the preferences.
  D.addEventListener('click', (e) => {
    const t = e.target;
    if (t.closest && t.closest('[data-kelisim-open], a[href="#kelisim"]')) {
      e.preventDefault();
      ask('reopen');
    }
  });
  send();
  W.addEventListener('online', send);
  hold();
  start(!!o.standing, o.cookie || '', o.floating !== false, location.hash == '#kelisim');
  M = 1;
  P.forEach((f) => f());
  W.dispatchEvent(new CustomEvent('kelisim:ready'));
}
