/*! Kelisim · kelisim.kz */
// Placeholders for embeds that wait for consent (host.js loads this file only when the page has
// an iframe or video with `data-category` whose category is not granted). Each gets, in its own
// box and size, what it is, the category it needs, a button that loads it now (`allow`: grants
// that category, through host.js's `ask`) and a link to the preferences. `L` is the server's
// markup of the visitor's language (shared/src/render.rs `embed_placeholders`), `sel` the
// embeds that wait. Nothing here is imported from host.js: this file stays one request.
export function hold(L, sel, ask) {
  for (const el of document.querySelectorAll(sel)) {
    const h = L.embeds[el.dataset.category], src = el.dataset.src || '';
    if (el.kp || !h) continue;
    const p = (el.kp = document.createElement('div')), s = p.style, r = el.getBoundingClientRect();
    p.className = el.className;
    p.dataset.kelisim = 'placeholder';
    p.innerHTML = h;
    p.onclick = (e) => e.target.closest('[data-action=allow]') && ask('allow ' + el.dataset.category);
    // The name is the page's text (a title attribute): set as text, never as markup.
    p.querySelector('b').textContent = (L.known.find((k) => src.includes(k[0])) || [])[1] || el.title || L.unnamed;
    // Styles through the CSSOM, which a strict CSP allows (style attributes in markup it does not).
    Object.assign(s, { boxSizing: 'border-box', width: r.width + 'px', minHeight: r.height + 'px', maxWidth: '100%', padding: '16px',
      display: 'flex', flexDirection: 'column', justifyContent: 'center', gap: '8px', background: '#f3f4f6', color: '#1a1a1a', border: '1px solid #c9c9c9', font: '15px/1.45 system-ui,sans-serif' });
    el.before(p);
    el.hidden = true;
  }
}
