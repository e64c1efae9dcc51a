//! The views derived from the records (`events.csv`, `events.dpv.jsonld`), read beside the
//! records and compared piece by piece with what the same code derives from them again; and,
//! when a piece differs, the message that names the row and the field.

use super::{fail, Stream, VerifyError};
use crate::views::{self, Entry};
use std::io::{BufRead, Read, Seek};

/// A file derived from the records (`events.csv`, `events.dpv.jsonld`), read beside them and
/// compared, piece by piece, with what the same code derives from them again.
pub(super) struct Derived<'a, R: Read + Seek> {
    name: &'static str,
    pub(super) r: Stream<'a, R>,
    got: Vec<u8>,
    /// Lines of the file matched so far.
    lines: u64,
}

impl<'a, R: Read + Seek> Derived<'a, R> {
    pub(super) fn new(name: &'static str, r: Stream<'a, R>) -> Derived<'a, R> {
        Derived { name, r, got: Vec::with_capacity(4096), lines: 0 }
    }

    /// `Ok(None)` when the next bytes are `want`; else the index of the first difference (the
    /// bytes found are in `self.got`).
    pub(super) fn expect(&mut self, want: &[u8]) -> Result<Option<usize>, VerifyError> {
        self.got.clear();
        (&mut self.r)
            .take(want.len() as u64)
            .read_to_end(&mut self.got)
            .or_else(|e| fail(self.name, format!("unreadable: {e}")))?;
        if self.got == want {
            self.lines += want.iter().filter(|b| **b == b'\n').count() as u64;
            return Ok(None);
        }
        Ok(Some(self.got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(self.got.len().min(want.len()))))
    }

    pub(super) fn at_end(&mut self) -> Result<bool, VerifyError> {
        Ok(self.r.fill_buf().or_else(|e| fail(self.name, format!("unreadable: {e}")))?.is_empty())
    }
}

/// At most 60 characters of a value, for a message.
fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        s.chars().take(57).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

/// The bytes around position `i`, for a message.
fn around(b: &[u8], i: usize) -> String {
    let (a, z) = (i.saturating_sub(28), (i + 28).min(b.len()));
    format!("…{}…", String::from_utf8_lossy(&b[a..z]))
}

/// What differs between the row `want` derived from the record and the row found.
fn csv_difference<R: Read + Seek>(csv: &views::Csv, want: &[u8], found: &mut Derived<R>, at: usize) -> String {
    // The rest of the row found, up to its line's end, to compare field by field.
    if !found.got[at..].contains(&b'\n') {
        let _ = found.r.read_until(b'\n', &mut found.got);
    }
    let parse =
        |b: &[u8]| csv::ReaderBuilder::new().has_headers(false).from_reader(b).records().next().and_then(Result::ok);
    if let (Some(w), Some(g)) = (parse(want), parse(&found.got)) {
        for (j, name) in csv.head_names().iter().enumerate() {
            if w.get(j) != g.get(j) {
                return format!(
                    "its `{name}` is `{}` where the record in events.jsonl gives `{}`",
                    short(g.get(j).unwrap_or("")),
                    short(w.get(j).unwrap_or(""))
                );
            }
        }
    }
    format!(
        "differs from the row the record in events.jsonl gives: expected `{}`, found `{}`",
        around(want, at),
        around(&found.got, at)
    )
}

/// What the records and configs give, checked against `events.csv` and `events.dpv.jsonld`.
pub(super) struct Views<'a, R: Read + Seek> {
    pub(super) csv: views::Csv,
    pub(super) dpv: views::Dpv,
    pub(super) csv_in: Derived<'a, R>,
    pub(super) dpv_in: Derived<'a, R>,
}

impl<R: Read + Seek> Views<'_, R> {
    pub(super) fn head(&mut self) -> Result<(), VerifyError> {
        let want = self.csv.head().or_else(|e| fail("events.csv", e.to_string()))?;
        if let Some(at) = self.csv_in.expect(want)? {
            return fail(
                "events.csv line 1 (the header)",
                format!(
                    "is not the header the config versions give: expected `{}`, found `{}`",
                    around(want, at),
                    around(&self.csv_in.got, at)
                ),
            );
        }
        let want = self.dpv.head();
        if let Some(at) = self.dpv_in.expect(want)? {
            return fail(
                "events.dpv.jsonld",
                format!(
                    "its beginning is not the one Kelisim writes: expected `{}`, found `{}`",
                    around(want, at),
                    around(&self.dpv_in.got, at)
                ),
            );
        }
        Ok(())
    }

    pub(super) fn entry(&mut self, e: &Entry) -> Result<(), VerifyError> {
        let line = self.csv_in.lines + 1;
        let differs = {
            let want = self.csv.row(e).or_else(|e| fail("events.csv", e.to_string()))?;
            self.csv_in.expect(want)?.map(|at| (at, want.to_vec()))
        };
        if let Some((at, want)) = differs {
            let why = if self.csv_in.got.is_empty() {
                "missing: the file ends before it".to_owned()
            } else {
                csv_difference(&self.csv, &want, &mut self.csv_in, at)
            };
            return fail(format!("events.csv line {line} (seq {})", e.seq()), why);
        }
        let want = self.dpv.record(e);
        if let Some(at) = self.dpv_in.expect(want)? {
            let why = if self.dpv_in.got.is_empty() {
                "missing: the file ends before it".to_owned()
            } else {
                format!(
                    "differs from the record in events.jsonl: expected `{}`, found `{}`",
                    around(want, at),
                    around(&self.dpv_in.got, at)
                )
            };
            return fail(format!("events.dpv.jsonld record of seq {}", e.seq()), why);
        }
        Ok(())
    }

    pub(super) fn end(&mut self) -> Result<(), VerifyError> {
        if !self.csv_in.at_end()? {
            return fail(
                format!("events.csv line {}", self.csv_in.lines + 1),
                "a row beyond the records of events.jsonl",
            );
        }
        let want = self.dpv.tail();
        if self.dpv_in.expect(want)?.is_some() || !self.dpv_in.at_end()? {
            return fail(
                "events.dpv.jsonld",
                "holds more than the records of events.jsonl, or does not end as Kelisim writes it",
            );
        }
        Ok(())
    }
}
