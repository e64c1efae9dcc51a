//! The audit export (SPEC §8): a zip bundle an inspector verifies offline, without trusting
//! the operator's server (Art. 25 p.2(3-1), Art. 27-2 of Law 94-V).
//!
//! Bundle format `kelisim-export/1`:
//!
//! | file | what |
//! |---|---|
//! | `README.md` | what is inside and how to verify it, in Kazakh, Russian and English |
//! | `manifest.json` | site, date range, counts, the tree size the bundle proves |
//! | `operator.json` | the operator's details (name, BIN, contacts, storage country) |
//! | `events.jsonl` | the exported records as their exact canonical bytes, one per line, in `seq` order (a purged record: `{"purged":true,"seq":N}`) |
//! | `leaves.bin` | the RFC 6962 leaf hash of every record of the site's log, 32 bytes each, `seq` 1..=N |
//! | `checkpoints/NNNNNNNN.txt` | every signed checkpoint of the site (C2SP signed notes), oldest first |
//! | `log-key.pub` | the verifier key of the log's Ed25519 signing key |
//! | `configs/<version>.json` | every config version the records reference (what the visitor saw) |
//! | `events.csv` | the records for spreadsheets: UTF-8 with BOM, one column per category |
//! | `events.dpv.jsonld` | the records in ISO/IEC TS 27560 shape, as W3C DPV JSON-LD |
//!
//! Verifying (see [`verify`]) recomputes the tree from `leaves.bin`, checks every checkpoint's
//! signature and root at its size, and checks every record's bytes against its leaf: nothing in
//! the bundle needs to be trusted except the public key. Every file is written streaming, so
//! memory does not grow with the number of events.

pub mod integrity;
mod readme;
mod views;
pub mod verify;

use kelisim_shared::config::Config;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use std::io::Write;
use std::path::Path;
use zip::write::SimpleFileOptions;

pub const FORMAT: &str = "kelisim-export/1";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no site `{0}` in the log")]
    UnknownSite(String),
    #[error("the site `{0}` has no signed checkpoint yet")]
    NoCheckpoint(String),
    #[error("`{0}` is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error("cannot write the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the bundle: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub struct ExportRequest<'a> {
    pub site: &'a str,
    /// Inclusive dates, `YYYY-MM-DD`.
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// The current config, for the operator's details.
    pub config: &'a Config,
    /// The log's verifier key text.
    pub verifier_key: &'a str,
    pub exported_at: &'a str,
}

#[derive(Debug, serde::Serialize)]
pub struct ExportSummary {
    pub events: u64,
    pub purged: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub tree_size: u64,
    pub checkpoints: u64,
    pub config_versions: u64,
}

fn check_date(d: Option<&str>) -> Result<(), ExportError> {
    if let Some(d) = d {
        let ok = d.len() == 10 && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !ok {
            return Err(ExportError::BadDate(d.to_owned()));
        }
    }
    Ok(())
}

/// Deflate at level 3: the bulk of a bundle is text that compresses ~5:1 at any level, and
/// the higher levels cost several times the CPU for a few percent (a million records must
/// export well within a minute, SPEC §11).
fn opts() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(3)).large_file(true)
}

/// Hashes do not compress: stored as they are.
fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true)
}

