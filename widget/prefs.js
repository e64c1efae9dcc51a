// The preferences dialog's styles, loaded the first time the dialog opens (host.js `ui`): most
// visitors decide on the first layer and never download them.
import css from './prefs.css';
export default css;
