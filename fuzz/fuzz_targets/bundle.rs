//! `kelisim verify` of an export bundle (the verify crate), two ways:
//!
//! - **raw**: an input that begins with `PK` is the zip itself, whatever its bytes;
//! - **structured**: any other input says how to change one entry of the real bundle of
//!   `seeds/bundle/` (a byte, a line, the whole entry, its name; an entry removed or added), and
//!   whether to sign the file list (`files.sig`) again over what the bundle then holds, with the
//!   bundle's own key — what an exporter that wrote a wrong file would produce. The bundle is
//!   then zipped again (stored or deflated) and verified, so the fuzzer reaches past the zip
//!   layer into the signatures, the tree, the records and their views.
//!
//! Nothing may panic. A bundle reported intact holds every file of the real bundle byte for
//! byte and no other, except that `files.sig` may carry further signature lines after the real
//! one (other keys' cosignatures, which a signed note allows). When the fuzzer signed the file
//! list again, an intact bundle must say what the real one says ([`check_meaning`]), and may
//! hold more files (the format allows files Kelisim does not write, and checks their hashes).
//! And a structured change that leaves every file as it was must be reported intact.
//!
//! Input layout of the structured mode: `[entry, op, a, b, c, flags, rest…]` — `entry` picks an
//! entry of the bundle (modulo their number, plus one: a new entry), `op` the change, `a`, `b`,
//! `c` its position or line, `rest` the bytes it puts in; `flags` bit 0 signs the list again,
//! bit 1 deflates (else stores) the entries.
#![no_main]

use kelisim_shared::checkpoint::LogKey;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

/// The real bundle the structured mode changes (also the raw mode's seed).
const BUNDLE: &[u8] = include_bytes!("../seeds/bundle/aimap-5-records.zip");
/// Its log's private key: made for it by `kelisim serve` in a scratch directory, never used for
/// anything else.
const SEED_KEY: &str = "PRIVATE+KEY+kelisim+dd4e9ff5+AQTDsC54cFBYbrnAhgoYRkUWm9SGABV6Z+lDP43oRTpJ";
const SITE: &str = "aimap";
const FILES: &str = kelisim_verify::FILES;

type Entries = Vec<(String, Vec<u8>)>;

/// Every entry of a zip, in order, or `None` if one cannot be read.
fn unzip(zip: &[u8]) -> Option<Entries> {
    let mut z = zip::ZipArchive::new(Cursor::new(zip)).ok()?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).ok()?;
        let mut b = Vec::new();
        f.read_to_end(&mut b).ok()?;
        out.push((f.name().ok()?.into_owned(), b));
    }
    Some(out)
}

fn real() -> &'static (Entries, LogKey) {
    static R: OnceLock<(Entries, LogKey)> = OnceLock::new();
    R.get_or_init(|| {
        let entries = unzip(BUNDLE).expect("the seed bundle unzips");
        let key = LogKey::from_private_text(SEED_KEY).expect("the seed key parses");
        let files = entries.iter().find(|e| e.0 == FILES).expect("the seed bundle has files.sig");
        assert!(key.verifier().verify_note(std::str::from_utf8(&files.1).unwrap()).is_ok(), "seed key ≠ bundle key");
        (entries, key)
    })
}

fn verify(zip: &[u8]) -> Result<kelisim_verify::Verified, kelisim_verify::VerifyError> {
    kelisim_verify::verify(Cursor::new(zip), "fuzz.zip", &mut |_| {})
}

/// What an intact report promises (see the top of this file); `resigned` when the fuzzer's
/// bundle had its file list signed again.
fn check_intact(got: &Entries, resigned: bool) {
    let (real, _) = real();
    let named = |name: &str| -> Vec<&Vec<u8>> { got.iter().filter(|e| e.0 == name).map(|e| &e.1).collect() };
    let files = named(FILES);
    assert_eq!(files.len(), 1, "reported intact with {} files.sig", files.len());
    if resigned {
        check_meaning(got);
        return;
    }
    for (name, bytes) in real.iter().filter(|e| e.0 != FILES) {
        let found = named(name);
        assert!(found == [bytes], "reported intact, yet {name} is not the real bundle's ({} copies)", found.len());
    }
    assert_eq!(got.len(), real.len(), "reported intact with a file the real bundle does not have");
    let ours = std::str::from_utf8(&real.iter().find(|e| e.0 == FILES).unwrap().1).unwrap();
    let Ok(theirs) = std::str::from_utf8(files[0]) else { panic!("reported intact, yet files.sig is not UTF-8") };
    let further = theirs.strip_prefix(ours);
    assert!(
        further.is_some_and(|f| f.split_inclusive('\n').all(|l| l.starts_with("\u{2014} ") && l.ends_with('\n'))),
        "reported intact, yet files.sig is not the real one with at most further signature lines: {theirs:?}"
    );
}

