// What only the preferences dialog needs, loaded the first time it opens (host.js `ui`): most
// visitors decide on the first layer and never download it.
// Labels W1–W13 name the widget's behaviours; docs/architecture.md defines them.
import css from './prefs.css';
export { css };

// Escape closes the dialog; Tab and Shift+Tab keep focus inside it (W12), on the shadow root `R`.
export function keys(R, close) {
  R.addEventListener('keydown', (e) => {
    const d = R.querySelector('[data-kelisim="preferences"]');
    if (!d) return;
    if (e.key == 'Escape') { e.preventDefault(); close(); }
    if (e.key == 'Tab') {
      const l = d.querySelectorAll('button, input:not([disabled]), a[href], summary'), a = R.activeElement;
      const to = e.shiftKey ? (!a || a == l[0]) && l[l.length - 1] : (!a || a == l[l.length - 1]) && l[0];
      if (to) { e.preventDefault(); to.focus(); }
    }
  });
}
