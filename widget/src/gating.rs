//! W4: elements marked `data-category` stay inert until their category is granted.
//!
//! `<script type="text/plain" data-category="ID">` (inline, `src` or `data-src`) is replaced
//! by a live copy; `<iframe|img data-category data-src>` gets its `src`. Scripts run in
//! document order (`async = false` keeps the insertion order for external ones). Each element
//! is enabled once (`data-kelisim-on` marks it), so a second decision never re-runs a script.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlScriptElement};

/// Enables every not-yet-enabled gated element whose category is in `granted`. Returns how
/// many elements were enabled.
pub fn enable(doc: &Document, granted: &[String]) -> u32 {
    let Ok(list) = doc.query_selector_all("[data-category]:not([data-kelisim-on])") else { return 0 };
    let mut n = 0;
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        // Our own toggles live in the shadow root and are never matched here.
        let cat = el.get_attribute("data-category").unwrap_or_default();
        if !granted.iter().any(|g| *g == cat) {
            continue;
        }
        if enable_one(doc, &el) {
            n += 1;
        }
    }
    n
}

fn enable_one(doc: &Document, el: &Element) -> bool {
    let tag = el.tag_name();
    let _ = el.set_attribute("data-kelisim-on", "");
    if tag.eq_ignore_ascii_case("script") {
        if el.get_attribute("type").as_deref() != Some("text/plain") {
            return false;
        }
        let Ok(live) = doc.create_element("script") else { return false };
        let attrs = el.attributes();
        for i in 0..attrs.length() {
            if let Some(a) = attrs.item(i) {
                let name = a.name();
                if name != "type" && name != "data-src" {
                    let _ = live.set_attribute(&name, &a.value());
                }
            }
        }
        if let Some(t) = el.get_attribute("data-type") {
            let _ = live.set_attribute("type", &t);
        }
        let live: HtmlScriptElement = live.unchecked_into();
        if let Some(src) = el.get_attribute("data-src").or_else(|| el.get_attribute("src")) {
            live.set_src(&src);
            live.set_async(false);
        } else {
            live.set_text(&el.text_content().unwrap_or_default()).ok();
        }
        if let Some(parent) = el.parent_node() {
            let _ = parent.replace_child(&live, el);
        }
        true
    } else if let Some(src) = el.get_attribute("data-src") {
        let _ = el.set_attribute("src", &src);
        true
    } else {
        false
    }
}
