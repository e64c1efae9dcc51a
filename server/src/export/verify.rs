//! `kelisim verify FILE.zip`: checks an export bundle offline, trusting nothing in it but the
//! public key (which the auditor compares with one obtained from the operator separately).
//!
//! 1. every checkpoint is signed by `log-key.pub`, names this site, and sizes and times only grow;
//! 2. the Merkle root recomputed from `leaves.bin` equals every checkpoint's root at its size;
//! 3. every line of `events.jsonl` is a record in exact canonical form whose leaf hash is the
//!    log's leaf at its `seq`; the records are consecutive, of this site, and their times only grow;
//! 4. every config version a record names is in `configs/`, and its content hashes to its name.
//!
//! Reading is streaming (two independent readers over the zip), so memory stays flat.

use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::{Checkpoint, VerifierKey};
use kelisim_shared::config::Config;
use kelisim_shared::merkle::{empty_root, leaf_hash, Frontier, Hash};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

#[derive(Debug)]
pub struct VerifyError {
    /// Where: a file, a line, a record.
    pub place: String,
    pub why: String,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.why)
    }
}

fn fail<T>(place: impl Into<String>, why: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError { place: place.into(), why: why.into() })
}

pub struct Verified {
    pub site: String,
    pub records: u64,
    pub purged: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub tree_size: u64,
    pub checkpoints: usize,
    pub key: String,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let range = match (self.first_seq, self.last_seq) {
            (Some(a), Some(b)) => format!(" (seq {a}–{b})"),
            _ => String::new(),
        };
        write!(
            f,
            "intact: site {}, {} records{range}{}, in a log of {} records under {} signed checkpoints, key {}",
            self.site,
            self.records,
            if self.purged > 0 { format!(" ({} purged)", self.purged) } else { String::new() },
            self.tree_size,
            self.checkpoints,
            self.key
        )
    }
}