/// Exports `site` from the database file `db_file`: the newest config version the site served
/// gives the operator's details. Removes a partial bundle when it fails.
pub fn run(db_file: &Path, site: &str, from: Option<&str>, to: Option<&str>, verifier_key: &str, out: &Path) -> Result<ExportSummary, ExportError> {
    let db = Connection::open_with_flags(db_file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    let body: String = db
        .query_row("SELECT body FROM config_versions WHERE site = ?1 ORDER BY first_seen DESC LIMIT 1", [site], |r| r.get(0))
        .optional()?
        .ok_or_else(|| ExportError::UnknownSite(site.to_owned()))?;
    let config: Config = serde_json::from_str(&body).map_err(|e| ExportError::Corrupt(format!("config of {site}: {e}")))?;
    let now = crate::http::now_rfc3339();
    let req = ExportRequest { site, from, to, config: &config, verifier_key, exported_at: &now };
    let result = export(&db, &req, out);
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

/// One line for the admin audit trail.
pub fn describe(site: &str, from: Option<&str>, to: Option<&str>, s: &ExportSummary) -> String {
    format!("site {site}, {}…{}: {} records, log of {}", from.unwrap_or(""), to.unwrap_or(""), s.events, s.tree_size)
}

/// Writes the bundle for `req` to `out`, reading `db` (the server's SQLite file). The caller
/// signs a fresh checkpoint first, so the bundle proves the log up to the moment of export.
pub fn export(db: &Connection, req: &ExportRequest, out: &Path) -> Result<ExportSummary, ExportError> {
    check_date(req.from)?;
    check_date(req.to)?;
    // One read transaction: every file describes the same state of the log.
    db.execute_batch("BEGIN")?;
    let result = write_bundle(db, req, out);
    let _ = db.execute_batch("COMMIT");
    result
}

fn write_bundle(db: &Connection, req: &ExportRequest, out: &Path) -> Result<ExportSummary, ExportError> {
    let site = req.site;
    let notes: Vec<(u64, String)> = {
        let mut st = db.prepare("SELECT tree_size, note FROM checkpoints WHERE site = ?1 ORDER BY id")?;
        let rows = st.query_map([site], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let tree_size = notes.last().map(|n| n.0).ok_or_else(|| ExportError::NoCheckpoint(site.to_owned()))?;
    // The site's records are the `events.id` range from `lo` (migration 5); the signed log is
    // its first `tree_size` of them, up to `last`.
    let site_no: i64 = db.query_row("SELECT site_no FROM log_sites WHERE site = ?1", [site], |r| r.get(0)).optional()?.unwrap_or(0);
    let (lo, _) = crate::store::site_range(site_no);
    let last = crate::store::event_key(site_no, tree_size);
    // The bundle holds personal fields: a new file is the owner's only, like the database (the
    // dashboard passes a temporary file, already 0600).
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(out)?
    };
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));

    // leaves.bin: the whole log up to the last checkpoint.
    zip.start_file("leaves.bin", stored())?;
    let mut n = 0u64;
    {
        let mut st = db.prepare("SELECT leaf_hash FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id")?;
        let mut rows = st.query(params![lo, last])?;
        while let Some(r) = rows.next()? {
            let leaf: Vec<u8> = r.get(0)?;
            if leaf.len() != 32 {
                return Err(ExportError::Corrupt(format!("leaf hash of record {} is not 32 bytes", n + 1)));
            }
            zip.write_all(&leaf)?;
            n += 1;
        }
    }
    if n != tree_size {
        return Err(ExportError::Corrupt(format!("the last checkpoint covers {tree_size} records but the log holds {n}")));
    }
    for (i, (_, note)) in notes.iter().enumerate() {
        zip.start_file(format!("checkpoints/{:08}.txt", i + 1), opts())?;
        zip.write_all(note.as_bytes())?;
    }
    zip.start_file("log-key.pub", opts())?;
    zip.write_all(req.verifier_key.trim().as_bytes())?;
    zip.write_all(b"\n")?;

    // The records of the range, three ways: canonical bytes (authoritative), CSV, DPV JSON-LD.
    let mut where_ = String::from("id BETWEEN ?1 AND ?2");
    let mut args: Vec<Value> = vec![lo.into(), last.into()];
    // The log is in time order: a time range is an id range (`store::first_id_at`).
    if let Some(f) = req.from {
        where_.push_str(" AND id >= ?3");
        args.push(crate::store::first_id_at(db, site_no, f)?.into());
    }
    if let Some(t) = req.to {
        where_.push_str(&format!(" AND id < ?{}", args.len() + 1));
        args.push(crate::store::first_id_at(db, site_no, &format!("{t}\u{7f}"))?.into());
    }
    let versions: Vec<String> = {
        let mut st = db.prepare(&format!("SELECT DISTINCT config_version FROM events WHERE {where_}"))?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut configs: Vec<Config> = Vec::new();
    for v in &versions {
        let body: String = db.query_row("SELECT body FROM config_versions WHERE site = ?1 AND version = ?2", [site, v.as_str()], |r| r.get(0))?;
        zip.start_file(format!("configs/{v}.json"), opts())?;
        zip.write_all(body.as_bytes())?;
        configs.push(serde_json::from_str(&body).map_err(|e| ExportError::Corrupt(format!("config version {v}: {e}")))?);
    }
    let categories = views::category_columns(&configs);
    let mut summary = ExportSummary {
        events: 0,
        purged: 0,
        first_seq: None,
        last_seq: None,
        tree_size,
        checkpoints: notes.len() as u64,
        config_versions: configs.len() as u64,
    };
    // page, ip and user_agent are stored only in the canonical bytes (none after the purge).
    let sql = format!(
        "SELECT seq, canonical, recorded_at, consent_id, action, granted, language, config_version, gpc, sec_gpc, origin,
             CAST(canonical AS TEXT) ->> '$.page', CAST(canonical AS TEXT) ->> '$.ip', CAST(canonical AS TEXT) ->> '$.user_agent'
         FROM events WHERE {where_} ORDER BY id"
    );
    // Three passes over the same rows, one file each: a zip is written one entry at a time.
    zip.start_file("events.jsonl", opts())?;
    {
        let mut st = db.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let seq = r.get::<_, i64>(0)? as u64;
            match r.get::<_, Option<Vec<u8>>>(1)? {
                Some(bytes) => zip.write_all(&bytes)?,
                None => {
                    write!(zip, r#"{{"purged":true,"seq":{seq}}}"#)?;
                    summary.purged += 1;
                }
            }
            zip.write_all(b"\n")?;
            summary.events += 1;
            summary.first_seq.get_or_insert(seq);
            summary.last_seq = Some(seq);
        }
    }
    zip.start_file("events.csv", opts())?;
    views::csv(db, &sql, &args, &categories, &mut zip)?;
    zip.start_file("events.dpv.jsonld", opts())?;
    views::dpv(db, &sql, &args, req.config, &mut zip)?;

    zip.start_file("operator.json", opts())?;
    serde_json::to_writer_pretty(&mut zip, &req.config.operator).map_err(std::io::Error::other)?;
    let manifest = serde_json::json!({
        "format": FORMAT,
        "site": site,
        "from": req.from,
        "to": req.to,
        "exported_at": req.exported_at,
        "events": summary.events,
        "purged": summary.purged,
        "first_seq": summary.first_seq,
        "last_seq": summary.last_seq,
        "tree_size": tree_size,
        "checkpoints": summary.checkpoints,
        "config_versions": versions,
        "categories": categories.iter().map(|c| &c.0).collect::<Vec<_>>(),
    });
    zip.start_file("manifest.json", opts())?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(std::io::Error::other)?;
    zip.start_file("README.md", opts())?;
    zip.write_all(readme::text(site, req, &summary).as_bytes())?;
    zip.finish()?.flush()?;
    Ok(summary)
}
