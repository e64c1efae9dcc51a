//! The page: the markup is `index.html` (labels, regions, the live verdict); this fills in the
//! texts of the chosen language (`data-t`, `data-t-label` attributes), takes the bundle from the
//! file input or a drop, hands it to the worker, and shows progress, the verdict and the
//! records. Every value from the bundle goes in as text (`textContent`), never as markup.

use crate::i18n::{t, Lang};
use crate::{Command, Message, Query, Row};
use gloo_events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, HtmlElement, HtmlInputElement, HtmlProgressElement, HtmlSelectElement, MessageEvent, Worker,
};

const PAGE: u64 = 50;

struct Page {
    doc: Document,
    lang: Lang,
    make_worker: js_sys::Function,
    worker: Option<(Worker, Vec<EventListener>)>,
    /// The last verdict (or error), drawn again when the language changes.
    verdict: Option<Message>,
    progress: Option<Message>,
    query: Query,
    rows: Option<Message>,
}

type Shared = Rc<RefCell<Page>>;

fn el(doc: &Document, id: &str) -> Element {
    doc.get_element_by_id(id).unwrap_or_else(|| panic!("#{id} is in index.html"))
}

fn add(doc: &Document, parent: &Element, tag: &str, text: &str) -> Element {
    let e = doc.create_element(tag).expect("an element");
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e).expect("appended");
    e
}

/// A localized text into `e`: what is between backticks becomes `<code>`, the rest text.
fn set_t(doc: &Document, e: &Element, text: &str) {
    e.set_text_content(None);
    for (i, part) in text.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        if i % 2 == 1 {
            add(doc, e, "code", part);
        } else {
            let _ = e.append_child(&doc.create_text_node(part));
        }
    }
}

/// A new element holding a localized text.
fn add_t(doc: &Document, parent: &Element, tag: &str, text: &str) -> Element {
    let e = add(doc, parent, tag, "");
    set_t(doc, &e, text);
    e
}