fn open(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>, VerifyError> {
    let file = File::open(path).or_else(|e| fail(path.display().to_string(), format!("cannot open: {e}")))?;
    zip::ZipArchive::new(BufReader::new(file)).or_else(|e| fail(path.display().to_string(), format!("not a zip bundle: {e}")))
}

fn entries(zip: &zip::ZipArchive<BufReader<File>>) -> Vec<String> {
    zip.file_names().filter_map(|n| n.ok().map(|c| c.into_owned())).collect()
}

fn read_small(zip: &mut zip::ZipArchive<BufReader<File>>, name: &str) -> Result<String, VerifyError> {
    let mut f = zip.by_name(name).or_else(|_| fail(name, "missing from the bundle"))?;
    if f.size() > 16 * 1024 * 1024 {
        return fail(name, "unexpectedly large");
    }
    let mut s = String::new();
    f.read_to_string(&mut s).or_else(|e| fail(name, format!("unreadable: {e}")))?;
    Ok(s)
}

pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    let mut zip = open(path)?;
    let manifest: serde_json::Value =
        serde_json::from_str(&read_small(&mut zip, "manifest.json")?).or_else(|e| fail("manifest.json", format!("not JSON: {e}")))?;
    if manifest["format"] != super::FORMAT {
        return fail("manifest.json", format!("not a {} bundle", super::FORMAT));
    }
    let site = manifest["site"].as_str().map(str::to_owned).ok_or(VerifyError { place: "manifest.json".into(), why: "no site".into() })?;
    let key = VerifierKey::parse(read_small(&mut zip, "log-key.pub")?.trim()).or_else(|e| fail("log-key.pub", format!("not a verifier key: {e}")))?;

    // 1. Checkpoints.
    let mut names: Vec<String> = entries(&zip).into_iter().filter(|n| n.starts_with("checkpoints/") && n.ends_with(".txt")).collect();
    names.sort();
    if names.is_empty() {
        return fail("checkpoints/", "no signed checkpoint in the bundle");
    }
    let mut checkpoints: Vec<(String, Checkpoint)> = Vec::new();
    for name in names {
        let note = read_small(&mut zip, &name)?;
        let cp = key.verify(&note).or_else(|e| fail(&name, format!("signature check failed against log-key.pub: {e}")))?;
        if cp.site() != Some(site.as_str()) {
            return fail(&name, format!("is for log `{}`, not site `{site}`", cp.origin));
        }
        if let Some((prev_name, prev)) = checkpoints.last() {
            if cp.size < prev.size {
                return fail(&name, format!("tree size {} is smaller than {} in {prev_name}: a signed log never shrinks", cp.size, prev.size));
            }
            if cp.time < prev.time {
                return fail(&name, format!("time {} is earlier than {} in {prev_name}", cp.time, prev.time));
            }
        }
        checkpoints.push((name, cp));
    }
    let tree_size = checkpoints.last().map(|c| c.1.size).unwrap_or(0);

    // 4. Config versions: each named by the hash of its content.
    let config_names: Vec<String> = entries(&zip).into_iter().filter(|n| n.starts_with("configs/") && n.ends_with(".json")).collect();
    let mut versions = HashSet::new();
    for name in config_names {
        let body = read_small(&mut zip, &name)?;
        let cfg: Config = serde_json::from_str(&body).or_else(|e| fail(&name, format!("not a config: {e}")))?;
        let v = &name["configs/".len()..name.len() - ".json".len()];
        if kelisim_shared::policy::config_version_of(&cfg) != v || cfg.version != v {
            return fail(&name, "its content does not hash to its version: the texts were changed");
        }
        versions.insert(v.to_owned());
    }

    // 2 and 3, in one pass: leaves and records side by side, in seq order.
    let mut leaves_zip = open(path)?;
    let mut leaves = BufReader::new(leaves_zip.by_name("leaves.bin").or_else(|_| fail("leaves.bin", "missing from the bundle"))?);
    let mut events_zip = open(path)?;
    let events = BufReader::new(events_zip.by_name("events.jsonl").or_else(|_| fail("events.jsonl", "missing from the bundle"))?);
    let mut lines = events.split(b'\n').enumerate().peekable();
    let mut frontier = Frontier::default();
    let mut cps = checkpoints.iter().peekable();
    let mut out = Verified { site: site.clone(), records: 0, purged: 0, first_seq: None, last_seq: None, tree_size, checkpoints: checkpoints.len(), key: key.name().to_owned() + "+" + &key.key_id_hex() };
    let mut last_time = String::new();
    let check_roots = |frontier: &Frontier, cps: &mut std::iter::Peekable<std::slice::Iter<(String, Checkpoint)>>| -> Result<(), VerifyError> {
        while let Some((name, cp)) = cps.peek() {
            if cp.size != frontier.size() {
                break;
            }
            let root = if cp.size == 0 { empty_root() } else { frontier.root() };
            if root != cp.root {
                return fail(name.as_str(), "its root does not match the tree recomputed from leaves.bin: the log was changed");
            }
            cps.next();
        }
        Ok(())
    };
    check_roots(&frontier, &mut cps)?;
    for seq in 1..=tree_size {
        let mut leaf: Hash = [0; 32];
        leaves.read_exact(&mut leaf).or_else(|_| fail("leaves.bin", format!("ends after {} leaves; the checkpoints cover {tree_size}", seq - 1)))?;
        // The record of this seq, if the export holds it.
        let holds = match lines.peek() {
            Some((_, Ok(l))) if l.is_empty() => false,
            Some((i, Ok(l))) => {
                let line_no = i + 1;
                let got = record_seq(l).ok_or(VerifyError { place: format!("events.jsonl line {line_no}"), why: "not a record (no seq)".into() })?;
                if got < seq {
                    return fail(format!("events.jsonl line {line_no} (seq {got})"), format!("out of order: it comes after seq {}", out.last_seq.unwrap_or(0)));
                }
                if got == seq && out.last_seq.is_some_and(|last| last + 1 != seq) {
                    return fail(format!("events.jsonl line {line_no} (seq {got})"), format!("a record is missing before it (expected seq {})", out.last_seq.unwrap_or(0) + 1));
                }
                if got > seq && out.last_seq.is_some() {
                    return fail(format!("events.jsonl line {line_no} (seq {got})"), format!("a record is missing before it (expected seq {seq})"));
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
            check_record(&line, &leaf, seq, &site, &versions, &mut last_time).or_else(|why| fail(&place, why))?;
            if line.starts_with(b"{\"purged\"") {
                out.purged += 1;
            }
            out.records += 1;
            out.first_seq.get_or_insert(seq);
            out.last_seq = Some(seq);
        }
        frontier.append(leaf, |_, _, _| {});
        check_roots(&frontier, &mut cps)?;
    }
    let mut extra = [0u8; 1];
    if leaves.read(&mut extra).unwrap_or(0) > 0 {
        return fail("leaves.bin", format!("holds more than the {tree_size} leaves the checkpoints cover"));
    }
    if let Some((name, _)) = cps.next() {
        return fail(name.as_str(), "its size is not reached by leaves.bin");
    }
    for (i, line) in lines {
        match line {
            Ok(l) if l.is_empty() => continue,
            Ok(l) => {
                let seq = record_seq(&l).unwrap_or(0);
                return fail(format!("events.jsonl line {} (seq {seq})", i + 1), format!("beyond the signed log of {tree_size} records, or out of order"));
            }
            Err(e) => return fail(format!("events.jsonl line {}", i + 1), format!("unreadable: {e}")),
        }
    }
    if manifest["events"].as_u64() != Some(out.records) {
        return fail("manifest.json", format!("says {} records, events.jsonl holds {}", manifest["events"], out.records));
    }
    Ok(out)
}

fn record_seq(line: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_slice::<Seq>(line).ok().map(|s| s.seq)
}

fn check_record(line: &[u8], leaf: &Hash, seq: u64, site: &str, versions: &HashSet<String>, last_time: &mut String) -> Result<(), String> {
    if line.starts_with(b"{\"purged\"") {
        // Personal fields removed after the retention period: only the leaf proves the record.
        let v: serde_json::Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
        if v != serde_json::json!({"purged": true, "seq": seq}) {
            return Err("a purged marker must be exactly {\"purged\":true,\"seq\":N}".into());
        }
        return Ok(());
    }
    let record: ConsentRecord = serde_json::from_slice(line).map_err(|e| format!("not a consent record: {e}"))?;
    if record.canonical_bytes() != line {
        return Err("not in canonical form: the bytes were changed".into());
    }
    if &leaf_hash(line) != leaf {
        return Err("its hash is not the log's leaf at this seq: the record was changed".into());
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
    *last_time = record.recorded_at;
    Ok(())
}
