#!/usr/bin/env node
// Widget benchmark (docs/BENCHMARKS.md, "Widget"; issue 3): Kelisim against
// vanilla-cookieconsent 3.1.0 and orejime 3.2.1 in headless Chromium, interleaved, fresh profile
// per run.
//
//   node bench/widget/run.mjs --kelisim target/debug/kelisim --modules target/bench/node_modules \
//        [--rounds 9] [--warmup 1] [--throttle 4] [--write docs/BENCHMARKS.md] [--json FILE] [--command "how it was run"]
//   node bench/widget/run.mjs --serve      # only serve the three pages, to look at them by hand
//
// Normally run through `cargo xtask bench widget`, which installs the npm packages into
// target/bench/ and builds the widget and the server first. See docs/BENCHMARKS.md § Widget
// for what is measured and how.
// Labels W1–W13 name the widget's behaviours; docs/architecture.md defines them.

import http from 'node:http';
import zlib from 'node:zlib';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

export const PINNED = { 'vanilla-cookieconsent': '3.1.0', orejime: '3.2.1', 'playwright-core': '1.65.1' };
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  // navigator.webdriver stays false, as for a real visitor: vanilla-cookieconsent (hideFromBots,
  // on by default) shows nothing to automated browsers.
  '--disable-blink-features=AutomationControlled'];
const SETTLE_MS = 700; // quiet time after the banner shows (first visit) / gated scripts ran (return)
const TIMEOUT_MS = 15000;

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { rounds: 9, kelisim: path.join(ROOT, 'target/debug/kelisim'), modules: path.join(ROOT, 'target/bench/node_modules'),
    write: null, json: null, command: null, chromium: '/usr/bin/chromium', warmup: 1, throttle: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) die(`${a} needs a value`); return argv[++i]; };
    if (a === '--rounds') o.rounds = +v();
    else if (a === '--kelisim') o.kelisim = path.resolve(v());
    else if (a === '--modules') o.modules = path.resolve(v());
    else if (a === '--write') o.write = path.resolve(v());
    else if (a === '--json') o.json = path.resolve(v());
    else if (a === '--command') o.command = v();
    else if (a === '--chromium') o.chromium = v();
    else if (a === '--warmup') o.warmup = +v();
    else if (a === '--throttle') o.throttle = +v(); // CPU slowdown of the extra runs; 1 = none
    else if (a === '--serve') o.serve = true;
    else if (a === '-h' || a === '--help') { console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 10).join('\n')); process.exit(0); }
    else die(`unknown option ${a}`);
  }
  if (!(o.rounds >= 1)) die('--rounds must be at least 1');
  return o;
}

function die(msg) {
  console.error(`bench widget: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The three tools: what each page embeds, how to find its first layer, how to accept.

const GATED_ANALYTICS = "window.__benchAnalytics=(window.__benchAnalytics||0)+1;document.cookie='_bench_a=1; path=/';";

const TOOLS = {
  kelisim: {
    label: 'Kelisim',
    // The banner element lives in #kelisim's open shadow root (W12).
    find: `() => { const h = document.getElementById('kelisim'); return h && h.shadowRoot && h.shadowRoot.querySelector('[data-kelisim="banner"]'); }`,
    accept: '[data-kelisim="banner"] [data-action="accept-all"]',
    head: (k) => `<script src="${k}/kelisim.js" data-site="bench"></script>`,
    gated: `<script type="text/plain" data-category="analytics">${GATED_ANALYTICS}</script>\n<script type="text/plain" data-category="marketing" data-src="/marketing.js"></script>`,
    bodyEnd: '',
  },
  cc: {
    label: 'vanilla-cookieconsent 3.1.0',
    find: `() => document.querySelector('#cc-main .cm')`,
    accept: '#cc-main .cm [data-role="all"]',
    head: () => '<link rel="stylesheet" href="/assets/cookieconsent.css">',
    gated: `<script type="text/plain" data-category="analytics">${GATED_ANALYTICS}</script>\n<script type="text/plain" data-category="marketing" data-src="/marketing.js"></script>`,
    bodyEnd: '<script type="module" src="/cookieconsent-config.js"></script>',
  },
  orejime: {
    label: 'orejime 3.2.1',
    find: `() => document.querySelector('.orejime-Banner')`,
    accept: '.orejime-Banner-saveButton',
    head: () => '<link rel="stylesheet" href="/assets/orejime-standard.css">',
    gated: `<template data-purpose="analytics"><script>${GATED_ANALYTICS}</script></template>\n<template data-purpose="marketing"><script src="/marketing.js"></script></template>`,
    bodyEnd: '<script src="/orejime-config.js"></script>\n<script src="/assets/orejime-standard-en.js"></script>',
  },
};
const ORDER = ['kelisim', 'cc', 'orejime'];

// Which responses are the banner's own assets, and which carry the site's banner config.
function classify(tool, url, kelisimOrigin) {
  const u = new URL(url);
  if (tool === 'kelisim') {
    if (u.origin !== kelisimOrigin) return null;
    if (u.pathname === '/kelisim.js') return 'asset:loader';
    if (u.pathname.startsWith('/widget/')) return u.pathname.endsWith('.wasm') ? 'asset:wasm' : 'asset:glue';
    if (u.pathname === '/api/v1/sites/bench/widget' || u.pathname === '/api/v1/sites/bench/config') return 'config';
    return null;
  }
  if (u.pathname.startsWith('/assets/')) return u.pathname.endsWith('.css') ? 'asset:css' : 'asset:js';
  if (u.pathname === '/cookieconsent-config.js' || u.pathname === '/orejime-config.js') return 'config';
  return null;
}

// Runs in the page before any of its scripts (every frame; only the top one measures).
// One check per animation frame (no MutationObserver: forced layouts during parsing would slow
// every page down): the banner counts as visible in the first frame in which it is in the
// viewport with a non-empty box and Element.checkVisibility() with opacity and visibility says
// it shows — a fade-in counts from its first frame with opacity > 0. Signals go out as console
// messages, so the benchmark never polls the page (which would add script time).
function instrument(find) {
  return `(() => {
  if (window.top !== window) return;
  const find = ${find};
  const B = window.__bench = { visible: null, inDom: null, gated: null, flagsAtVisible: null, shifts: [], paints: {}, marks: {} };
  // Where the time goes (only Kelisim uses these): WebAssembly instantiation and shadow root.
  const mark = (k) => { if (!(k in B.marks)) B.marks[k] = performance.now(); };
  for (const f of ['compileStreaming', 'instantiateStreaming', 'instantiate']) {
    const orig = WebAssembly[f];
    if (orig) WebAssembly[f] = function () { mark('wasmCall'); const p = orig.apply(this, arguments); p.then(() => mark('wasmReady'), () => {}); return p; };
  }
  // Synchronous compilation (new WebAssembly.Module(bytes)): called and compiled in one go.
  const Mod = WebAssembly.Module;
  WebAssembly.Module = new Proxy(Mod, { construct(t, a, n) { mark('wasmCall'); const m = Reflect.construct(t, a, n); mark('wasmReady'); return m; } });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function () { mark('shadowRoot'); return attach.apply(this, arguments); };
  const flags = () => ({ analytics: window.__benchAnalytics || 0, marketing: window.__benchMarketing || 0 });
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) B.shifts.push([e.startTime, e.value]); })
      .observe({ type: 'layout-shift', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) B.paints[e.name] = e.startTime; })
      .observe({ type: 'paint', buffered: true });
  } catch (e) {}
  const shown = (el) => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
    return el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };
  const frame = () => {
    const now = performance.now();
    if (B.visible === null) {
      let el = null; try { el = find(); } catch (e) {}
      if (el && B.inDom === null) B.inDom = now;
      if (el && shown(el)) { B.visible = now; B.flagsAtVisible = flags(); console.debug('__bench:visible'); }
    }
    if (B.gated === null) {
      const f = flags();
      if (f.analytics && f.marketing) { B.gated = now; console.debug('__bench:gated'); }
    }
    if (now < 20000 && (B.visible === null || B.gated === null)) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;
}

