//! The audit export (docs/export.md): a zip bundle an inspector verifies offline, without
//! trusting the operator's server (Art. 25 p.2(3-1), Art. 27-2 of Law 94-V).
//!
//! Bundle format `kelisim-export/2`:
//!
//! | file | what |
//! |---|---|
//! | `README.md` | what is inside and how to verify it, in Kazakh, Russian and English |
//! | `manifest.json` | site, date range, counts, the tree size the bundle proves |
//! | `operator.json` | the operator's details (name, BIN, contacts, storage country), from the newest config version |
//! | `events.jsonl` | the exported records as their exact canonical bytes, one per line, in `seq` order (a purged record: `{"purged":true,"seq":N}`) |
//! | `leaves.bin` | the RFC 6962 leaf hash of every record of the site's log, 32 bytes each, `seq` 1..=N |
//! | `checkpoints/NNNNNNNN.txt` | every signed checkpoint of the site (C2SP signed notes), oldest first |
//! | `log-key.pub` | the verifier key of the log's Ed25519 signing key |
//! | `configs/<version>.json` | every config version the records reference (what the visitor saw), and the newest |
//! | `events.csv` | the records for spreadsheets: UTF-8 with BOM, one column per category |
//! | `events.dpv.jsonld` | the records in ISO/IEC TS 27560 shape, as W3C DPV JSON-LD |
//! | `files.sig` | the SHA-256 of every other file, a C2SP signed note by the log's key ([`files_note`]) |
//!
//! Verifying (see [`verify`]) checks `files.sig` against `log-key.pub` and every file against
//! it, recomputes the tree from `leaves.bin`, checks every checkpoint's signature and root at
//! its size, checks every record's bytes against its leaf, and derives `events.csv`,
//! `events.dpv.jsonld`, `operator.json` and `README.md` again from the records and configs:
//! nothing in the bundle needs to be trusted except the public key. Every file is written
//! streaming and hashed as it is written, so memory does not grow with the number of events.

pub mod integrity;
pub mod verify;

// The format, the views and the README are the verifier's too: one crate, `kelisim-verify`,
// writes them here and checks them in `kelisim verify` and in the browser.
pub use kelisim_verify::{files_note, operator_json, ExportSummary, FILES, FORMAT};
use kelisim_verify::{readme, views};

use crate::store::logread::LogRead;
use crate::store::{Store, StoreError};
use kelisim_shared::checkpoint::LogKey;
use kelisim_shared::config::Config;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use zip::write::SimpleFileOptions;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no site `{0}` in the log")]
    UnknownSite(String),
    #[error("the site `{0}` has no signed checkpoint yet")]
    NoCheckpoint(String),
    #[error("`{0}` is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error("the signing key given is not the one that signed the log's checkpoints: {0}")]
    WrongKey(String),
    #[error("cannot write the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the bundle: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub struct ExportRequest<'a> {
    pub site: &'a str,
    /// Inclusive dates, `YYYY-MM-DD`.
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// The newest config version of the site, for the operator's details.
    pub config: &'a Config,
    /// The log's signing key: it signs `files.sig` (and must be the key of the checkpoints).
    pub key: &'a LogKey,
    pub exported_at: &'a str,
}

fn check_date(d: Option<&str>) -> Result<(), ExportError> {
    if let Some(d) = d {
        let ok = d.len() == 10
            && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !ok {
            return Err(ExportError::BadDate(d.to_owned()));
        }
    }
    Ok(())
}

/// Deflate at level 3: the bulk of a bundle is text that compresses ~5:1 at any level, and
/// the higher levels cost several times the CPU for a few percent (a million records must
/// export well within a minute; `cargo xtask bench export` measures it, docs/BENCHMARKS.md).
fn opts() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(3))
        .large_file(true)
}

/// Hashes do not compress: stored as they are.
fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true)
}

