//! The dedicated Web Worker: the bundle (a `File` the page posts) is read through
//! `FileReaderSync` slices behind `Read + Seek` ([`BlobReader`]), and `kelisim-verify` runs on it
//! exactly as `kelisim verify` runs on a file. Progress, the verdict and pages of records go back
//! to the page as JSON ([`crate::Message`]).

use crate::{Message, Query, Row};
use gloo_file::File;
use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

/// A browser `File` as `Read + Seek`: each read is one `FileReaderSync.readAsArrayBuffer` of a
/// slice (the library's cursors ask for 256 KiB at a time), copied into the module's memory.
pub struct BlobReader {
    file: File,
    reader: FileReaderSync,
    pos: u64,
    len: u64,
}

impl BlobReader {
    pub fn new(file: File) -> Result<BlobReader, JsValue> {
        let len = file.size();
        Ok(BlobReader { file, reader: FileReaderSync::new()?, pos: 0, len })
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let end = self.len.min(self.pos + out.len() as u64);
        let slice = self.file.slice(self.pos, end);
        let buf = self.reader.read_as_array_buffer(slice.as_ref()).map_err(|e| io::Error::other(describe(&e)))?;
        let bytes = js_sys::Uint8Array::new(&buf);
        let n = bytes.length() as usize;
        if n == 0 {
            return Ok(0);
        }
        bytes.copy_to(&mut out[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// A JavaScript error as a line of text.
pub fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The size of this instance's WebAssembly memory.
fn wasm_memory() -> u64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}

fn now() -> f64 {
    js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>().performance().map(|p| p.now()).unwrap_or(0.0)
}

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    /// The bundle last verified: the records are paged from it.
    file: Option<File>,
}

impl Worker {
    fn post(&self, m: &Message) {
        let _ = self.scope.post_message(&JsValue::from_str(&serde_json::to_string(m).expect("messages serialize")));
    }

    fn verify(&mut self, file: File) {
        self.file = None;
        let name = file.name();
        let started = now();
        let reader = match BlobReader::new(file.clone()) {
            Ok(r) => r,
            Err(e) => return self.post(&Message::Error { message: describe(&e) }),
        };
        let size = file.size();
        let mut last = 0.0;
        let result = {
            let scope = &self.scope;
            let mut progress = |p: kelisim_verify::Progress| {
                // At most ten messages a second: the page redraws a bar, not a log.
                let t = now();
                if t - last < 100.0 && p.done != p.total {
                    return;
                }
                last = t;
                let m = Message::Progress {
                    stage: format!("{:?}", p.stage),
                    done: p.done,
                    total: p.total,
                    bytes_read: p.bytes_read,
                    size,
                };
                let _ = scope.post_message(&JsValue::from_str(&serde_json::to_string(&m).expect("messages serialize")));
            };
            kelisim_verify::verify(reader, &name, &mut progress)
        };
        let seconds = (now() - started) / 1000.0;
        match result {
            Ok(v) => {
                let cli = v.to_string();
                self.post(&Message::Intact {
                    site: v.site,
                    records: v.records,
                    purged: v.purged,
                    first_seq: v.first_seq,
                    last_seq: v.last_seq,
                    tree_size: v.tree_size,
                    checkpoints: v.checkpoints as u64,
                    files: v.files as u64,
                    key: v.key,
                    key_text: v.key_text,
                    cli,
                    seconds,
                    wasm_memory: wasm_memory(),
                });
                self.file = Some(file);
            }
            Err(e) => self.post(&Message::Failed {
                file: e.file().to_owned(),
                line: e.line(),
                seq: e.seq(),
                kind: format!("{:?}", e.kind()),
                after_export: e.after_export(),
                cli: format!("NOT intact: {e}"),
                seconds,
                wasm_memory: wasm_memory(),
            }),
        }
    }

    /// One page of the records that pass the filter, and how many pass it: a pass over
    /// `events.jsonl`, keeping only the page.
    fn query(&self, q: Query) {
        let Some(file) = self.file.clone() else {
            return self.post(&Message::Error { message: "no verified bundle".into() });
        };
        let reader = match BlobReader::new(file) {
            Ok(r) => r,
            Err(e) => return self.post(&Message::Error { message: describe(&e) }),
        };
        let consent = q.consent_id.trim().to_ascii_lowercase();
        let (from, to) = (q.from.trim().to_owned(), q.to.trim().to_owned());
        let mut total = 0u64;
        let mut rows = Vec::new();
        let result = kelisim_verify::each_line(reader, "events.jsonl", |line| {
            let Ok(entry) = kelisim_verify::views::Entry::parse(line) else { return true };
            let row = Row::of(&entry);
            let day = row.recorded_at.get(..10).unwrap_or("");
            let pass = (q.action.is_empty() || row.action == q.action)
                && (from.is_empty() || (!day.is_empty() && day >= from.as_str()))
                && (to.is_empty() || (!day.is_empty() && day <= to.as_str()))
                && (consent.is_empty() || row.consent_id.contains(&consent));
            if pass {
                if total >= q.offset && rows.len() < q.limit as usize {
                    rows.push(row);
                }
                total += 1;
            }
            true
        });
        match result {
            Ok(()) => self.post(&Message::Rows { total, offset: q.offset, rows }),
            Err(e) => self.post(&Message::Error { message: e.to_string() }),
        }
    }
}

/// Entry point of the worker instance: answers the page's messages (`[command JSON, File?]`).
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let worker = Rc::new(RefCell::new(Worker { scope: scope.clone(), file: None }));
    gloo_events::EventListener::new(&scope, "message", move |e| {
        let Some(e) = e.dyn_ref::<MessageEvent>() else { return };
        let data = js_sys::Array::from(&e.data());
        let cmd = data.get(0).as_string().unwrap_or_default();
        let mut w = worker.borrow_mut();
        match serde_json::from_str::<crate::Command>(&cmd) {
            Ok(crate::Command::Verify) => match data.get(1).dyn_into::<web_sys::File>() {
                Ok(f) => w.verify(File::from(f)),
                Err(_) => w.post(&Message::Error { message: "no file".into() }),
            },
            Ok(crate::Command::Query(q)) => w.query(q),
            Err(e) => w.post(&Message::Error { message: e.to_string() }),
        }
    })
    .forget();
}
