//! `kelisim verify FILE.zip`: checks an export bundle offline, trusting nothing in it but the
//! public key (which the auditor compares with one obtained from the operator separately).
//!
//! 0. `files.sig` is signed by `log-key.pub` and lists the SHA-256 of every other file: a file
//!    added, removed or changed after the export is refused and named;
//! 1. every checkpoint is signed by `log-key.pub`, names this site, and sizes and times only grow;
//! 2. the Merkle root recomputed from `leaves.bin` equals every checkpoint's root at its size;
//! 3. every line of `events.jsonl` is a record in exact canonical form whose leaf hash is the
//!    log's leaf at its `seq`; the records are consecutive, of this site, and their times only grow;
//! 4. every config version a record names is in `configs/`, and its content hashes to its name;
//! 5. `events.csv` and `events.dpv.jsonld` are exactly what the records and configs give, row by
//!    row (the same code writes them at export), `operator.json` is the operator of the config
//!    version `manifest.json` names, and `manifest.json` and `README.md` state the true counts.
//!
//! Reading is streaming (independent cursors over the one source, [`crate::source::Cursor`],
//! each file hashed as it is read), so memory stays flat; [`Progress`] reports the records done
//! as they are.

mod derived;
mod error;
mod files;

use crate::source::Cursor;
use crate::views::{self, Entry};
use crate::{ExportSummary, FILES, FORMAT};
use derived::{Derived, Views};
use error::fail;
pub use error::{Kind, VerifyError};
use files::{duplicate_name, entries, explain, finish, read_bytes, signed_list, stream, Signed, Stream, Zip, STREAMED};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::{Checkpoint, VerifierKey};
use kelisim_shared::config::Config;
use kelisim_shared::merkle::{empty_root, leaf_hash, Frontier, Hash};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek};

pub struct Verified {
    pub site: String,
    pub records: u64,
    pub purged: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub tree_size: u64,
    pub checkpoints: usize,
    /// Files covered by the signed list, `files.sig` not counted.
    pub files: usize,
    /// The key's name and id, `kelisim+1a2b3c4d`.
    pub key: String,
    /// `log-key.pub` as `kelisim log key` prints it: name, id and the key itself.
    pub key_text: String,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = match (self.first_seq, self.last_seq) {
            (Some(a), Some(b)) => format!(" (seq {a}–{b})"),
            _ => String::new(),
        };
        write!(
            f,
            "intact: site {}, {} records{range}{}, in a log of {} records under {} signed checkpoints, {} files as signed, key {}",
            self.site,
            self.records,
            if self.purged > 0 { format!(" ({} purged)", self.purged) } else { String::new() },
            self.tree_size,
            self.checkpoints,
            self.files,
            self.key
        )
    }
}

/// What the streamed pass found.
struct Streamed {
    records: u64,
    purged: u64,
    first_seq: Option<u64>,
    last_seq: Option<u64>,
    referenced: HashSet<String>,
}

/// Where verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `files.sig`, the key, the checkpoints, the configs.
    Files,
    /// The records, their leaves and their views, side by side: `done` of `total` leaves.
    Records,
    /// A record or view did not check out: which files differ from `files.sig`.
    Explaining,
}

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
    /// Bytes read from the source so far, by every cursor (some parts are read twice).
    pub bytes_read: u64,
}

/// How often [`Progress`] is reported in the records pass.
const EVERY: u64 = 4096;