fn fill(s: &str, values: &[(&str, String)]) -> String {
    let mut out = s.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// The language: `?lang=` or `#lang=` first, then the browser's languages, then Russian.
fn initial_lang() -> Lang {
    let window = web_sys::window().expect("a window");
    let loc = window.location();
    let from_url = [loc.search().unwrap_or_default(), loc.hash().unwrap_or_default()]
        .iter()
        .find_map(|s| s.split(['?', '#', '&']).find_map(|p| p.strip_prefix("lang=")).and_then(Lang::parse));
    if let Some(l) = from_url {
        return l;
    }
    let langs = window.navigator().languages();
    langs.iter().filter_map(|l| l.as_string()).find_map(|l| Lang::parse(&l)).unwrap_or(Lang::Ru)
}

pub fn start(make_worker: js_sys::Function) {
    let doc = web_sys::window().and_then(|w| w.document()).expect("a document");
    let page: Shared = Rc::new(RefCell::new(Page {
        doc: doc.clone(),
        lang: initial_lang(),
        make_worker,
        worker: None,
        verdict: None,
        progress: None,
        query: Query { limit: PAGE, ..Query::default() },
        rows: None,
    }));
    let select: HtmlSelectElement = el(&doc, "lang").unchecked_into();
    select.set_value(page.borrow().lang.code());
    {
        let page = page.clone();
        EventListener::new(&select.clone(), "change", move |_| {
            let lang = Lang::parse(&select.value()).unwrap_or(Lang::Ru);
            page.borrow_mut().lang = lang;
            draw_all(&page.borrow());
        })
        .forget();
    }
    let input: HtmlInputElement = el(&doc, "file").unchecked_into();
    {
        let page = page.clone();
        let input2 = input.clone();
        EventListener::new(&input, "change", move |_| {
            if let Some(f) = input2.files().and_then(|l| l.get(0)) {
                verify(&page, f);
            }
        })
        .forget();
    }
    // A bundle dropped anywhere on the page.
    let body = doc.body().expect("a body");
    let zone = el(&doc, "pick");
    let opts = EventListenerOptions::enable_prevent_default();
    for ty in ["dragenter", "dragover"] {
        let zone = zone.clone();
        EventListener::new_with_options(&body, ty, opts, move |e| {
            e.prevent_default();
            let _ = zone.class_list().add_1("over");
        })
        .forget();
    }
    {
        let zone2 = zone.clone();
        EventListener::new(&body, "dragleave", move |_| {
            let _ = zone2.class_list().remove_1("over");
        })
        .forget();
    }
    {
        let page = page.clone();
        EventListener::new_with_options(&body, "drop", opts, move |e| {
            e.prevent_default();
            let _ = zone.class_list().remove_1("over");
            let file = e
                .dyn_ref::<web_sys::DragEvent>()
                .and_then(|d| d.data_transfer())
                .and_then(|d| d.files())
                .and_then(|l| l.get(0));
            if let Some(f) = file {
                verify(&page, f);
            }
        })
        .forget();
    }
    // The records' filter and paging.
    {
        let page = page.clone();
        EventListener::new_with_options(&el(&doc, "filter"), "submit", opts, move |e| {
            e.prevent_default();
            let doc = page.borrow().doc.clone();
            let value = |id: &str| el(&doc, id).unchecked_into::<HtmlInputElement>().value();
            let q = Query {
                action: el(&doc, "f-action").unchecked_into::<HtmlSelectElement>().value(),
                from: value("f-from"),
                to: value("f-to"),
                consent_id: value("f-consent"),
                offset: 0,
                limit: PAGE,
            };
            query(&page, q);
        })
        .forget();
    }
    for (id, step) in [("prev", -1i64), ("next", 1)] {
        let page = page.clone();
        EventListener::new(&el(&doc, id), "click", move |_| {
            let mut q = page.borrow().query.clone();
            q.offset = if step < 0 { q.offset.saturating_sub(PAGE) } else { q.offset + PAGE };
            query(&page, q);
        })
        .forget();
    }
    draw_all(&page.borrow());
    let _ = doc.document_element().map(|e| e.set_attribute("data-ready", "1"));
}

fn post(page: &Shared, cmd: &Command, file: Option<&web_sys::File>) {
    let msg = js_sys::Array::new();
    msg.push(&JsValue::from_str(&serde_json::to_string(cmd).expect("commands serialize")));
    if let Some(f) = file {
        msg.push(f);
    }
    let p = page.borrow();
    if let Some((w, _)) = &p.worker {
        let _ = w.post_message(&msg);
    }
}

/// A new worker for each bundle: whatever the last one was doing is dropped with it.
fn verify(page: &Shared, file: web_sys::File) {
    {
        let mut p = page.borrow_mut();
        if let Some((old, _)) = p.worker.take() {
            old.terminate();
        }
        let worker = match p.make_worker.call0(&JsValue::NULL).and_then(|w| w.dyn_into::<Worker>()) {
            Ok(w) => w,
            Err(e) => {
                p.verdict = Some(Message::Error { message: crate::worker_error(&e) });
                drop(p);
                draw_all(&page.borrow());
                return;
            }
        };
        let on_message = {
            let page = page.clone();
            EventListener::new(&worker, "message", move |e| {
                let Some(text) = e.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) else { return };
                if let Ok(m) = serde_json::from_str::<Message>(&text) {
                    received(&page, m);
                }
            })
        };
        let on_error = {
            let page = page.clone();
            EventListener::new(&worker, "error", move |e| {
                let message = e
                    .dyn_ref::<web_sys::ErrorEvent>()
                    .map(|e| e.message())
                    .unwrap_or_else(|| "the worker stopped".into());
                received(&page, Message::Error { message });
            })
        };
        p.worker = Some((worker, vec![on_message, on_error]));
        p.verdict = None;
        p.rows = None;
        p.progress = Some(Message::Progress {
            stage: "Files".into(),
            done: 0,
            total: 0,
            bytes_read: 0,
            size: file.size() as u64,
        });
        p.query = Query { limit: PAGE, ..Query::default() };
    }
    reset_filter(&page.borrow().doc);
    draw_all(&page.borrow());
    post(page, &Command::Verify, Some(&file));
}

fn reset_filter(doc: &Document) {
    el(doc, "f-action").unchecked_into::<HtmlSelectElement>().set_value("");
    for id in ["f-from", "f-to", "f-consent"] {
        el(doc, id).unchecked_into::<HtmlInputElement>().set_value("");
    }
}

fn query(page: &Shared, q: Query) {
    {
        let mut p = page.borrow_mut();
        p.query = q.clone();
        let doc = p.doc.clone();
        el(&doc, "page-info").set_text_content(Some(t(p.lang, "loading")));
        let _ = el(&doc, "records").set_attribute("aria-busy", "true");
    }
    post(page, &Command::Query(q), None);
}

fn received(page: &Shared, m: Message) {
    let mut p = page.borrow_mut();
    match m {
        Message::Progress { .. } => {
            p.progress = Some(m);
            draw_progress(&p);
        }
        Message::Intact { .. } | Message::Failed { .. } | Message::Error { .. } => {
            let intact = matches!(m, Message::Intact { .. });
            let error_after_verdict =
                matches!(m, Message::Error { .. }) && matches!(p.verdict, Some(Message::Intact { .. }));
            if error_after_verdict {
                // A query failed (e.g. the file changed on disk since): said where the rows go.
                if let Message::Error { message } = &m {
                    el(&p.doc, "page-info")
                        .set_text_content(Some(&fill(t(p.lang, "error"), &[("e", message.clone())])));
                }
                return;
            }
            p.progress = None;
            p.verdict = Some(m);
            draw_all(&p);
            let verdict: HtmlElement = el(&p.doc, "verdict").unchecked_into();
            let _ = verdict.focus();
            drop(p);
            if intact {
                query(page, Query { limit: PAGE, ..Query::default() });
            }
        }
        Message::Rows { .. } => {
            p.rows = Some(m);
            draw_rows(&p);
        }
    }
}