/// Exports `site` from `store`, in one read snapshot (every file of the bundle describes the
/// same state of the log): the newest config version the site served gives the operator's
/// details; `key` signs the list of files. Removes a partial bundle when it fails.
pub fn run(
    store: &Store,
    site: &str,
    from: Option<&str>,
    to: Option<&str>,
    key: &LogKey,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let result = store.snapshot(|r| Ok(run_in(r, site, from, to, key, out))).map_err(ExportError::from).and_then(|r| r);
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

fn run_in(
    r: &mut dyn LogRead,
    site: &str,
    from: Option<&str>,
    to: Option<&str>,
    key: &LogKey,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let body: String = r.newest_config_body(site)?.ok_or_else(|| ExportError::UnknownSite(site.to_owned()))?;
    let config: Config =
        serde_json::from_str(&body).map_err(|e| ExportError::Corrupt(format!("config of {site}: {e}")))?;
    let now = crate::clock::now_rfc3339();
    let req = ExportRequest { site, from, to, config: &config, key, exported_at: &now };
    export(r, &req, out)
}

/// One line for the admin audit trail.
pub fn describe(site: &str, from: Option<&str>, to: Option<&str>, s: &ExportSummary) -> String {
    format!("site {site}, {}…{}: {} records, log of {}", from.unwrap_or(""), to.unwrap_or(""), s.events, s.tree_size)
}

/// Writes the bundle for `req` to `out`, reading through `r` (inside one read snapshot). The
/// caller signs a fresh checkpoint first, so the bundle proves the log up to the moment of
/// export.
pub fn export(r: &mut dyn LogRead, req: &ExportRequest, out: &Path) -> Result<ExportSummary, ExportError> {
    check_date(req.from)?;
    check_date(req.to)?;
    write_bundle(r, req, out)
}

/// The exported records: seq `first..=last` of a site's signed log (empty when `first > last`).
#[derive(Clone, Copy, Debug)]
struct Records {
    site_no: i64,
    first: u64,
    last: u64,
}

/// Records read at a time (memory stays bounded whatever the log's size).
const CHUNK: usize = 4096;

/// The zip being written, hashing each file as it goes into it: what `files.sig` lists is what
/// was written, without reading anything twice.
struct Bundle<W: Write + std::io::Seek> {
    zip: zip::ZipWriter<W>,
    current: Option<(String, Sha256)>,
    sums: Vec<(String, [u8; 32])>,
}

impl<W: Write + std::io::Seek> Bundle<W> {
    fn start(&mut self, name: impl Into<String>, o: SimpleFileOptions) -> Result<(), ExportError> {
        self.close();
        let name = name.into();
        self.zip.start_file(name.as_str(), o)?;
        self.current = Some((name, Sha256::new()));
        Ok(())
    }

    fn close(&mut self) {
        if let Some((name, h)) = self.current.take() {
            self.sums.push((name, h.finalize().into()));
        }
    }

    /// Signs the list of every file written and adds it as the last file.
    fn finish(mut self, site: &str, key: &LogKey) -> Result<(), ExportError> {
        self.close();
        let note = key.sign_note(&files_note(site, &key.key_id_hex(), &self.sums));
        self.zip.start_file(FILES, opts())?;
        self.zip.write_all(note.as_bytes())?;
        self.zip.finish()?.flush()?;
        Ok(())
    }
}

impl<W: Write + std::io::Seek> Write for Bundle<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.zip.write(buf)?;
        if let Some((_, h)) = &mut self.current {
            h.update(&buf[..n]);
        }
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.zip.write_all(buf)?;
        if let Some((_, h)) = &mut self.current {
            h.update(buf);
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.zip.flush()
    }
}

/// Calls `f` with each record of the range, in `seq` order, parsed from its canonical bytes.
fn each_entry(
    r: &mut dyn LogRead,
    records: &Records,
    mut f: impl FnMut(&views::Entry) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    each_record(r, records, |seq, bytes| {
        let entry = match bytes {
            Some(bytes) => {
                views::Entry::parse(bytes).map_err(|e| ExportError::Corrupt(format!("record {seq}: {e}")))?
            }
            None => views::Entry::Purged(seq),
        };
        f(&entry)
    })
}

