// Stand-ins for widget/host.js in the module's in-browser tests (src/browser_tests.rs, run by
// wasm-bindgen-test-runner in headless Chromium): the page's side of the import block of
// src/host.rs does nothing to the DOM, and each call is recorded for the tests to read. The
// browser itself (document.cookie, crypto.getRandomValues, navigator, Date) is the real one.
const log = [];
const rec = (name, ret) => (...args) => { log.push([name, ...args].join(' ')); return ret; };
export const warn = rec('warn'), root = rec('root'), ui = rec('ui'), focus = rec('focus', false);
export const saveFocus = rec('saveFocus'), forgetFocus = rec('forgetFocus'), focusIsOurs = rec('focusIsOurs', false);
export const consentMode = rec('consentMode'), post = rec('post'), emit = rec('emit'), reload = rec('reload');
export const checked = rec('checked', ''), setChecked = rec('setChecked'), config = rec('config');
export const deleteCookies = rec('deleteCookies');
// No gated elements on the test page: nothing ran.
export const enable = rec('enable', '');
export const env = rec('env', location.href + '\nru');

/** The calls recorded since the last time, one per line (`NAME ARGS…`). */
export function calls() { return log.splice(0).join('\n'); }

/** Sets `navigator.globalPrivacyControl` (1 true, 0 false, -1 absent), as a browser with the signal on, off or unaware. */
export function setGpc(v) {
  if (v < 0) delete Navigator.prototype.globalPrivacyControl;
  else Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { configurable: true, get: () => v == 1 });
}