fn draw_all(p: &Page) {
    let doc = &p.doc;
    let lang = p.lang;
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("lang", lang.code());
    }
    doc.set_title(t(lang, "title"));
    let nodes = doc.query_selector_all("[data-t]").expect("a selector");
    for i in 0..nodes.length() {
        if let Some(e) = nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let key = e.get_attribute("data-t").unwrap_or_default();
            set_t(doc, &e, t(lang, &key));
        }
    }
    let nodes = doc.query_selector_all("[data-t-label]").expect("a selector");
    for i in 0..nodes.length() {
        if let Some(e) = nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let key = e.get_attribute("data-t-label").unwrap_or_default();
            let _ = e.set_attribute("aria-label", t(lang, &key));
        }
    }
    draw_progress(p);
    draw_verdict(p);
    draw_rows(p);
}

fn draw_progress(p: &Page) {
    let status = el(&p.doc, "status").unchecked_into::<HtmlElement>();
    let Some(Message::Progress { stage, done, total, .. }) = &p.progress else {
        status.set_hidden(true);
        return;
    };
    status.set_hidden(false);
    let bar: HtmlProgressElement = el(&p.doc, "progress").unchecked_into();
    let text =
        fill(t(p.lang, &format!("stage_{stage}")), &[("done", p.lang.num(*done)), ("total", p.lang.num(*total))]);
    el(&p.doc, "stage").set_text_content(Some(&text));
    if *total > 0 {
        bar.set_max(*total as f64);
        bar.set_value(*done as f64);
    } else {
        // Indeterminate until the records start.
        let _ = bar.remove_attribute("value");
    }
}

/// A term and its value in a `<dl>`.
fn pair(doc: &Document, dl: &Element, term: &str, value: &str) -> Element {
    let row = add(doc, dl, "div", "");
    add(doc, &row, "dt", term);
    add(doc, &row, "dd", value)
}

fn draw_verdict(p: &Page) {
    let (doc, lang) = (&p.doc, p.lang);
    let box_ = el(doc, "verdict");
    box_.set_text_content(None);
    let records = el(doc, "records").unchecked_into::<HtmlElement>();
    records.set_hidden(!matches!(p.verdict, Some(Message::Intact { .. })));
    let Some(v) = &p.verdict else {
        let _ = box_.remove_attribute("data-verdict");
        return;
    };
    match v {
        Message::Intact {
            site,
            records,
            purged,
            first_seq,
            last_seq,
            tree_size,
            checkpoints,
            files,
            key,
            key_text,
            cli,
            seconds,
            wasm_memory,
        } => {
            let _ = box_.set_attribute("data-verdict", "intact");
            measured(&box_, *seconds, *wasm_memory);
            add(doc, &box_, "h2", &format!("✓ {}", t(lang, "intact")));
            let dl = add(doc, &box_, "dl", "");
            pair(doc, &dl, t(lang, "site"), site);
            let range = match (first_seq, last_seq) {
                (Some(a), Some(b)) => format!(" (seq {a}–{b})"),
                _ => String::new(),
            };
            pair(doc, &dl, t(lang, "records_in_bundle"), &format!("{}{range}", lang.num(*records)));
            if *purged > 0 {
                pair(doc, &dl, t(lang, "purged"), &lang.num(*purged));
            }
            pair(doc, &dl, t(lang, "tree_size"), &lang.num(*tree_size));
            pair(doc, &dl, t(lang, "checkpoints"), &lang.num(*checkpoints));
            pair(doc, &dl, t(lang, "files"), &lang.num(*files));
            pair(doc, &dl, t(lang, "took"), &lang.seconds(*seconds));
            let key_box = add(doc, &box_, "div", "");
            let _ = key_box.set_attribute("class", "key");
            add(doc, &key_box, "h3", t(lang, "key_heading"));
            let id = add(doc, &key_box, "p", key);
            let _ = id.set_attribute("id", "key-id");
            let _ = id.set_attribute("class", "key-id");
            add_t(doc, &key_box, "p", t(lang, "key_note"));
            let full = add(doc, &key_box, "p", "");
            add(doc, &full, "span", &format!("{}: ", t(lang, "key_full")));
            let code = add(doc, &full, "code", key_text);
            let _ = code.set_attribute("id", "key-text");
            cli_line(doc, &box_, lang, cli);
        }
        Message::Failed { file, line, seq, kind, after_export, cli, seconds, wasm_memory } => {
            let _ = box_.set_attribute("data-verdict", "failed");
            measured(&box_, *seconds, *wasm_memory);
            let _ = box_.set_attribute("data-kind", kind);
            add(doc, &box_, "h2", &format!("✗ {}", t(lang, "not_intact")));
            let dl = add(doc, &box_, "dl", "");
            let _ = pair(doc, &dl, t(lang, "where_file"), file).set_attribute("id", "bad-file");
            if let Some(l) = line {
                let _ = pair(doc, &dl, t(lang, "where_line"), &l.to_string()).set_attribute("id", "bad-line");
            }
            if let Some(s) = seq {
                let _ = pair(doc, &dl, t(lang, "where_seq"), &s.to_string()).set_attribute("id", "bad-seq");
            }
            add(doc, &box_, "p", t(lang, &format!("kind_{kind}")));
            match after_export {
                Some(true) => {
                    add(doc, &box_, "p", t(lang, "after_export_yes"));
                }
                Some(false) => {
                    add(doc, &box_, "p", t(lang, "after_export_no"));
                }
                None => {}
            }
            cli_line(doc, &box_, lang, cli);
        }
        Message::Error { message } => {
            let _ = box_.set_attribute("data-verdict", "error");
            add(doc, &box_, "p", &fill(t(lang, "error"), &[("e", message.clone())]));
        }
        _ => {}
    }
}