// ---------------------------------------------------------------------------------------------
// Static server for the three pages and the peers' files (brotli q11 / gzip -9, precompressed).

function compressAll(files) {
  const out = new Map();
  for (const [p, { body, type, cache }] of files) {
    const text = /javascript|css|html|json|svg/.test(type);
    out.set(p, {
      type, cache, raw: body,
      br: text ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }) : null,
      gz: text ? zlib.gzipSync(body, { level: 9 }) : null,
    });
  }
  return out;
}

function startPageServer(files) {
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const f = files.get(u.pathname);
    if (!f) { res.writeHead(u.pathname === '/favicon.ico' ? 204 : 404); res.end(); return; }
    const ae = String(req.headers['accept-encoding'] || '');
    let body = f.raw, enc = null;
    if (f.br && /\bbr\b/.test(ae)) { body = f.br; enc = 'br'; } else if (f.gz && /\bgzip\b/.test(ae)) { body = f.gz; enc = 'gzip'; }
    const h = { 'Content-Type': f.type, 'Content-Length': body.length, 'Cache-Control': f.cache };
    if (f.br) h.Vary = 'Accept-Encoding';
    if (enc) h['Content-Encoding'] = enc;
    res.writeHead(200, h);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

// ---------------------------------------------------------------------------------------------
// Kelisim server: the real binary, with the bench site file rewritten for this run's origin.

async function startKelisim(bin, pageOrigin, tmp) {
  const sites = path.join(tmp, 'sites'), data = path.join(tmp, 'data');
  fs.mkdirSync(sites, { recursive: true });
  fs.mkdirSync(data, { recursive: true });
  let site = fs.readFileSync(path.join(HERE, 'sites/bench.toml'), 'utf8').replaceAll('http://127.0.0.1:8799', pageOrigin);
  // `cargo xtask bench widget --services`: three catalogue services declared, so the loader
  // carries the blocker (docs/auto-blocking.md) and its patterns.
  if (process.env.KELISIM_BENCH_SERVICES) {
    const analytics = 'consent_mode = ["analytics_storage"]\n', marketing = 'consent_mode = ["ad_storage", "ad_user_data", "ad_personalization"]\n';
    if (!site.includes(analytics) || !site.includes(marketing)) throw new Error('bench.toml changed: cannot declare the services');
    site = site.replace(analytics, analytics + 'service = ["yandex-metrica", "google-analytics"]\n').replace(marketing, marketing + 'service = "meta-pixel"\n');
  }
  const siteFile = path.join(sites, 'bench.toml');
  fs.writeFileSync(siteFile, site);
  execFileSync(bin, ['site', 'check', siteFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const child = spawn(bin, ['serve', '--sites', sites, '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('kelisim did not print its address within 20 s')), 20000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/kelisim listening on (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(t); resolve(m[1].replace(/\/$/, '')); }
    });
    child.on('exit', (c) => { clearTimeout(t); reject(new Error(`kelisim exited (${c}) before listening`)); });
  });
  child.stdout.resume();
  return { child, origin };
}

function getRaw(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'Accept-Encoding': 'identity' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: HTTP ${res.statusCode}`)));
    }).on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// One run: a fresh profile, a first visit (measure, then Accept all), a return visit.

async function visit(ctx, tool, url, kOrigin, { accept, throttle = 1 }) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  // A slow phone (the throttled budget in docs/BENCHMARKS.md): DevTools' CPU throttling of this
  // page, from before it loads.
  if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  const reqs = new Map();
  cdp.on('Network.requestWillBeSent', (e) => { if (!reqs.has(e.requestId)) reqs.set(e.requestId, { url: e.request.url, method: e.request.method }); });
  cdp.on('Network.responseReceived', (e) => {
    const r = reqs.get(e.requestId); if (!r) return;
    const hdr = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    Object.assign(r, { status: e.response.status, encoding: hdr['content-encoding'] || null, headerBytes: e.response.encodedDataLength,
      fromCache: !!(e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker) });
  });
  cdp.on('Network.requestServedFromCache', (e) => { const r = reqs.get(e.requestId); if (r) r.fromCache = true; });
  cdp.on('Network.loadingFinished', (e) => { const r = reqs.get(e.requestId); if (r) { r.wire = e.encodedDataLength; r.done = true; } });
  cdp.on('Network.loadingFailed', (e) => { const r = reqs.get(e.requestId); if (r) { r.failed = e.errorText; r.done = true; } });
  await cdp.send('Network.enable');
  await cdp.send('Performance.enable');
  const signals = {};
  const waiters = {};
  page.on('console', (m) => {
    const t = m.text();
    if (t.startsWith('__bench:')) { const k = t.slice(8); signals[k] = true; waiters[k]?.(); }
  });
  const signal = (k) => new Promise((resolve) => {
    if (signals[k]) return resolve(true);
    const t = setTimeout(() => resolve(false), TIMEOUT_MS);
    waiters[k] = () => { clearTimeout(t); resolve(true); };
  });
  const metric = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metric();
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
  const ok = await signal(accept ? 'visible' : 'gated');
  await sleep(SETTLE_MS);
  const after = await metric();
  const b = await page.evaluate(() => {
    const res = performance.getEntriesByType('resource').map((e) => ({ url: e.name, start: e.startTime, end: e.responseEnd }));
    const nav = performance.getEntriesByType('navigation')[0];
    return { ...window.__bench, res, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, flagsNow: { analytics: window.__benchAnalytics || 0, marketing: window.__benchMarketing || 0 } };
  });
  const out = {
    ok,
    visible: b.visible, inDom: b.inDom, marks: b.marks, gatedAt: b.gated, flagsAtVisible: b.flagsAtVisible, flagsNow: b.flagsNow,
    fcp: b.paints['first-contentful-paint'] ?? null, dcl: b.dcl, load: b.load,
    scriptMs: (after.ScriptDuration - before.ScriptDuration) * 1000,
    taskMs: (after.TaskDuration - before.TaskDuration) * 1000,
    cls: cls(b.shifts),
    assets: {}, assetBody: 0, assetWire: 0, configBody: 0, configWire: 0, configRequests: 0, encodings: new Set(), pending: 0,
    timeline: {},
  };
  for (const r of reqs.values()) {
    const kind = classify(tool, r.url, kOrigin);
    if (!kind || r.method !== 'GET') continue;
    if (!r.done) out.pending++;
    const wire = r.wire || 0, body = Math.max(0, wire - (r.headerBytes || 0));
    if (kind === 'config') { out.configRequests++; out.configBody += body; out.configWire += wire; continue; }
    out.assets[kind] = (out.assets[kind] || 0) + body;
    out.assetBody += body; out.assetWire += wire;
    if (wire > 0) out.encodings.add(r.encoding || 'identity');
  }
  for (const e of b.res) {
    const kind = classify(tool, e.url, kOrigin);
    if (kind) {
      out.timeline[kind] = Math.max(out.timeline[kind] || 0, e.end || 0);
      out.timeline[`${kind}:start`] = Math.min(out.timeline[`${kind}:start`] ?? Infinity, e.start);
    }
  }
  out.encodings = [...out.encodings];
  if (accept) {
    const posted = tool === 'kelisim'
      ? page.waitForResponse((r) => r.url().endsWith('/api/v1/sites/bench/consents') && r.request().method() === 'POST', { timeout: TIMEOUT_MS }).then((r) => r.status()).catch((e) => `no POST (${e.message.split('\n')[0]})`)
      : Promise.resolve(null);
    try {
      await page.locator(TOOLS[tool].accept).first().click({ timeout: TIMEOUT_MS });
      out.acceptError = null;
    } catch (e) { out.acceptError = e.message.split('\n')[0]; }
    out.gatedAfterAccept = await signal('gated');
    out.postStatus = await posted;
    await sleep(200);
    out.flagsAfterAccept = await page.evaluate(() => ({ analytics: window.__benchAnalytics || 0, marketing: window.__benchMarketing || 0 }));
  }
  await page.close();
  return out;
}

// CLS as Chromium reports it: the largest session window (gaps < 1 s, window ≤ 5 s).
function cls(shifts) {
  let best = 0, cur = 0, first = -Infinity, last = -Infinity;
  for (const [t, v] of shifts) {
    if (t - last > 1000 || t - first > 5000) { cur = 0; first = t; }
    cur += v; last = t; best = Math.max(best, cur);
  }
  return best;
}

async function run(chromium, opts, tool, urls, kOrigin, throttle = 1) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kelisim-bench-profile-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: opts.chromium, headless: true, args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  try {
    await ctx.addInitScript({ content: instrument(TOOLS[tool].find) });
    const first = await visit(ctx, tool, urls[tool], kOrigin, { accept: true, throttle });
    // The throttled runs measure the first visit only.
    if (throttle > 1) return { tool, first, throttle };
    const cookies = await ctx.cookies();
    const ret = await visit(ctx, tool, urls[tool], kOrigin, { accept: false });
    return { tool, first, ret, cookies: cookies.map((c) => c.name) };
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Statistics and the report

function quantile(xs, q) {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const i = (s.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}
const median = (xs) => quantile(xs, 0.5);

const METRICS = [
  { key: 'assetBody', label: 'Banner assets, brotli body bytes (first visit)', get: (r) => r.first.assetBody, fmt: 'bytes', target: 'cc' },
  { key: 'assetWire', label: 'Banner assets, bytes on the wire incl. HTTP headers', get: (r) => r.first.assetWire, fmt: 'bytes' },
  { key: 'configBody', label: 'Site config, body bytes (Kelisim: its widget API response — facts + the markup of one language; peers: their config script)', get: (r) => r.first.configBody, fmt: 'bytes' },
  { key: 'visible', label: 'Navigation start → banner visible, ms', get: (r) => r.first.visible, fmt: 'ms', target: 'cc', aim: 'orejime', spread: true },
  { key: 'fcp', label: 'Navigation start → first contentful paint, ms', get: (r) => r.first.fcp, fmt: 'ms', spread: true },
  { key: 'scriptFirst', label: 'Main-thread script time, first visit, ms', get: (r) => r.first.scriptMs, fmt: 'ms', spread: true },
  { key: 'scriptReturn', label: 'Main-thread script time, return visit, ms', get: (r) => r.ret.scriptMs, fmt: 'ms', target: 'cc', spread: true },
  { key: 'taskFirst', label: 'Main-thread task time (all work), first visit, ms', get: (r) => r.first.taskMs, fmt: 'ms', spread: true },
  { key: 'taskReturn', label: 'Main-thread task time (all work), return visit, ms', get: (r) => r.ret.taskMs, fmt: 'ms', spread: true },
  { key: 'gatedReturn', label: 'Return visit: navigation start → gated scripts ran, ms', get: (r) => r.ret.gatedAt, fmt: 'ms', spread: true },
  { key: 'clsFirst', label: 'CLS, first visit', get: (r) => r.first.cls, fmt: 'cls' },
  { key: 'clsReturn', label: 'CLS, return visit', get: (r) => r.ret.cls, fmt: 'cls' },
  { key: 'returnBytes', label: 'Return visit: banner asset bytes over the network', get: (r) => r.ret.assetWire, fmt: 'bytes' },
];

function fmt(v, kind) {
  if (v === null || v === undefined) return '—';
  if (kind === 'bytes') return Math.round(v).toLocaleString('en-US');
  if (kind === 'ms') return v.toFixed(1);
  if (kind === 'cls') return v.toFixed(4);
  if (kind === 'ratio') return v.toFixed(2);
  return String(v);
}

// The throttled runs' metrics (first visit only).
const THROTTLED = ['visible', 'fcp', 'scriptFirst', 'taskFirst'];

function rowsFor(results, metrics) {
  const by = Object.fromEntries(ORDER.map((t) => [t, results.filter((r) => r.tool === t)]));
  return metrics.map((m) => {
    const cells = {};
    for (const t of ORDER) {
      const xs = by[t].map(m.get);
      cells[t] = { med: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) };
    }
    const ratio = (p) => (cells.kelisim.med !== null && cells[p].med) ? cells.kelisim.med / cells[p].med : null;
    return { ...m, cells, rCc: ratio('cc'), rOre: ratio('orejime') };
  });
}

function summarize(results) {
  const by = Object.fromEntries(ORDER.map((t) => [t, results.filter((r) => r.tool === t)]));
  const rows = rowsFor(results, METRICS);
  const k = by.kelisim;
  const checks = {
    runs: Object.fromEntries(ORDER.map((t) => [t, by[t].length])),
    kelisimReturnBanner: k.filter((r) => r.ret.visible !== null).length,
    kelisimReturnConfigRequests: k.reduce((s, r) => s + r.ret.configRequests, 0),
    kelisimReturnConfigRuns: k.filter((r) => r.ret.configRequests > 0).length,
    perTool: Object.fromEntries(ORDER.map((t) => [t, {
      bannerMissing: by[t].filter((r) => r.first.visible === null).length,
      gatedBeforeConsent: by[t].filter((r) => r.first.flagsAtVisible && (r.first.flagsAtVisible.analytics || r.first.flagsAtVisible.marketing)).length,
      gatedNotAfterAccept: by[t].filter((r) => !r.first.gatedAfterAccept).length,
      acceptErrors: [...new Set(by[t].map((r) => r.first.acceptError).filter(Boolean))],
      returnBanner: by[t].filter((r) => r.ret.visible !== null).length,
      returnGatedMissing: by[t].filter((r) => !(r.ret.flagsNow.analytics && r.ret.flagsNow.marketing)).length,
      gatedNotOnce: by[t].filter((r) => r.first.flagsAfterAccept && (r.first.flagsAfterAccept.analytics !== 1 || r.first.flagsAfterAccept.marketing !== 1)).length,
      encodings: [...new Set(by[t].flatMap((r) => r.first.encodings))],
      pending: by[t].reduce((s, r) => s + r.first.pending, 0),
      postStatus: [...new Set(by[t].map((r) => r.first.postStatus).filter((x) => x !== null))],
      cookies: [...new Set(by[t].flatMap((r) => r.cookies))].sort(),
    }])),
    kelisimTimeline: Object.fromEntries([
      ...['asset:loader', 'asset:glue', 'asset:glue:start', 'config', 'config:start', 'asset:wasm', 'asset:wasm:start'].map((kd) => [kd, median(k.map((r) => r.first.timeline[kd] ?? null))]),
      ...['wasmCall', 'wasmReady', 'shadowRoot'].map((kd) => [kd, median(k.map((r) => r.first.marks?.[kd] ?? null))]),
      ['inDom', median(k.map((r) => r.first.inDom))], ['visible', median(k.map((r) => r.first.visible))],
      ['dcl', median(k.map((r) => r.first.dcl))], ['load', median(k.map((r) => r.first.load))]]),
    peerTimeline: Object.fromEntries(['cc', 'orejime'].map((t) => [t, Object.fromEntries([
      ...['asset:css', 'config', 'asset:js'].map((kd) => [kd, median(by[t].map((r) => r.first.timeline[kd] ?? null))]),
      ['inDom', median(by[t].map((r) => r.first.inDom))], ['visible', median(by[t].map((r) => r.first.visible))],
      ['dcl', median(by[t].map((r) => r.first.dcl))], ['load', median(by[t].map((r) => r.first.load))]])])),
    kelisimAssets: Object.fromEntries(['asset:loader', 'asset:glue', 'asset:wasm'].map((kd) => [kd, median(k.map((r) => r.first.assets[kd] ?? null))])),
  };
  return { rows, checks };
}

function table(rows) {
  const head = `| Metric (median, IQR in brackets for times) | Kelisim | vanilla-cookieconsent 3.1.0 | orejime 3.2.1 | Kelisim / vanilla-cc | Kelisim / orejime |\n|---|---:|---:|---:|---:|---:|`;
  const lines = rows.map((r) => {
    const c = (t) => {
      const x = r.cells[t];
      return r.spread && x.med !== null ? `${fmt(x.med, r.fmt)} (${fmt(x.q1, r.fmt)}–${fmt(x.q3, r.fmt)})` : fmt(x.med, r.fmt);
    };
    return `| ${r.label} | ${c('kelisim')} | ${c('cc')} | ${c('orejime')} | ${fmt(r.rCc, 'ratio')} | ${fmt(r.rOre, 'ratio')} |`;
  });
  return [head, ...lines].join('\n');
}

function verdicts(rows, checks, throttled) {
  const get = (k) => rows.find((r) => r.key === k);
  const v = [];
  const b = get('assetBody'), t = get('visible'), s = get('scriptReturn');
  const yes = (c) => (c ? '**met**' : '**not met**');
  v.push(`- Transfer ≤ 1.15× vanilla-cookieconsent's: ${yes(b.rCc !== null && b.rCc <= 1.15)} — ${fmt(b.cells.kelisim.med, 'bytes')} vs ${fmt(b.cells.cc.med, 'bytes')} bytes (ratio ${fmt(b.rCc, 'ratio')}; the budget is ${fmt(b.cells.cc.med * 1.15, 'bytes')} bytes).`);
  v.push(`- Time to visible ≤ 0.7× vanilla-cookieconsent's: ${yes(t.rCc !== null && t.rCc <= 0.7)} — ${fmt(t.cells.kelisim.med, 'ms')} vs ${fmt(t.cells.cc.med, 'ms')} ms (ratio ${fmt(t.rCc, 'ratio')}); aim, orejime's ${fmt(t.cells.orejime.med, 'ms')} ms: ${t.rOre !== null && t.rOre <= 1 ? 'reached' : 'not reached'} (ratio ${fmt(t.rOre, 'ratio')}).`);
  if (throttled) {
    const x = throttled.find((r) => r.key === 'visible');
    v.push(`- Time to visible with ${throttled.rate}× CPU throttling ≤ 0.85× vanilla-cookieconsent's: ${yes(x.rCc !== null && x.rCc <= 0.85)} — ${fmt(x.cells.kelisim.med, 'ms')} vs ${fmt(x.cells.cc.med, 'ms')} ms (ratio ${fmt(x.rCc, 'ratio')}); orejime ${fmt(x.cells.orejime.med, 'ms')} ms (ratio ${fmt(x.rOre, 'ratio')}).`);
  }
  v.push(`- Return-visit script time ≤ vanilla-cookieconsent's: ${yes(s.rCc !== null && s.rCc <= 1)} — ${fmt(s.cells.kelisim.med, 'ms')} vs ${fmt(s.cells.cc.med, 'ms')} ms (ratio ${fmt(s.rCc, 'ratio')}).`);
  const n = checks.runs.kelisim;
  v.push(`- Return visit, no banner: ${yes(checks.kelisimReturnBanner === 0)} — banner shown in ${checks.kelisimReturnBanner} of ${n} return visits.`);
  v.push(`- Return visit, no config request: ${yes(checks.kelisimReturnConfigRequests === 0)} — ${checks.kelisimReturnConfigRequests} config request(s) in ${n} return visits.`);
  return v.join('\n');
}

function sanity(checks) {
  const lines = [];
  for (const t of ORDER) {
    const c = checks.perTool[t];
    lines.push(`- ${TOOLS[t].label}: ${checks.runs[t]} runs; banner not seen on first visit: ${c.bannerMissing}; gated script ran before consent: ${c.gatedBeforeConsent}; gated scripts did not run after Accept: ${c.gatedNotAfterAccept}; gated scripts not run exactly once: ${c.gatedNotOnce}${c.acceptErrors.length ? ` (${c.acceptErrors.join('; ')})` : ''}; banner on return visit: ${c.returnBanner}; gated scripts missing on return visit: ${c.returnGatedMissing}; content-encoding of its assets: ${c.encodings.join(', ') || '—'}${c.postStatus.length ? `; consent POST status: ${c.postStatus.join(', ')}` : ''}; cookies after Accept: ${c.cookies.join(', ')}.`);
  }
  return lines.join('\n');
}

// Milestones of the first visit (medians, ms from navigation start), to see where time goes.
function timelineTable(checks) {
  const k = checks.kelisimTimeline, c = checks.peerTimeline.cc, o = checks.peerTimeline.orejime;
  const rows = [
    ['DOMContentLoaded', k.dcl, c.dcl, o.dcl],
    ['banner CSS response complete', null, c['asset:css'], o['asset:css']],
    ['loader (Kelisim) / config script (peers) response complete', k['asset:loader'], c.config, o.config],
    ['host JS (Kelisim) / library JS (peers) response complete', k['asset:glue'], c['asset:js'], o['asset:js']],
    ['host JS request start', k['asset:glue:start'], null, null],
    ['config API request start', k['config:start'], null, null],
    ['config API response complete', k.config, null, null],
    ['WASM request start', k['asset:wasm:start'], null, null],
    ['WASM response complete', k['asset:wasm'], null, null],
    ['WebAssembly module compilation started (compileStreaming, instantiate or new WebAssembly.Module)', k.wasmCall, null, null],
    ['WebAssembly module compiled', k.wasmReady, null, null],
    ['shadow root attached', k.shadowRoot, null, null],
    ['banner element in the DOM (first frame that finds it)', k.inDom, c.inDom, o.inDom],
    ['banner visible (first frame with opacity > 0)', k.visible, c.visible, o.visible],
    ['load event end', k.load, c.load, o.load],
  ];
  return ['| First visit, median ms from navigation start | Kelisim | vanilla-cookieconsent | orejime |', '|---|---:|---:|---:|',
    ...rows.map(([l, ...v]) => `| ${l} | ${v.map((x) => fmt(x, 'ms')).join(' | ')} |`)].join('\n');
}

const BEGIN = '<!-- bench-widget:begin (generated by bench/widget/run.mjs; edit outside these markers) -->';
const END = '<!-- bench-widget:end -->';

function writeDoc(file, generated) {
  const block = `${BEGIN}\n${generated}\n${END}`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\nMeasured on the project\'s own machines, side by side in one run, reported as ratios. Each section says the command that produced it; absolute numbers move with the machine and its load, the ratios are what the budgets are about.\n';
  const bi = doc.indexOf(BEGIN.slice(0, 30)), ei = doc.indexOf(END);
  if (bi >= 0 && ei > bi) {
    doc = doc.slice(0, bi) + block + doc.slice(ei + END.length);
  } else {
    const section = `## Widget\n\n${block}\n`;
    const m = doc.match(/^## Widget[^\n]*\n/m);
    if (m) {
      // A `## Widget` heading without the markers: replace that section up to the next `## `.
      const start = m.index, rest = doc.slice(start + m[0].length), next = rest.search(/^## /m);
      doc = doc.slice(0, start) + section + (next >= 0 ? '\n' + rest.slice(next) : '');
    } else {
      doc = doc.replace(/\s*$/, '\n\n') + section;
    }
  }
  fs.writeFileSync(file, doc);
}

function gitRev() {
  try {
    const rev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'widget', 'server', 'shared'], { encoding: 'utf8' }).trim();
    return dirty ? `${rev} + uncommitted changes in widget/server/shared` : rev;
  } catch { return 'unknown'; }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const [name, want] of Object.entries(PINNED)) {
    const pj = path.join(opts.modules, name, 'package.json');
    if (!fs.existsSync(pj)) die(`${name} is not installed in ${opts.modules} (cargo xtask bench widget installs it)`);
    const have = JSON.parse(fs.readFileSync(pj, 'utf8')).version;
    if (have !== want) die(`${name} ${have} is installed in ${opts.modules}, the benchmark pins ${want}`);
  }
  if (!fs.existsSync(opts.kelisim)) die(`no Kelisim binary at ${opts.kelisim} (cargo xtask build)`);
  const { chromium } = await import(pathToFileURL(path.join(opts.modules, 'playwright-core/index.mjs')).href);
  const nm = (p) => fs.readFileSync(path.join(opts.modules, p));
  const local = (p) => fs.readFileSync(path.join(HERE, p));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kelisim-bench-'));

  // Files of the page server; the pages are filled in once both ports are known.
  const JS = 'text/javascript; charset=utf-8', CSS = 'text/css; charset=utf-8', HTML = 'text/html; charset=utf-8';
  const day = 'public, max-age=86400';
  const files = new Map([
    ['/assets/cookieconsent.umd.js', { body: nm('vanilla-cookieconsent/dist/cookieconsent.umd.js'), type: JS, cache: day }],
    ['/assets/cookieconsent.css', { body: nm('vanilla-cookieconsent/dist/cookieconsent.css'), type: CSS, cache: day }],
    ['/assets/orejime-standard-en.js', { body: nm('orejime/dist/orejime-standard-en.js'), type: JS, cache: day }],
    ['/assets/orejime-standard.css', { body: nm('orejime/dist/orejime-standard.css'), type: CSS, cache: day }],
    ['/cookieconsent-config.js', { body: local('peers/cookieconsent-config.js'), type: JS, cache: day }],
    ['/orejime-config.js', { body: local('peers/orejime-config.js'), type: JS, cache: day }],
    ['/marketing.js', { body: Buffer.from("window.__benchMarketing=(window.__benchMarketing||0)+1;document.cookie='_bench_m=1; path=/';new Image().src='/pixel.gif';\n"), type: JS, cache: 'no-cache' }],
    ['/pixel.gif', { body: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'), type: 'image/gif', cache: 'no-store' }],
    ['/privacy', { body: Buffer.from('<!doctype html><title>Privacy</title><p>Privacy policy.</p>'), type: HTML, cache: 'no-cache' }],
  ]);
  let served = null;
  const pageSrv = await startPageServer({ get: (p) => served.get(p) });
  const pageOrigin = `http://127.0.0.1:${pageSrv.address().port}`;
  const kel = await startKelisim(opts.kelisim, pageOrigin, tmp);
  const cleanup = () => { try { kel.child.kill('SIGTERM'); } catch {} try { pageSrv.close(); } catch {} fs.rmSync(tmp, { recursive: true, force: true }); };
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });
  try {
    const template = fs.readFileSync(path.join(HERE, 'page.html'), 'utf8');
    for (const t of ORDER) {
      const T = TOOLS[t];
      const html = template.replace('<!--HEAD-->', T.head(kel.origin)).replace('<!--GATED-->', T.gated).replace('<!--BODY-END-->', T.bodyEnd);
      files.set(`/${t}.html`, { body: Buffer.from(html), type: HTML, cache: 'no-cache' });
    }
    served = compressAll(files);
    const urls = Object.fromEntries(ORDER.map((t) => [t, `${pageOrigin}/${t}.html`]));
    if (opts.serve) {
      // Look at the pages by hand: `node bench/widget/run.mjs --serve`, Ctrl-C to stop.
      console.log(`serving until Ctrl-C:\n${ORDER.map((t) => `  ${urls[t]}`).join('\n')}`);
      await new Promise(() => {});
    }

    // What each asset weighs: raw, as served (Kelisim: what its server sends), and brotli q11.
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(path.dirname(opts.kelisim)), 'widget-dist/manifest.json'), 'utf8'));
    const kelisimFiles = [['loader (/kelisim.js)', '/kelisim.js'], ['host JS (with CSS)', `/widget/${manifest.glue}`], ['WASM', `/widget/${manifest.wasm}`]];
    const sizes = [];
    for (const [label, p] of kelisimFiles) {
      const raw = await getRaw(kel.origin + p);
      sizes.push({ tool: 'Kelisim', label, raw: raw.length, q11: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length });
    }
    for (const [tool, p, label] of [['vanilla-cookieconsent', '/assets/cookieconsent.umd.js', 'cookieconsent.umd.js'], ['vanilla-cookieconsent', '/assets/cookieconsent.css', 'cookieconsent.css'],
      ['orejime', '/assets/orejime-standard-en.js', 'orejime-standard-en.js'], ['orejime', '/assets/orejime-standard.css', 'orejime-standard.css']]) {
      const f = served.get(p);
      sizes.push({ tool, label, raw: f.raw.length, q11: f.br.length });
    }

    const chromiumVersion = execFileSync(opts.chromium, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    console.log(`pages on ${pageOrigin}, Kelisim on ${kel.origin}; ${chromiumVersion}; ${opts.rounds} rounds + ${opts.warmup} warm-up`);
    const PERMS = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]];
    const results = [];
    const throttledResults = [];
    const failures = [];
    for (let round = -opts.warmup; round < opts.rounds; round++) {
      const order = PERMS[((round % 6) + 6) % 6].map((i) => ORDER[i]);
      for (const tool of order) {
        let r;
        try { r = await run(chromium, opts, tool, urls, kel.origin); } catch (e) {
          failures.push(`${tool} round ${round}: ${e.message.split('\n')[0]}`);
          console.log(`  round ${round < 0 ? 'warm-up' : round + 1} ${tool}: FAILED ${e.message.split('\n')[0]}`);
          continue;
        }
        // The same tool again with the CPU slowed down (a slow phone), right after.
        let th = null;
        if (opts.throttle > 1) {
          try { th = await run(chromium, opts, tool, urls, kel.origin, opts.throttle); } catch (e) {
            failures.push(`${tool} round ${round} (${opts.throttle}× CPU throttling): ${e.message.split('\n')[0]}`);
          }
        }
        if (round < 0) continue;
        results.push({ round, ...r });
        if (th) throttledResults.push({ round, ...th });
        const f = r.first;
        console.log(`  round ${round + 1} ${tool.padEnd(8)} bytes ${String(f.assetBody).padStart(6)}  visible ${fmt(f.visible, 'ms').padStart(6)} ms  script ${fmt(f.scriptMs, 'ms').padStart(5)} / return ${fmt(r.ret.scriptMs, 'ms').padStart(5)} ms  cls ${fmt(f.cls, 'cls')}  return banner ${r.ret.visible === null ? 'no' : 'YES'}${tool === 'kelisim' ? ` config requests ${r.ret.configRequests}` : ''}${th ? `  | ${opts.throttle}× CPU: visible ${fmt(th.first.visible, 'ms').padStart(6)} ms` : ''}`);
      }
    }
    const { rows, checks } = summarize(results);
    let throttled = null;
    if (throttledResults.length) {
      throttled = rowsFor(throttledResults, METRICS.filter((m) => THROTTLED.includes(m.key)));
      throttled.rate = opts.throttle;
    }
    const throttledTable = throttled ? [
      `With ${opts.throttle}× CPU throttling (DevTools \`Emulation.setCPUThrottlingRate\` on the page from before it loads; one throttled first visit of each tool right after its unthrottled run, same rounds; ${throttledResults.filter((r) => r.first.visible === null).length} throttled run(s) without a visible banner):`,
      '',
      table(throttled),
      '',
    ].join('\n') : '';
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    const command = opts.command || `node bench/widget/run.mjs --rounds ${opts.rounds}`;
    const sizeTable = ['| Tool | File | Raw bytes | Brotli q11 bytes |', '|---|---|---:|---:|',
      ...sizes.map((s) => `| ${s.tool} | ${s.label} | ${fmt(s.raw, 'bytes')} | ${fmt(s.q11, 'bytes')} |`)].join('\n');
    const ka = checks.kelisimAssets, kt = checks.kelisimTimeline;
    const generated = [
      `Command: \`${command}\` — ${date}, ${os.cpus().length} cores, ${chromiumVersion}, Node ${process.version}, playwright-core ${PINNED['playwright-core']}; Kelisim ${gitRev()}. ${opts.rounds} interleaved rounds (+${opts.warmup} warm-up, discarded), fresh profile per run.${failures.length ? ` ${failures.length} run(s) failed and are left out: ${failures.join('; ')}.` : ''}`,
      '',
      table(rows),
      '',
      throttledTable,
      'Targets (the budgets):',
      '',
      verdicts(rows, checks, throttled),
      '',
      `Kelisim's first visit, medians: assets as served ${fmt(ka['asset:loader'], 'bytes')} B loader + ${fmt(ka['asset:glue'], 'bytes')} B host JS + ${fmt(ka['asset:wasm'], 'bytes')} B WASM.`,
      '',
      timelineTable(checks),
      '',
      'Sizes of the files themselves (Kelisim: fetched from its server uncompressed, then brotli q11 here for comparison; the peers: the npm files, served precompressed at q11):',
      '',
      sizeTable,
      '',
      'Sanity checks of this run:',
      '',
      sanity(checks),
    ].join('\n');
    console.log('\n' + table(rows) + '\n\n' + throttledTable + '\n' + timelineTable(checks) + '\n\n' + verdicts(rows, checks, throttled) + '\n\n' + sanity(checks) + '\n\n' + sizeTable);
    if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ date, command, results, throttledResults, checks, sizes }, null, 1));
    if (opts.write) {
      writeDoc(opts.write, `${HOW}\n\n### Results\n\n${generated}`);
      console.log(`\nwrote the results into ${path.relative(process.cwd(), opts.write)} (## Widget)`);
    }
    if (!results.length) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

