//! Step 0 of [`super::verify`]: the bundle's files against `files.sig` — the signed list itself
//! (its key, its site, one SHA-256 per file), small files read whole and streamed ones hashed as
//! they are read, and, when a record does not check out, which files were changed since the
//! export.

use super::{fail, VerifyError};
use crate::source::Cursor;
use crate::FILES;
use kelisim_shared::checkpoint::{CheckpointError, VerifierKey};
use kelisim_shared::merkle::Hash;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read, Seek, SeekFrom};

pub(super) type Zip<R> = zip::ZipArchive<Cursor<R>>;

/// The files of the bundle, in the order of the zip.
pub(super) fn entries<R: Read + Seek>(zip: &Zip<R>) -> Vec<String> {
    zip.file_names().filter_map(|n| n.ok().map(|c| c.into_owned())).collect()
}

/// The name of a file that is in the zip twice, reading its local headers in order.
pub(super) fn duplicate_name<R: Read + Seek>(mut r: Cursor<R>) -> Option<String> {
    r.seek(SeekFrom::Start(0)).ok()?;
    let mut seen = HashSet::new();
    while let Ok(Some(mut f)) = zip::read::read_zipfile_from_stream(&mut r) {
        let name = f.name().ok()?.into_owned();
        std::io::copy(&mut f, &mut std::io::sink()).ok()?;
        if !seen.insert(name.clone()) {
            return Some(name);
        }
    }
    None
}

/// A small file, whole (at most 16 MiB, whatever its header says).
pub(super) fn read_bytes<R: Read + Seek>(zip: &mut Zip<R>, name: &str) -> Result<Vec<u8>, VerifyError> {
    const LIMIT: u64 = 16 * 1024 * 1024;
    let f = zip.by_name(name).or_else(|_| fail(name, "missing from the bundle"))?;
    let mut b = Vec::new();
    f.take(LIMIT + 1).read_to_end(&mut b).or_else(|e| fail(name, format!("unreadable: {e}")))?;
    if b.len() as u64 > LIMIT {
        return fail(name, "unexpectedly large");
    }
    Ok(b)
}

pub(super) const CHANGED: &str =
    "its SHA-256 is not the one files.sig lists for it: the file was changed after the export";

/// `files.sig`, checked: the site it is for and the SHA-256 of every other file of the bundle.
pub(super) struct Signed {
    pub(super) site: String,
    pub(super) sums: HashMap<String, Hash>,
    pub(super) names: Vec<String>,
}

impl Signed {
    pub(super) fn check(&self, name: &str, got: &Hash) -> Result<(), VerifyError> {
        match self.sums.get(name) {
            Some(want) if want == got => Ok(()),
            Some(_) => fail(name, CHANGED),
            None => fail(name, "is not in files.sig: a file was added to the bundle after the export"),
        }
    }

    /// Reads a small file whole and checks it against its signed hash.
    pub(super) fn read<R: Read + Seek>(&self, zip: &mut Zip<R>, name: &str) -> Result<String, VerifyError> {
        let b = read_bytes(zip, name)?;
        self.check(name, &Sha256::digest(&b).into())?;
        String::from_utf8(b).or_else(|_| fail(name, "not UTF-8 text"))
    }
}

pub(super) fn unhex32(s: &str) -> Option<Hash> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