/// A bundle whose file list was signed again says what the real one says: its files are the
/// real ones byte for byte, except what the verifier reads for its meaning — `manifest.json`
/// (every statement of the real one, more keys allowed), `configs/` (the same config, however
/// written), `log-key.pub` (the same key, white space around it aside) and `checkpoints/` (the
/// same notes; their names only order them) — and it may hold more files than the real one.
fn check_meaning(got: &Entries) {
    let (real, _) = real();
    let named = |name: &str| -> Vec<&Vec<u8>> { got.iter().filter(|e| e.0 == name).map(|e| &e.1).collect() };
    let is_checkpoint = |n: &str| n.starts_with("checkpoints/") && n.ends_with(".txt");
    for (name, bytes) in real.iter().filter(|e| e.0 != FILES && !is_checkpoint(&e.0)) {
        let [found] = named(name)[..] else { panic!("reported intact, yet {name} is not there once") };
        let json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).expect("intact JSON");
        if name == "manifest.json" {
            let (want, found) = (json(bytes), json(found));
            for (k, v) in want.as_object().unwrap() {
                let f = found.get(k).unwrap_or(&serde_json::Value::Null);
                assert_eq!(f, v, "reported intact, yet manifest.json says {k} {f}, not {v}");
            }
        } else if name.starts_with("configs/") {
            let config = |b: &[u8]| serde_json::from_slice::<kelisim_shared::config::Config>(b).expect("intact config");
            assert!(config(bytes) == config(found), "reported intact, yet {name} is another config");
        } else if name == "log-key.pub" {
            assert_eq!(found.trim_ascii(), bytes.trim_ascii(), "reported intact, yet log-key.pub is another key");
        } else {
            assert!(found == bytes, "reported intact, yet {name} is not the real bundle's");
        }
    }
    let mut want: Vec<&Vec<u8>> = real.iter().filter(|e| is_checkpoint(&e.0)).map(|e| &e.1).collect();
    let mut found: Vec<&Vec<u8>> = got.iter().filter(|e| is_checkpoint(&e.0)).map(|e| &e.1).collect();
    want.sort();
    found.sort();
    assert!(want == found, "reported intact, yet the checkpoints are not the real bundle's");
}

fn zip_entries(entries: &Entries, deflate: bool) -> Option<Vec<u8>> {
    let method = if deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        // A name the writer refuses (a second entry of that name) is not a bundle to try.
        w.start_file(name.as_str(), options).ok()?;
        w.write_all(bytes).ok()?;
    }
    Some(w.finish().ok()?.into_inner())
}

/// Splits `b` into lines, each with its `\n` when it has one.
fn lines(b: &[u8]) -> Vec<&[u8]> {
    b.split_inclusive(|c| *c == b'\n').collect()
}

fn structured(data: &[u8]) {
    let [entry, op, a, b, c, flags, ref rest @ ..] = *data else { return };
    let (real, key) = real();
    let mut entries = real.clone();
    let n = entries.len();
    let at = |len: usize| if len == 0 { 0 } else { usize::from(u16::from_le_bytes([a, b])) % (len + 1) };
    let i = usize::from(entry) % (n + 1);
    if i == n {
        // A new entry: its name is the rest up to the first newline, its content what follows.
        let (name, content) = match rest.iter().position(|c| *c == b'\n') {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, &[][..]),
        };
        entries.insert(usize::from(c) % (n + 1), (String::from_utf8_lossy(name).into_owned(), content.to_vec()));
    } else {
        let bytes = &mut entries[i].1;
        match op % 9 {
            // XOR one byte (0 leaves it as it was).
            0 => {
                if !bytes.is_empty() {
                    let p = at(bytes.len() - 1);
                    bytes[p] ^= c;
                }
            }
            // Replace a line (a record, a row, a line of the file list…).
            1 => {
                let mut l = lines(bytes);
                if !l.is_empty() {
                    let k = usize::from(a) % l.len();
                    l[k] = rest;
                }
                *bytes = l.concat();
            }
            // Swap two lines (records out of order).
            2 => {
                let mut l = lines(bytes);
                if !l.is_empty() {
                    let (x, y) = (usize::from(a) % l.len(), usize::from(b) % l.len());
                    l.swap(x, y);
                }
                *bytes = l.concat();
            }
            // Insert bytes.
            3 => {
                let p = at(bytes.len());
                bytes.splice(p..p, rest.iter().copied());
            }
            // Cut the entry short.
            4 => {
                let p = at(bytes.len());
                bytes.truncate(p);
            }
            // Replace the whole entry.
            5 => *bytes = rest.to_vec(),
            // Replace one 32-byte leaf (of leaves.bin; any entry alike).
            6 => {
                let leaves = bytes.len() / 32;
                if leaves > 0 {
                    let k = usize::from(a) % leaves;
                    let mut leaf = [0u8; 32];
                    let m = rest.len().min(32);
                    leaf[..m].copy_from_slice(&rest[..m]);
                    bytes[k * 32..k * 32 + 32].copy_from_slice(&leaf);
                }
            }
            // Remove the entry.
            7 => {
                entries.remove(i);
            }
            // Rename the entry.
            _ => entries[i].0 = String::from_utf8_lossy(rest).into_owned(),
        }
    }
    let resign = flags & 1 == 1;
    if resign {
        // The file list signed again over every other entry, in the order of the zip, as the
        // exporter writes it.
        let sums: Vec<(String, [u8; 32])> =
            entries.iter().filter(|e| e.0 != FILES).map(|(n, b)| (n.clone(), Sha256::digest(b).into())).collect();
        let note = key.sign_note(&kelisim_verify::files_note(SITE, &key.key_id_hex(), &sums));
        match entries.iter_mut().find(|e| e.0 == FILES) {
            Some(e) => e.1 = note.into_bytes(),
            None => entries.push((FILES.to_owned(), note.into_bytes())),
        }
    }
    let Some(zip) = zip_entries(&entries, flags & 2 == 2) else { return };
    let result = verify(&zip);
    if entries == *real {
        if let Err(e) = &result {
            panic!("the real bundle's files, zipped again, were refused: {e}");
        }
    }
    if result.is_ok() {
        check_intact(&entries, resign);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PK") {
        if verify(data).is_ok() {
            let Some(got) = unzip(data) else { panic!("reported intact, yet an entry cannot be read") };
            check_intact(&got, false);
        }
    } else {
        structured(data);
    }
});
