/*! Kelisim · kelisim.kz */
// The loader (docs/architecture.md §1, "Loader"; README, "Embedding"): runs synchronously, before
// any tag manager.
// Labels W1–W13 name the widget's behaviours; docs/architecture.md defines them.
// The build makes two loaders from this file (xtask/src/widget.rs): `loader-block.js`, with the
// blocker, for a server one of whose sites declares catalogue services, and `loader.js`, where
// KELISIM_BLOCKER is false and the blocker is left out (http::assets::Loader::render).
import { block } from './blocker.js';

(function (w, d) {
  // {glue, wasm, sites: {id: [scope, consent_days, floating_button, css?, blocker rules?]}}, css
  // being 0 before rules when the site sets none
  var B = __KELISIM_BOOT__;
  var s = d.currentScript;
  var site = s && s.getAttribute('data-site');
  var api = (s && s.getAttribute('data-api')) || (s ? new URL(s.src, location.href).origin : '');
  var T = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
    'functionality_storage', 'personalization_storage', 'security_storage'];
  // Consent Mode v2 must see a real gtag call (an Arguments object), never a plain array.
  w.dataLayer = w.dataLayer || [];
  function gtag() { w.dataLayer.push(arguments); }
  function modes(bits) {
    for (var o = {}, i = 0; i < 7; i++) o[T[i]] = bits >> i & 1 ? 'granted' : 'denied';
    return o;
  }
  var def = modes(64);
  def.wait_for_update = 500;
  gtag('consent', 'default', def);
  var info = B.sites[site];
  if (!info) {
    console.warn('Kelisim: no site "' + site + '" on ' + api + '; nothing that needs consent will run');
    return;
  }
  // The `kelisim` cookie (format: shared/src/cookie.rs), checked here once: the expression
  // accepts exactly what `Decision::decode` accepts (consent mode below 128 aside, checked
  // after it; widget/src/decide.rs tests the two against each other), and the module gets the
  // value it checked (`cookie`, "" when it is not one), so a tampered or truncated cookie never
  // grants anything. A decision that still covers the site's categories and is younger than
  // consent_days is applied at once, without the config.
  var m = d.cookie.match(/(?:^|;\s*)kelisim=([^;]*)/), c = m ? m[1] : '', p = c.split('.');
  c = /^1\.[\da-f]{8}(-[\da-f]{4}){3}-[\da-f]{12}\.\d{1,19}\.[\da-f]{64}\.[\da-f]{8}\.\d{1,19}\.([a-z][\da-z_-]{0,31}(\+[a-z][\da-z_-]{0,31})*)?$/.test(c) && p[5] < 128 ? c : '';
  var ok = c && p[4] == info[0] && Date.now() / 1000 - p[2] < info[1] * 86400;
  if (ok) gtag('consent', 'update', modes(+p[5]));
  // The site's catalogue services are held from here on, with the categories the standing
  // decision grants. Nothing of the page has run since the loader's first line.
  if (KELISIM_BLOCKER && info[4]) block(w, d, info[4], ok ? p[6].split('+') : []);
  // The visitor's languages in order (W3): the server answers with the first the site offers.
  var tags = [s.getAttribute('data-lang'), d.documentElement.lang].concat(navigator.languages).filter(Boolean).join();
  var cfg = ok ? null : fetch(api + '/api/v1/sites/' + site + '/widget?lang=' + encodeURIComponent(tags), { credentials: 'omit' })
    .then(function (r) { if (!r.ok) throw Error('HTTP ' + r.status); return r.json(); });
  if (cfg) cfg.catch(function () {});
  // The module is downloaded now, beside the host script's download, not after it has run (the
  // host compiles it at once: for a module this small that is sooner than compileStreaming).
  var wasm = fetch(api + B.wasm).then(function (r) { return r.arrayBuffer(); });
  wasm.catch(function () {});
  import(api + B.glue).then(function (g) {
    return g.boot({ wasm: wasm, site: site, api: api,
      standing: ok, cookie: c, config: cfg, tags: tags, floating: info[2], css: info[3], gtag: gtag, modes: modes, nonce: s.nonce });
  }).catch(function (e) {
    console.warn('Kelisim: the widget could not load (' + e + '); nothing that needs consent will run');
  });
})(window, document);