pub(super) fn signed_list<R: Read + Seek>(
    zip: &mut Zip<R>,
    key: &VerifierKey,
    key_name: &str,
) -> Result<Signed, VerifyError> {
    if zip.index_for_name(FILES).is_none() {
        // A bundle of the first format had no list of files: say so rather than just "missing".
        let old = read_bytes(zip, "manifest.json")
            .ok()
            .and_then(|m| serde_json::from_slice::<serde_json::Value>(&m).ok())
            .is_some_and(|m| m["format"] == "kelisim-export/1");
        if old {
            return fail(FILES, "missing: this is a kelisim-export/1 bundle, made before every file of a bundle was signed; export it again");
        }
        return fail(FILES, "missing from the bundle: it signs the hash of every other file");
    }
    let note = String::from_utf8(read_bytes(zip, FILES)?).or_else(|_| fail(FILES, "not UTF-8 text"))?;
    let body = key.verify_note(&note).map_err(|e| {
        let why = match e {
            CheckpointError::NotSignedByKey => "it has no signature by log-key.pub".to_owned(),
            CheckpointError::BadSignature => "its signature by log-key.pub does not verify".to_owned(),
            CheckpointError::Malformed(why) => format!("it is not a signed note ({why})"),
            e => e.to_string(),
        };
        VerifyError {
            place: FILES.into(),
            why: format!("{why} (key {key_name}): the list of files or the key was changed"),
        }
    })?;
    let mut lines = body.lines();
    let origin = lines.next().unwrap_or("");
    let site = origin
        .strip_prefix("kelisim-files/")
        .and_then(|r| r.strip_suffix(&format!("/{}", key.key_id_hex())))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| VerifyError {
            place: FILES.into(),
            why: format!(
                "its first line `{origin}` is not `kelisim-files/<site>/{}`: not the file list of a bundle",
                key.key_id_hex()
            ),
        })?;
    let mut out = Signed { site: site.to_owned(), sums: HashMap::new(), names: Vec::new() };
    for (i, line) in lines.enumerate() {
        let bad =
            || VerifyError { place: format!("{FILES} line {}", i + 2), why: "not `<SHA-256 hex>  <file>`".into() };
        let (sum, name) = line.split_once("  ").ok_or_else(bad)?;
        let sum = unhex32(sum).ok_or_else(bad)?;
        if name.is_empty() || name == FILES {
            return Err(bad());
        }
        if out.sums.insert(name.to_owned(), sum).is_some() {
            return fail(format!("{FILES} line {}", i + 2), format!("lists {name} twice"));
        }
        out.names.push(name.to_owned());
    }
    Ok(out)
}

/// A reader that hashes what is read through it.
pub(super) struct Hashing<R> {
    inner: R,
    h: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.h.update(&buf[..n]);
        Ok(n)
    }
}

pub(super) type Stream<'a, R> = BufReader<Hashing<zip::read::ZipFile<'a, Cursor<R>>>>;

pub(super) fn stream<'a, R: Read + Seek>(zip: &'a mut Zip<R>, name: &str) -> Result<Stream<'a, R>, VerifyError> {
    let f = zip.by_name(name).or_else(|_| fail(name, "missing from the bundle"))?;
    Ok(BufReader::with_capacity(64 * 1024, Hashing { inner: f, h: Sha256::new() }))
}

/// Reads what is left of a streamed file and checks its hash.
pub(super) fn finish<R: Read + Seek>(name: &str, mut r: Stream<R>, signed: &Signed) -> Result<(), VerifyError> {
    std::io::copy(&mut r, &mut std::io::sink()).or_else(|e| fail(name, format!("unreadable: {e}")))?;
    signed.check(name, &r.into_inner().h.finalize().into())
}

/// The files read as streams; when a record does not check out, which of them (if any) differ
/// from what `files.sig` lists tells whether the bundle was changed after the export.
pub(super) const STREAMED: [&str; 4] = ["leaves.bin", "events.jsonl", "events.csv", "events.dpv.jsonld"];

pub(super) fn explain<R: Read + Seek>(base: &Zip<R>, signed: &Signed, e: VerifyError) -> VerifyError {
    let mut changed = Vec::new();
    for name in STREAMED {
        let mut z = base.clone();
        let Ok(mut r) = stream(&mut z, name) else { continue };
        if std::io::copy(&mut r, &mut std::io::sink()).is_ok()
            && signed.sums.get(name) != Some(&r.into_inner().h.finalize().into())
        {
            changed.push(name);
        }
    }
    let why = match changed.as_slice() {
        [] => format!(
            "{}; yet every file is as files.sig lists it: the bundle was written this way by its exporter",
            e.why
        ),
        [one] => format!("{}; {one} is not as files.sig lists it: it was changed after the export", e.why),
        more => format!(
            "{}; {} are not as files.sig lists them: they were changed after the export",
            e.why,
            more.join(", ")
        ),
    };
    VerifyError { place: e.place, why }
}
