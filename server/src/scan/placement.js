// kelisim scan: where the page's HTML, as its server sends it, puts the Kelisim loader.
// Evaluated in the scanned page after its first visit (visit.rs, Tab::placement); answers an
// observe::Placement. DOMParser builds a document that runs none of its scripts.
(async function () {
  var r = await fetch(location.href, { credentials: 'include', cache: 'force-cache', redirect: 'follow' });
  if (!r.ok) return { page: '', found: false, error: 'the page answered HTTP ' + r.status + ' when read again' };
  var d = new DOMParser().parseFromString(await r.text(), 'text/html');
  // Scripts that run: no type, a JavaScript type, or a module (not text/plain, JSON, importmap…).
  function runs(s) {
    var t = (s.getAttribute('type') || '').trim().toLowerCase();
    return t === '' || t === 'module' || /^(text|application)\/(x-)?(java|ecma)script$/.test(t);
  }
  function isLoader(s) {
    var src = s.getAttribute('src');
    if (!src) return false;
    try { return /\/kelisim\.js$/.test(new URL(src, location.href).pathname); } catch (e) { return false; }
  }
  var all = Array.prototype.slice.call(d.querySelectorAll('script'));
  var at = -1;
  for (var i = 0; i < all.length; i++) if (isLoader(all[i])) { at = i; break; }
  if (at < 0) return { page: '', found: false };
  var loader = all[at], before = [];
  for (var j = 0; j < at; j++) {
    var s = all[j];
    if (!runs(s)) continue;
    var src = s.getAttribute('src');
    if (src) { try { before.push(new URL(src, location.href).href); } catch (e) { before.push(src); } }
    else before.push('inline: ' + s.textContent.replace(/\s+/g, ' ').trim().slice(0, 80));
  }
  return {
    page: '',
    found: true,
    in_head: !!loader.closest('head'),
    deferred: loader.hasAttribute('async') || loader.hasAttribute('defer') || loader.getAttribute('type') === 'module',
    site: loader.getAttribute('data-site'),
    before: before
  };
})()