/// Calls `f` with each record's `seq` and canonical bytes (`None` once purged), in order, read
/// a chunk at a time.
fn each_record(
    r: &mut dyn LogRead,
    records: &Records,
    mut f: impl FnMut(u64, Option<&[u8]>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut after = records.first.saturating_sub(1);
    while after < records.last {
        let chunk = r.records(records.site_no, after, records.last, CHUNK)?;
        let Some(&(last, _)) = chunk.last() else { break };
        for (seq, bytes) in &chunk {
            f(*seq, bytes.as_deref())?;
        }
        after = last;
    }
    Ok(())
}

/// The bundle, written in named steps inside the caller's read transaction: the signed log,
/// the configs, the records and their two views, then the files that describe the bundle, and
/// last `files.sig` over all of them.
fn write_bundle(r: &mut dyn LogRead, req: &ExportRequest, out: &Path) -> Result<ExportSummary, ExportError> {
    let log = signed_log(r, req)?;
    let mut zip = Bundle {
        zip: zip::ZipWriter::new(std::io::BufWriter::new(private_file(out)?)),
        current: None,
        sums: Vec::new(),
    };
    write_log(&mut zip, r, &log)?;
    let range = records_of(r, req, &log)?;
    let (configs, versions) = write_configs(&mut zip, r, req, &range)?;
    let categories = views::category_columns(&configs);
    let mut summary = ExportSummary {
        events: 0,
        purged: 0,
        first_seq: None,
        last_seq: None,
        tree_size: log.tree_size,
        checkpoints: log.notes.len() as u64,
        config_versions: configs.len() as u64,
    };
    write_records(&mut zip, r, &range, &mut summary)?;
    write_views(&mut zip, r, &range, req.site, &configs, &categories)?;
    write_description(&mut zip, req, &summary, &versions, &categories)?;
    zip.finish(req.site, req.key)?;
    Ok(summary)
}

/// What the bundle proves: the site's signed checkpoints and the size of the last one (the
/// signed log is the site's first `tree_size` records).
struct SignedLog {
    notes: Vec<(u64, String)>,
    tree_size: u64,
    verifier: kelisim_shared::checkpoint::VerifierKey,
    site_no: i64,
}

fn signed_log(r: &mut dyn LogRead, req: &ExportRequest) -> Result<SignedLog, ExportError> {
    let site = req.site;
    let notes: Vec<(u64, String)> =
        r.checkpoints_from(site, 0)?.into_iter().map(|(_, size, note)| (size as u64, note)).collect();
    let tree_size = notes.last().map(|n| n.0).ok_or_else(|| ExportError::NoCheckpoint(site.to_owned()))?;
    // files.sig is signed with the key given: it must be the log's own, or the bundle would
    // not verify (and the auditor would be given a key id that proves nothing).
    let verifier = req.key.verifier();
    if let Some((_, note)) = notes.last() {
        verifier.verify(note).map_err(|e| ExportError::WrongKey(format!("the last checkpoint of {site}: {e}")))?;
    }
    let site_no = r.site_no(site)?.unwrap_or(0);
    Ok(SignedLog { notes, tree_size, verifier, site_no })
}

/// The bundle holds personal fields: a new file is the owner's only, like the database (the
/// dashboard passes a temporary file, already 0600).
fn private_file(out: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(out)
}

/// `leaves.bin` (the whole log up to the last checkpoint), every checkpoint, `log-key.pub`.
fn write_log<W: Write + std::io::Seek>(
    zip: &mut Bundle<W>,
    r: &mut dyn LogRead,
    log: &SignedLog,
) -> Result<(), ExportError> {
    zip.start("leaves.bin", stored())?;
    let mut n = 0u64;
    while n < log.tree_size {
        let to = (n + CHUNK as u64).min(log.tree_size);
        let leaves = r.leaves(log.site_no, n + 1, to)?;
        if leaves.is_empty() {
            break;
        }
        for leaf in leaves {
            if leaf.len() != 32 {
                return Err(ExportError::Corrupt(format!("leaf hash of record {} is not 32 bytes", n + 1)));
            }
            zip.write_all(&leaf)?;
            n += 1;
        }
    }
    if n != log.tree_size {
        return Err(ExportError::Corrupt(format!(
            "the last checkpoint covers {} records but the log holds {n}",
            log.tree_size
        )));
    }
    for (i, (_, note)) in log.notes.iter().enumerate() {
        zip.start(format!("checkpoints/{:08}.txt", i + 1), opts())?;
        zip.write_all(note.as_bytes())?;
    }
    zip.start("log-key.pub", opts())?;
    zip.write_all(log.verifier.to_text().as_bytes())?;
    zip.write_all(b"\n")?;
    Ok(())
}

/// The exported records of `req` in the signed log: its whole range, or the records of its dates.
fn records_of(r: &mut dyn LogRead, req: &ExportRequest, log: &SignedLog) -> Result<Records, ExportError> {
    let mut records = Records { site_no: log.site_no, first: 1, last: log.tree_size };
    // The log is in time order: a time range is a seq range.
    if let Some(f) = req.from {
        records.first = records.first.max(r.first_seq_at(log.site_no, f)?);
    }
    if let Some(t) = req.to {
        let before = r.first_seq_at(log.site_no, &format!("{t}\u{7f}"))?;
        records.last = records.last.min(before.saturating_sub(1));
    }
    Ok(records)
}

/// `configs/<version>.json` of every version the records name, in the order the site first
/// served them (the CSV's columns follow it), and of the newest, which gives operator.json even
/// when no exported record names it. Returns the named ones, parsed, and their versions.
fn write_configs<W: Write + std::io::Seek>(
    zip: &mut Bundle<W>,
    r: &mut dyn LogRead,
    req: &ExportRequest,
    range: &Records,
) -> Result<(Vec<Config>, Vec<String>), ExportError> {
    let referenced =
        if range.first <= range.last { r.versions_named(range.site_no, range.first, range.last)? } else { Vec::new() };
    let mut bodies: Vec<(String, String, String)> = Vec::new();
    for v in referenced.iter().chain((!referenced.contains(&req.config.version)).then_some(&req.config.version)) {
        let (first_seen, body) = r
            .config_version(req.site, v)?
            .ok_or_else(|| ExportError::Corrupt(format!("config version {v} of {} is not stored", req.site)))?;
        bodies.push((first_seen, v.clone(), body));
    }
    bodies.sort();
    let mut configs: Vec<Config> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    for (_, v, body) in &bodies {
        zip.start(format!("configs/{v}.json"), opts())?;
        zip.write_all(body.as_bytes())?;
        if referenced.contains(v) {
            configs.push(
                serde_json::from_str(body).map_err(|e| ExportError::Corrupt(format!("config version {v}: {e}")))?,
            );
            versions.push(v.clone());
        }
    }
    Ok((configs, versions))
}

/// `events.jsonl`: the records' canonical bytes (authoritative), one a line, a purged one as
/// its `seq`; counted into `summary`.
fn write_records<W: Write + std::io::Seek>(
    zip: &mut Bundle<W>,
    r: &mut dyn LogRead,
    range: &Records,
    summary: &mut ExportSummary,
) -> Result<(), ExportError> {
    zip.start("events.jsonl", opts())?;
    each_record(r, range, |seq, bytes| -> Result<(), ExportError> {
        match bytes {
            Some(bytes) => zip.write_all(bytes)?,
            None => {
                write!(zip, r#"{{"purged":true,"seq":{seq}}}"#)?;
                summary.purged += 1;
            }
        }
        zip.write_all(b"\n")?;
        summary.events += 1;
        summary.first_seq.get_or_insert(seq);
        summary.last_seq = Some(seq);
        Ok(())
    })
}

/// `events.csv` and `events.dpv.jsonld`, derived from the canonical bytes exactly as `verify`
/// derives them again: one pass over the rows each (a zip is written one entry at a time).
fn write_views<W: Write + std::io::Seek>(
    zip: &mut Bundle<W>,
    r: &mut dyn LogRead,
    range: &Records,
    site: &str,
    configs: &[Config],
    categories: &[(String, String)],
) -> Result<(), ExportError> {
    zip.start("events.csv", opts())?;
    let mut csv = views::Csv::new(categories.to_vec());
    zip.write_all(csv.head()?)?;
    each_entry(r, range, |e| Ok(zip.write_all(csv.row(e)?)?))?;
    zip.start("events.dpv.jsonld", opts())?;
    let mut dpv = views::Dpv::new(site, configs);
    zip.write_all(dpv.head())?;
    each_entry(r, range, |e| Ok(zip.write_all(dpv.record(e))?))?;
    zip.write_all(dpv.tail())?;
    Ok(())
}

/// `operator.json`, `manifest.json` and `README.md`: who made the bundle and what it holds.
fn write_description<W: Write + std::io::Seek>(
    zip: &mut Bundle<W>,
    req: &ExportRequest,
    summary: &ExportSummary,
    versions: &[String],
    categories: &[(String, String)],
) -> Result<(), ExportError> {
    zip.start("operator.json", opts())?;
    zip.write_all(&operator_json(req.config))?;
    let manifest = serde_json::json!({
        "format": FORMAT,
        "site": req.site,
        "from": req.from,
        "to": req.to,
        "exported_at": req.exported_at,
        "events": summary.events,
        "purged": summary.purged,
        "first_seq": summary.first_seq,
        "last_seq": summary.last_seq,
        "tree_size": summary.tree_size,
        "checkpoints": summary.checkpoints,
        "config_versions": versions,
        "operator_config": req.config.version,
        "categories": categories.iter().map(|c| &c.0).collect::<Vec<_>>(),
    });
    zip.start("manifest.json", opts())?;
    serde_json::to_writer_pretty(&mut *zip, &manifest).map_err(std::io::Error::other)?;
    zip.start("README.md", opts())?;
    zip.write_all(readme::text(req.site, req.from, req.to, req.exported_at, summary).as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Writer, WriterConfig};
    use kelisim_shared::canonical::ConsentRecord;
    use kelisim_shared::event::Action;
    use kelisim_shared::lang::Lang;
    use std::sync::Arc;

    fn record(config: &Config, n: u32, ua: &str) -> ConsentRecord {
        ConsentRecord {
            site: config.site.clone(),
            seq: 0,
            event_id: format!("5d0c3c9a-21d4-4f0e-8a55-{n:012x}"),
            consent_id: format!("0b6f7c1e-8c1a-4d2b-9f3e-{n:012x}"),
            recorded_at: String::new(),
            config_version: config.version.clone(),
            action: if n.is_multiple_of(2) { Action::AcceptAll } else { Action::RejectAll },
            granted: vec!["necessary".into()],
            language: Lang::Ru,
            gpc: false,
            sec_gpc: false,
            page: Some("https://example.kz/x".into()),
            origin: Some("https://example.kz".into()),
            ip: Some("203.0.113.0/24".into()),
            user_agent: Some(ua.into()),
        }
    }

    /// A log whose first records were purged exports and verifies; their rows say only that.
    #[test]
    fn a_log_with_purged_records_exports_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let (store, conn) = crate::store::Store::open(dir.path()).unwrap();
        let policy = kelisim_shared::policy::SitePolicy::parse(
            "example.toml",
            include_str!("../../../shared/testdata/example.toml"),
        )
        .unwrap();
        let config = policy.config();
        crate::store::record_config(
            &conn,
            &config,
            &serde_json::to_string(&config).unwrap(),
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap();
        let key = LogKey::from_seed("kelisim", [3; 32]).unwrap();
        let writer = Writer::start(
            Box::new(crate::store::logdb::SqliteLogDb::new(conn)),
            LogKey::from_seed("kelisim", [3; 32]).unwrap(),
            std::slice::from_ref(&config.site),
            WriterConfig::default(),
            Arc::new(crate::metrics::Metrics::default()),
        )
        .unwrap();
        for n in 1..=6 {
            let ev =
                crate::store::write::NewEvent::new(record(&config, n, if n == 3 { "=1+1" } else { "UA" })).unwrap();
            writer.append(ev, None).unwrap().blocking_recv().unwrap().unwrap();
        }
        writer.checkpoint_now().unwrap();
        drop(writer);
        // The retention purge, as its effect: the canonical bytes of seq 1 and 2 are gone (the
        // database's guards are dropped in this copy only; the leaves stay).
        let c = rusqlite::Connection::open(store.path("test").unwrap()).unwrap();
        let triggers: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in triggers {
            c.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
        }
        assert_eq!(
            c.execute("UPDATE events SET canonical = NULL WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 2)", [])
                .unwrap(),
            2
        );
        drop(c);
        let out = dir.path().join("bundle.zip");
        let s = run(&store, &config.site, None, None, &key, &out).unwrap();
        assert_eq!((s.events, s.purged), (6, 2));
        let v = verify::verify(&out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((v.records, v.purged, v.tree_size), (6, 2, 6));
        let mut z = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut csv = String::new();
        std::io::Read::read_to_string(&mut z.by_name("events.csv").unwrap(), &mut csv).unwrap();
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        assert!(rows[0].starts_with("1,,,purged,,,,,,,,,") && rows[1].starts_with("2,,,purged,"), "{csv}");
        assert!(rows[2].contains(",'=1+1,"), "{csv}");
        // Another key cannot sign the bundle of this log.
        let other = LogKey::from_seed("kelisim", [4; 32]).unwrap();
        let e = run(&store, &config.site, None, None, &other, &dir.path().join("other.zip")).unwrap_err();
        assert!(matches!(e, ExportError::WrongKey(_)), "{e}");
        assert!(!dir.path().join("other.zip").exists());
    }
}
