//! # kelisim-verify
//!
//! The audit export bundle (`kelisim-export/2`, docs/export.md) as far as it is a
//! format: its constants and file list ([`files_note`]), the views derived from the records
//! ([`views`]: `events.csv`, `events.dpv.jsonld`), the README ([`readme`]), and its offline
//! verification ([`verify()`]). `kelisim export` writes a bundle with this code and
//! `kelisim verify` and the browser verifier (`www/verifier`, wasm32) check it with the same
//! code: an auditor gets the same verdict from either.
//!
//! Nothing here touches a database, the network or the file system: a bundle is read from any
//! `Read + Seek` ([`verify()`] takes one source and reads several of its files side by side
//! through independent cursors over it, [`source::Cursor`]).

#![forbid(unsafe_code)]

pub mod readme;
pub mod source;
pub mod verify;
pub mod views;

pub use verify::{each_line, verify, Kind, Progress, Stage, Verified, VerifyError};

use kelisim_shared::config::Config;

pub const FORMAT: &str = "kelisim-export/2";
/// The signed list of every other file of the bundle.
pub const FILES: &str = "files.sig";

/// What a bundle holds: what the export wrote, and what `manifest.json` and `README.md` state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub events: u64,
    pub purged: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub tree_size: u64,
    pub checkpoints: u64,
    pub config_versions: u64,
}

/// The origin line of a bundle's file list: not a checkpoint's `kelisim/<site>/<key id>` (and
/// a file list's second line is not a tree size), so neither kind of note passes for the other.
pub fn files_origin(site: &str, key_id_hex: &str) -> String {
    format!("kelisim-files/{site}/{key_id_hex}")
}

/// The body of `files.sig`: the origin line, then `<SHA-256 hex>  <path>` per file in the order
/// of the zip (the format of `sha256sum`, so `sha256sum -c` checks the lines after the first).
pub fn files_note(site: &str, key_id_hex: &str, sums: &[(String, [u8; 32])]) -> String {
    let mut body = files_origin(site, key_id_hex);
    body.push('\n');
    for (name, sum) in sums {
        body.push_str(&hex(sum));
        body.push_str("  ");
        body.push_str(name);
        body.push('\n');
    }
    body
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `operator.json`: the operator of a config version, as pretty JSON.
pub fn operator_json(config: &Config) -> Vec<u8> {
    serde_json::to_vec_pretty(&config.operator).expect("an operator always serializes")
}