const HOW = `How it works: \`cargo xtask bench widget\` installs vanilla-cookieconsent ${PINNED['vanilla-cookieconsent']}, orejime ${PINNED.orejime} and playwright-core ${PINNED['playwright-core']} from npm into \`target/bench/\`, builds the widget and the server, and runs \`bench/widget/run.mjs\`. That script serves three copies of one small page (\`bench/widget/page.html\`) from 127.0.0.1 and starts the real \`kelisim serve\` with \`bench/widget/sites/bench.toml\`. Each page has the same three categories (necessary, analytics, marketing) and the same two gated scripts — an inline analytics script and an external marketing script (\`/marketing.js\`, which fetches a pixel from 127.0.0.1) that only set flags and cookies — in each tool's own gating syntax. The peers are set up the way their documentation does it (\`bench/widget/peers/\`): vanilla-cookieconsent's stylesheet in \`<head>\` and its config module at the end of \`<body>\`; orejime's \`window.orejimeConfig\`, English standard build and stylesheet; their own CSS, nothing trimmed. Kelisim's page has only \`<script src=".../kelisim.js" data-site="bench">\` in \`<head>\`. The pages are in English for all three (orejime has no Russian or Kazakh build); Kelisim's config still carries its kk/ru/en texts. The peers' files are served precompressed (brotli q11, gzip -9 as fallback) with \`Cache-Control: public, max-age=86400\`; Kelisim's files are exactly what its server sends (its own encoding and caching: \`/kelisim.js\` max-age=300, \`/widget/*\` immutable).

Each run launches Chromium (\`/usr/bin/chromium\`, headless, fresh \`--user-data-dir\`, \`--disable-blink-features=AutomationControlled\` so that \`navigator.webdriver\` is false as for a real visitor — vanilla-cookieconsent hides itself from automated browsers by default) through playwright-core, opens the page (first visit), clicks the banner's Accept-all button, then opens the page again in the same profile (return visit). Right after, the same tool runs once more in a fresh profile with the CPU slowed down 4× (DevTools \`Emulation.setCPUThrottlingRate\`, a slow phone; first visit and Accept only). The rounds go round-robin through the three tools, the order rotating through all six permutations, so that background load (another engineer compiling on the same two cores) hits all three alike.

What is measured:
- **Bytes**: from the Chrome DevTools Protocol — \`Network.loadingFinished.encodedDataLength\` (bytes on the wire, HTTP/1.1 headers included) minus the header bytes at \`Network.responseReceived\` = the compressed body. Banner assets are Kelisim's loader + host JS (with its CSS) + WASM, the peers' JS + CSS; the site's banner config (Kelisim's config API response, the peers' config script) is counted separately. Content-Encoding is checked to be \`br\`.
- **Time to banner visible**: an init script checks once per animation frame whether the first layer (\`#kelisim\` shadow root \`[data-kelisim="banner"]\`, \`#cc-main .cm\`, \`.orejime-Banner\`) is in the viewport with a non-empty box and \`checkVisibility({opacityProperty, visibilityProperty})\` is true; the time is \`performance.now()\` in that frame (from navigation start, one-frame resolution). A fade-in counts from its first frame with opacity above 0 (vanilla-cookieconsent adds its animation class 100 ms after inserting the modal, then fades in).
- **Main-thread script time**: \`Performance.getMetrics\` ScriptDuration (and TaskDuration, all main-thread work) before navigation and ${SETTLE_MS} ms after the banner became visible (first visit) or after both gated scripts ran (return visit, with the decision stored).
- **CLS**: \`PerformanceObserver\` \`layout-shift\` entries, largest session window, over the same window.
- **Return visit**: whether the banner showed, whether a config request was made, and the bytes the banner's assets cost over the network.`;

main().catch((e) => { console.error(e); process.exit(1); });