/// For `cargo xtask bench export`: how long the worker took and its memory.
fn measured(e: &Element, seconds: f64, wasm_memory: u64) {
    let _ = e.set_attribute("data-seconds", &format!("{seconds:.3}"));
    let _ = e.set_attribute("data-wasm-memory", &wasm_memory.to_string());
}

fn cli_line(doc: &Document, parent: &Element, lang: Lang, cli: &str) {
    let fig = add(doc, parent, "figure", "");
    add_t(doc, &fig, "figcaption", t(lang, "cli"));
    let pre = add(doc, &fig, "pre", "");
    let _ = pre.set_attribute("tabindex", "0");
    let code = add(doc, &pre, "code", cli);
    let _ = code.set_attribute("id", "cli");
}

fn action_name(lang: Lang, action: &str) -> String {
    match action {
        "purged" => t(lang, "purged_action").to_owned(),
        "accept_all" | "reject_all" | "custom" | "withdraw" => t(lang, action).to_owned(),
        other => other.to_owned(),
    }
}

fn draw_rows(p: &Page) {
    let (doc, lang) = (&p.doc, p.lang);
    let _ = el(doc, "records").remove_attribute("aria-busy");
    let tbody = el(doc, "rows-body");
    tbody.set_text_content(None);
    let info = el(doc, "page-info");
    let prev: HtmlElement = el(doc, "prev").unchecked_into();
    let next: HtmlElement = el(doc, "next").unchecked_into();
    let Some(Message::Rows { total, offset, rows }) = &p.rows else {
        info.set_text_content(None);
        let _ = prev.set_attribute("disabled", "");
        let _ = next.set_attribute("disabled", "");
        return;
    };
    if rows.is_empty() {
        info.set_text_content(Some(t(lang, "none")));
    } else {
        let a = offset + 1;
        let b = offset + rows.len() as u64;
        info.set_text_content(Some(&fill(
            t(lang, "shown"),
            &[("a", lang.num(a)), ("b", lang.num(b)), ("total", lang.num(*total))],
        )));
    }
    toggle(&prev, *offset > 0);
    toggle(&next, offset + (rows.len() as u64) < *total);
    for r in rows {
        row(doc, &tbody, lang, r);
    }
}

fn toggle(button: &HtmlElement, enabled: bool) {
    if enabled {
        let _ = button.remove_attribute("disabled");
    } else {
        let _ = button.set_attribute("disabled", "");
    }
}

fn row(doc: &Document, tbody: &Element, lang: Lang, r: &Row) {
    let tr = add(doc, tbody, "tr", "");
    let _ = tr.set_attribute("data-seq", &r.seq.to_string());
    add(doc, &tr, "th", &r.seq.to_string()).set_attribute("scope", "row").ok();
    add(doc, &tr, "td", r.recorded_at.replace('T', " ").trim_end_matches('Z'));
    add(doc, &tr, "td", &r.consent_id).set_attribute("class", "id").ok();
    add(doc, &tr, "td", &action_name(lang, &r.action)).set_attribute("data-action", &r.action).ok();
    add(doc, &tr, "td", &r.granted.join(", "));
    add(doc, &tr, "td", &r.language);
    add(doc, &tr, "td", &r.page).set_attribute("class", "page").ok();
}