/// Verifies the bundle read from `source`; `name` names the source in a message about the
/// source as a whole (the CLI gives the path). `progress` is called as the work goes on.
///
/// The steps, each a function below: the zip itself; the key, `files.sig` and the manifest; the
/// signed checkpoints; the config versions; `operator.json` and the CSV's columns; then in one
/// pass the leaves, the records and their two views; last what `manifest.json` and `README.md`
/// state, and any other listed file.
pub fn verify<R: Read + Seek>(
    source: R,
    name: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Verified, VerifyError> {
    let cursor = Cursor::new(source).or_else(|e| fail(name, format!("cannot open: {e}")))?;
    progress(Progress { stage: Stage::Files, done: 0, total: 0, bytes_read: 0 });
    let base = open_zip(&cursor, name)?;
    let mut zip = base.clone();
    let head = signed_head(&mut zip)?;
    let (key, signed, site) = (&head.key, &head.signed, head.site.as_str());
    let checkpoints = signed_checkpoints(&mut zip, signed, key, &head.names, site)?;
    let tree_size = checkpoints.last().map(|c| c.1.size).unwrap_or(0);
    let configs = config_versions(&mut zip, signed, &head.names)?;
    let versions: HashSet<String> = configs.keys().cloned().collect();
    let (categories, listed) = operator_and_columns(&mut zip, signed, &head.manifest, &configs)?;
    let readme = signed.read(&mut zip, "README.md")?;

    // 2, 3 and 5, in one pass: leaves, records and their views side by side, in seq order.
    let all_configs: Vec<Config> = configs.into_values().collect();
    let views = (views::Csv::new(categories.clone()), views::Dpv::new(site, &all_configs));
    let s = streamed(&base, signed, site, &checkpoints, &versions, &listed, tree_size, views, &cursor, progress)
        .map_err(|e| {
            progress(Progress { stage: Stage::Explaining, done: 0, total: 0, bytes_read: cursor.bytes_read() });
            explain(&base, signed, e)
        })?;

    let summary = ExportSummary {
        events: s.records,
        purged: s.purged,
        first_seq: s.first_seq,
        last_seq: s.last_seq,
        tree_size,
        checkpoints: checkpoints.len() as u64,
        config_versions: listed.len() as u64,
    };
    check_description(&head.manifest, &readme, &summary, &s, &listed, &categories, site)?;
    check_other_files(&mut zip, signed)?;
    Ok(Verified {
        site: site.to_owned(),
        records: s.records,
        purged: s.purged,
        first_seq: s.first_seq,
        last_seq: s.last_seq,
        tree_size,
        checkpoints: checkpoints.len(),
        files: signed.names.len(),
        key: head.key_name.clone(),
        key_text: key.to_text(),
    })
}

/// The source as a zip with no name twice (a second file of the same name would be a file
/// added that a reader might take instead of the signed one).
fn open_zip<R: Read + Seek>(cursor: &Cursor<R>, name: &str) -> Result<Zip<R>, VerifyError> {
    let base = zip::ZipArchive::new(cursor.clone()).or_else(|e| fail(name, format!("not a zip bundle: {e}")))?;
    if base.has_duplicate_names() {
        return match duplicate_name(cursor.clone()) {
            Some(name) => fail(name, "is in the bundle twice: a file was added"),
            None => fail(name, "two files of the bundle have the same name: a file was added"),
        };
    }
    Ok(base)
}

/// What the rest is checked against: the key, the signed list of files, and the manifest.
struct Head {
    key: VerifierKey,
    /// `<name>+<key id>`, as the verdict names the key.
    key_name: String,
    signed: Signed,
    /// Every file name in the zip.
    names: Vec<String>,
    manifest: serde_json::Value,
    site: String,
}

/// Step 0: the key, the signed list of files, the bundle's files against it, and the manifest.
fn signed_head<R: Read + Seek>(zip: &mut Zip<R>) -> Result<Head, VerifyError> {
    let key_bytes = read_bytes(zip, "log-key.pub")?;
    let key = VerifierKey::parse(String::from_utf8_lossy(&key_bytes).trim())
        .or_else(|e| fail("log-key.pub", format!("not a verifier key: {e}")))?;
    let key_name = format!("{}+{}", key.name(), key.key_id_hex());
    let signed = signed_list(zip, &key, &key_name)?;
    let names = entries(zip);
    for name in &names {
        if name != FILES && !signed.sums.contains_key(name) {
            return fail(name.as_str(), "is not in files.sig: a file was added to the bundle after the export");
        }
    }
    let present: HashSet<&String> = names.iter().collect();
    for name in &signed.names {
        if !present.contains(name) {
            return fail(name.as_str(), "is listed in files.sig but missing from the bundle: a file was removed");
        }
    }
    signed.check("log-key.pub", &Sha256::digest(&key_bytes).into())?;
    let manifest: serde_json::Value = serde_json::from_str(&signed.read(zip, "manifest.json")?)
        .or_else(|e| fail("manifest.json", format!("not JSON: {e}")))?;
    if manifest["format"] != FORMAT {
        return fail("manifest.json", format!("not a {FORMAT} bundle"));
    }
    let site = manifest["site"]
        .as_str()
        .map(str::to_owned)
        .ok_or(VerifyError { place: "manifest.json".into(), why: "no site".into() })?;
    if site != signed.site {
        return fail("manifest.json", format!("is for site `{site}`, files.sig for `{}`", signed.site));
    }
    Ok(Head { key, key_name, signed, names, manifest, site })
}

/// Step 1: the checkpoints, in name order: each signed by the key, of this site's log, none smaller
/// or earlier than the one before.
fn signed_checkpoints<R: Read + Seek>(
    zip: &mut Zip<R>,
    signed: &Signed,
    key: &VerifierKey,
    names: &[String],
    site: &str,
) -> Result<Vec<(String, Checkpoint)>, VerifyError> {
    let mut cp_names: Vec<String> =
        names.iter().filter(|n| n.starts_with("checkpoints/") && n.ends_with(".txt")).cloned().collect();
    cp_names.sort();
    if cp_names.is_empty() {
        return fail("checkpoints/", "no signed checkpoint in the bundle");
    }
    let mut checkpoints: Vec<(String, Checkpoint)> = Vec::new();
    for name in cp_names {
        let note = signed.read(zip, &name)?;
        let cp =
            key.verify(&note).or_else(|e| fail(&name, format!("signature check failed against log-key.pub: {e}")))?;
        if cp.site() != Some(site) {
            return fail(&name, format!("is for log `{}`, not site `{site}`", cp.origin));
        }
        if let Some((prev_name, prev)) = checkpoints.last() {
            if cp.size < prev.size {
                return fail(
                    &name,
                    format!(
                        "tree size {} is smaller than {} in {prev_name}: a signed log never shrinks",
                        cp.size, prev.size
                    ),
                );
            }
            if cp.time < prev.time {
                return fail(&name, format!("time {} is earlier than {} in {prev_name}", cp.time, prev.time));
            }
        }
        checkpoints.push((name, cp));
    }
    Ok(checkpoints)
}

/// Step 4: the config versions, each named by the hash of its content.
fn config_versions<R: Read + Seek>(
    zip: &mut Zip<R>,
    signed: &Signed,
    names: &[String],
) -> Result<HashMap<String, Config>, VerifyError> {
    let mut configs: HashMap<String, Config> = HashMap::new();
    for name in names.iter().filter(|n| n.starts_with("configs/") && n.ends_with(".json")) {
        let body = signed.read(zip, name)?;
        let cfg: Config = serde_json::from_str(&body).or_else(|e| fail(name.as_str(), format!("not a config: {e}")))?;
        let v = &name["configs/".len()..name.len() - ".json".len()];
        if kelisim_shared::policy::config_version_of(&cfg) != v || cfg.version != v {
            return fail(name.as_str(), "its content does not hash to its version: the texts were changed");
        }
        configs.insert(v.to_owned(), cfg);
    }
    Ok(configs)
}

/// Step 5: `operator.json` is the operator of the config version the manifest names; the CSV's
/// category columns come from the versions the manifest lists, in its order. Returns the
/// columns and the listed versions.
#[allow(clippy::type_complexity)] // the two results, each used once
fn operator_and_columns<R: Read + Seek>(
    zip: &mut Zip<R>,
    signed: &Signed,
    manifest: &serde_json::Value,
    configs: &HashMap<String, Config>,
) -> Result<(Vec<(String, String)>, HashSet<String>), VerifyError> {
    let op_version = manifest["operator_config"]
        .as_str()
        .ok_or(VerifyError { place: "manifest.json".into(), why: "names no operator_config".into() })?;
    let op_config = configs.get(op_version).ok_or(VerifyError {
        place: "operator.json".into(),
        why: format!("comes from config version {op_version}, which is not in configs/"),
    })?;
    if signed.read(zip, "operator.json")?.as_bytes() != crate::operator_json(op_config) {
        return fail("operator.json", format!("is not the operator of configs/{op_version}.json: it was changed"));
    }
    let listed: Vec<&str> = manifest["config_versions"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut column_configs = Vec::new();
    for v in &listed {
        column_configs.push(configs.get(*v).cloned().ok_or(VerifyError {
            place: "manifest.json".into(),
            why: format!("lists config version {v}, which is not in configs/"),
        })?);
    }
    let categories = views::category_columns(&column_configs);
    Ok((categories, listed.into_iter().map(str::to_owned).collect()))
}

/// `manifest.json` and `README.md` state what the bundle holds: their words must be the facts.
fn check_description(
    manifest: &serde_json::Value,
    readme: &str,
    summary: &ExportSummary,
    s: &Streamed,
    listed: &HashSet<String>,
    categories: &[(String, String)],
    site: &str,
) -> Result<(), VerifyError> {
    let counts = [
        ("events", Some(summary.events)),
        ("purged", Some(summary.purged)),
        ("first_seq", summary.first_seq),
        ("last_seq", summary.last_seq),
        ("tree_size", Some(summary.tree_size)),
        ("checkpoints", Some(summary.checkpoints)),
    ];
    for (k, v) in counts {
        if manifest[k].as_u64() != v {
            let got = v.map_or("none".to_owned(), |v| v.to_string());
            return fail("manifest.json", format!("says {k} {}, the bundle holds {got}", manifest[k]));
        }
    }
    if let Some(v) = listed.iter().find(|v| !s.referenced.contains(*v)) {
        return fail("manifest.json", format!("lists config version {v}, which no exported record names"));
    }
    let ids: Vec<&str> = categories.iter().map(|c| c.0.as_str()).collect();
    if manifest["categories"].as_array().map(|a| a.iter().map(|c| c.as_str().unwrap_or("")).collect::<Vec<_>>())
        != Some(ids)
    {
        return fail("manifest.json", "its categories are not those of the config versions it lists");
    }
    let expected = crate::readme::text(
        site,
        manifest["from"].as_str(),
        manifest["to"].as_str(),
        manifest["exported_at"].as_str().unwrap_or(""),
        summary,
    );
    if readme != expected {
        return fail("README.md", "is not the README the facts of manifest.json give: it was changed");
    }
    Ok(())
}

/// Any other file the list names (Kelisim writes none) is still checked against its hash.
fn check_other_files<R: Read + Seek>(zip: &mut Zip<R>, signed: &Signed) -> Result<(), VerifyError> {
    let read_above = |n: &str| {
        STREAMED.contains(&n)
            || ["log-key.pub", "manifest.json", "operator.json", "README.md"].contains(&n)
            || (n.starts_with("checkpoints/") && n.ends_with(".txt"))
            || (n.starts_with("configs/") && n.ends_with(".json"))
    };
    for name in signed.names.iter().filter(|n| !read_above(n)) {
        finish(name, stream(zip, name)?, signed)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn streamed<R: Read + Seek>(
    base: &Zip<R>,
    signed: &Signed,
    site: &str,
    checkpoints: &[(String, Checkpoint)],
    versions: &HashSet<String>,
    listed: &HashSet<String>,
    tree_size: u64,
    (csv, dpv): (views::Csv, views::Dpv),
    cursor: &Cursor<R>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Streamed, VerifyError> {
    let mut leaves_zip = base.clone();
    let mut leaves = stream(&mut leaves_zip, "leaves.bin")?;
    let mut events_zip = base.clone();
    let mut events = stream(&mut events_zip, "events.jsonl")?;
    let (mut csv_zip, mut dpv_zip) = (base.clone(), base.clone());
    let mut views = Views {
        csv,
        dpv,
        csv_in: Derived::new("events.csv", stream(&mut csv_zip, "events.csv")?),
        dpv_in: Derived::new("events.dpv.jsonld", stream(&mut dpv_zip, "events.dpv.jsonld")?),
    };
    views.head()?;
    let mut out = Streamed { records: 0, purged: 0, first_seq: None, last_seq: None, referenced: HashSet::new() };
    let mut frontier = Frontier::default();
    let mut cps = checkpoints.iter().peekable();
    let mut last_time = String::new();
    let check_roots = |frontier: &Frontier,
                       cps: &mut std::iter::Peekable<std::slice::Iter<(String, Checkpoint)>>|
     -> Result<(), VerifyError> {
        while let Some((name, cp)) = cps.peek() {
            if cp.size != frontier.size() {
                break;
            }
            let root = if cp.size == 0 { empty_root() } else { frontier.root() };
            if root != cp.root {
                return fail(
                    name.as_str(),
                    "its root does not match the tree recomputed from leaves.bin: the log was changed",
                );
            }
            cps.next();
        }
        Ok(())
    };
    check_roots(&frontier, &mut cps)?;
    {
        let mut lines = (&mut events).split(b'\n').enumerate().peekable();
        for seq in 1..=tree_size {
            if seq % EVERY == 0 {
                progress(Progress {
                    stage: Stage::Records,
                    done: seq,
                    total: tree_size,
                    bytes_read: cursor.bytes_read(),
                });
            }
            let mut leaf: Hash = [0; 32];
            leaves.read_exact(&mut leaf).or_else(|_| {
                fail("leaves.bin", format!("ends after {} leaves; the checkpoints cover {tree_size}", seq - 1))
            })?;
            // The record of this seq, if the export holds it.
            let holds = match lines.peek() {
                Some((_, Ok(l))) if l.is_empty() => false,
                Some((i, Ok(l))) => {
                    let line_no = i + 1;
                    let got = record_seq(l).ok_or(VerifyError {
                        place: format!("events.jsonl line {line_no}"),
                        why: "not a record (no seq)".into(),
                    })?;
                    if got < seq {
                        return fail(
                            format!("events.jsonl line {line_no} (seq {got})"),
                            format!("out of order: it comes after seq {}", out.last_seq.unwrap_or(0)),
                        );
                    }
                    if got == seq && out.last_seq.is_some_and(|last| last + 1 != seq) {
                        return fail(
                            format!("events.jsonl line {line_no} (seq {got})"),
                            format!("a record is missing before it (expected seq {})", out.last_seq.unwrap_or(0) + 1),
                        );
                    }
                    if got > seq && out.last_seq.is_some() {
                        return fail(
                            format!("events.jsonl line {line_no} (seq {got})"),
                            format!("a record is missing before it (expected seq {seq})"),
                        );
                    }
                    got == seq
                }
                Some((i, Err(e))) => return fail(format!("events.jsonl line {}", i + 1), format!("unreadable: {e}")),
                None => false,
            };
            if holds {
                let (i, line) = lines.next().expect("peeked");
                let line = line.expect("checked");
                let place = format!("events.jsonl line {} (seq {seq})", i + 1);
                let entry =
                    check_record(&line, &leaf, seq, site, versions, &mut last_time).or_else(|why| fail(&place, why))?;
                if let Entry::Record(r) = &entry {
                    if !listed.contains(&r.config_version) {
                        return fail(
                            &place,
                            format!("its config version {} is not listed in manifest.json", r.config_version),
                        );
                    }
                    if !out.referenced.contains(&r.config_version) {
                        out.referenced.insert(r.config_version.clone());
                    }
                } else {
                    out.purged += 1;
                }
                views.entry(&entry)?;
                out.records += 1;
                out.first_seq.get_or_insert(seq);
                out.last_seq = Some(seq);
            }
            frontier.append(leaf, |_, _, _| {});
            check_roots(&frontier, &mut cps)?;
        }
        for (i, line) in lines {
            match line {
                Ok(l) if l.is_empty() => continue,
                Ok(l) => {
                    let seq = record_seq(&l).unwrap_or(0);
                    return fail(
                        format!("events.jsonl line {} (seq {seq})", i + 1),
                        format!("beyond the signed log of {tree_size} records, or out of order"),
                    );
                }
                Err(e) => return fail(format!("events.jsonl line {}", i + 1), format!("unreadable: {e}")),
            }
        }
    }
    let mut extra = [0u8; 1];
    if leaves.read(&mut extra).unwrap_or(0) > 0 {
        return fail("leaves.bin", format!("holds more than the {tree_size} leaves the checkpoints cover"));
    }
    if let Some((name, _)) = cps.next() {
        return fail(name.as_str(), "its size is not reached by leaves.bin");
    }
    views.end()?;
    progress(Progress { stage: Stage::Records, done: tree_size, total: tree_size, bytes_read: cursor.bytes_read() });
    finish("leaves.bin", leaves, signed)?;
    finish("events.jsonl", events, signed)?;
    finish("events.csv", views.csv_in.r, signed)?;
    finish("events.dpv.jsonld", views.dpv_in.r, signed)?;
    Ok(out)
}

fn record_seq(line: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_slice::<Seq>(line).ok().map(|s| s.seq)
}

fn check_record(
    line: &[u8],
    leaf: &Hash,
    seq: u64,
    site: &str,
    versions: &HashSet<String>,
    last_time: &mut String,
) -> Result<Entry, String> {
    if line.starts_with(b"{\"purged\"") {
        // Personal fields removed after the retention period: only the leaf proves the record.
        let v: serde_json::Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
        if v != serde_json::json!({"purged": true, "seq": seq}) {
            return Err("a purged marker must be exactly {\"purged\":true,\"seq\":N}".into());
        }
        return Ok(Entry::Purged(seq));
    }
    let record: ConsentRecord = serde_json::from_slice(line).map_err(|e| format!("not a consent record: {e}"))?;
    if record.canonical_bytes() != line {
        return Err("not in canonical form: the bytes were changed".into());
    }
    if &leaf_hash(line) != leaf {
        return Err(
            "its hash is not the log's leaf at this seq in leaves.bin: the record (or leaves.bin) was changed".into()
        );
    }
    if record.seq != seq || record.site != site {
        return Err(format!("names seq {} of site `{}`", record.seq, record.site));
    }
    if !versions.contains(&record.config_version) {
        return Err(format!("its config version {} is not in configs/", record.config_version));
    }
    if record.recorded_at < *last_time {
        return Err(format!("recorded at {}, before the previous record ({last_time})", record.recorded_at));
    }
    last_time.clone_from(&record.recorded_at);
    Ok(Entry::Record(record))
}

/// Calls `f` with each line of the file `file` of the bundle read from `source` (without its
/// newline), streaming, until `f` returns `false`: the browser verifier pages through
/// `events.jsonl` this way after verifying it, holding no more than a page of records.
pub fn each_line<R: Read + Seek>(source: R, file: &str, mut f: impl FnMut(&[u8]) -> bool) -> Result<(), VerifyError> {
    let cursor = Cursor::new(source).or_else(|e| fail(file, format!("cannot open: {e}")))?;
    let mut zip = zip::ZipArchive::new(cursor).or_else(|e| fail(file, format!("not a zip bundle: {e}")))?;
    let r = zip.by_name(file).or_else(|_| fail(file, "missing from the bundle"))?;
    let mut r = BufReader::with_capacity(64 * 1024, r);
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).or_else(|e| fail(file, format!("unreadable: {e}")))? == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if !line.is_empty() && !f(&line) {
            return Ok(());
        }
    }
}
