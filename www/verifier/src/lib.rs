//! # kelisim-verifier
//!
//! The auditor's verifier in the browser (docs/export.md, "In the browser"): the page of
//! `/verify/` and of the self-contained `kelisim-verifier.html`. An inspector picks or drops an
//! export bundle; a dedicated Web Worker reads it in slices and runs `kelisim-verify` — the code
//! of `kelisim verify` — on it, offline; the page shows the same verdict in Kazakh, Russian or
//! English, the log key's id to compare with the one the operator gave separately, and then the
//! records, filtered and paged.
//!
//! One module, two instances: `boot.js` starts the page's ([`start_page`]) and gives it a
//! function that makes the worker, whose script starts the other ([`start_worker`]). They speak
//! JSON ([`Command`], [`Message`]); the bundle itself is posted as a `File`, which the worker
//! reads without copying it whole.

#![deny(unsafe_code)]

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod i18n;
#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
mod worker;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Page → worker (with the `File` beside it for `Verify`).
#[derive(Serialize, Deserialize)]
pub enum Command {
    Verify,
    Query(Query),
}

/// A page of the records that pass a filter.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Query {
    /// `accept_all`, `reject_all`, `custom`, `withdraw`, `purged`, or empty for any.
    pub action: String,
    /// Days, `YYYY-MM-DD`, inclusive (UTC); empty for no bound.
    pub from: String,
    pub to: String,
    /// Part of a consent id.
    pub consent_id: String,
    pub offset: u64,
    pub limit: u64,
}

/// Worker → page.
#[derive(Serialize, Deserialize, Clone)]
#[serde(tag = "t")]
pub enum Message {
    Progress {
        stage: String,
        done: u64,
        total: u64,
        bytes_read: u64,
        size: u64,
    },
    Intact {
        site: String,
        records: u64,
        purged: u64,
        first_seq: Option<u64>,
        last_seq: Option<u64>,
        tree_size: u64,
        checkpoints: u64,
        files: u64,
        key: String,
        key_text: String,
        /// What `kelisim verify` prints for this bundle.
        cli: String,
        seconds: f64,
        /// The worker's WebAssembly memory at the end, in bytes: its peak (it never shrinks).
        wasm_memory: u64,
    },
    Failed {
        file: String,
        line: Option<u64>,
        seq: Option<u64>,
        /// A [`kelisim_verify::Kind`], by name.
        kind: String,
        after_export: Option<bool>,
        cli: String,
        seconds: f64,
        wasm_memory: u64,
    },
    Rows {
        total: u64,
        offset: u64,
        rows: Vec<Row>,
    },
    Error {
        message: String,
    },
}

/// A record as the page shows it.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Row {
    pub seq: u64,
    pub recorded_at: String,
    pub consent_id: String,
    pub action: String,
    pub granted: Vec<String>,
    pub language: String,
    pub page: String,
    pub config_version: String,
}

impl Row {
    pub fn of(e: &kelisim_verify::views::Entry) -> Row {
        use kelisim_verify::views::Entry;
        match e {
            Entry::Purged(seq) => Row { seq: *seq, action: "purged".into(), ..Row::default() },
            Entry::Record(r) => Row {
                seq: r.seq,
                recorded_at: r.recorded_at.clone(),
                consent_id: r.consent_id.clone(),
                action: r.action.as_str().to_owned(),
                granted: r.granted.clone(),
                language: r.language.code().to_owned(),
                page: r.page.clone().unwrap_or_default(),
                config_version: r.config_version.clone(),
            },
        }
    }
}

/// A JavaScript error as a line of text.
#[cfg(target_arch = "wasm32")]
fn worker_error(e: &JsValue) -> String {
    worker::describe(e)
}

/// Starts the page: `make_worker` returns a new `Worker` running this module's [`start_worker`].
#[wasm_bindgen]
pub fn start_page(make_worker: js_sys::Function) {
    #[cfg(target_arch = "wasm32")]
    page::start(make_worker);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = make_worker;
}

/// Starts the worker instance.
#[wasm_bindgen]
pub fn start_worker() {
    #[cfg(target_arch = "wasm32")]
    worker::start();
}
