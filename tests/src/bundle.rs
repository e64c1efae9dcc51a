//! Reading and rewriting export bundles, for the tests that change one and check that
//! `kelisim verify` and the browser verifier catch it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Every entry of a bundle, in order: (name, bytes).
pub fn entries(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().into_owned(), b)
        })
        .collect()
}

/// Writes `entries` as a new zip named `file_name` beside `bundle`.
pub fn write_beside(bundle: &Path, file_name: &str, entries: impl IntoIterator<Item = (String, Vec<u8>)>) -> PathBuf {
    let out = bundle.with_file_name(file_name);
    let mut w = zip::ZipWriter::new(std::fs::File::create(&out).unwrap());
    for (n, b) in entries {
        w.start_file(n.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&b).unwrap();
    }
    w.finish().unwrap();
    out
}

/// A copy of the bundle, named `file_name`, with `edit` applied to the entry `name`.
pub fn edited(bundle: &Path, file_name: &str, name: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) -> PathBuf {
    write_beside(
        bundle,
        file_name,
        entries(bundle).into_iter().map(|(n, b)| {
            if n == name {
                let e = edit(b);
                (n, e)
            } else {
                (n, b)
            }
        }),
    )
}

/// The non-empty lines of a file.
pub fn lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split(|c| *c == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect()
}

/// Lines joined back, each ending in `\n`.
pub fn join(l: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for x in l {
        out.extend_from_slice(x);
        out.push(b'\n');
    }
    out
}
