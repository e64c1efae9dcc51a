//! How [`super::verify`] says what is wrong with a bundle: where (a file, a line, a record) and
//! why, in English, and what kind of problem that is, for the browser verifier, which explains
//! each kind in Kazakh, Russian and English.

use super::files::CHANGED;

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

/// What kind of problem a [`VerifyError`] is, for a reader who does not read the message's
/// English (the browser verifier explains each kind in Kazakh, Russian and English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Not a zip, not this format, or a bundle of the first format.
    NotABundle,
    /// A signature by `log-key.pub` does not verify (the list of files, a checkpoint).
    Signature,
    /// A file's SHA-256 is not the one `files.sig` lists.
    FileChanged,
    /// A file that `files.sig` does not list, or a file twice.
    FileAdded,
    /// A file `files.sig` lists, or that a bundle must have, is missing.
    FileRemoved,
    /// A record's bytes are not those of the log (its leaf, its canonical form, its fields).
    RecordChanged,
    /// A record of the exported range is missing.
    RecordMissing,
    /// Records out of order, or beyond the signed log.
    RecordOrder,
    /// The tree of `leaves.bin` is not the one the checkpoints sign.
    LogChanged,
    /// A version of the texts does not hash to its name.
    TextsChanged,
    /// `events.csv` or `events.dpv.jsonld` is not what the records give.
    ViewDiffers,
    /// `manifest.json`, `README.md` or `operator.json` does not state what the bundle holds.
    StatementWrong,
    Other,
}

impl VerifyError {
    /// The file the problem is in (the start of [`VerifyError::place`]).
    pub fn file(&self) -> &str {
        let p = self.place.as_str();
        let end = [" line ", " record of seq ", " (", ": "].iter().filter_map(|m| p.find(m)).min().unwrap_or(p.len());
        &p[..end]
    }

    fn number_after(&self, marker: &str) -> Option<u64> {
        let at = self.place.find(marker)? + marker.len();
        let digits: String = self.place[at..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// The line of the file, when the place names one.
    pub fn line(&self) -> Option<u64> {
        self.number_after(" line ")
    }

    /// The `seq` of the record, when the place names one.
    pub fn seq(&self) -> Option<u64> {
        self.number_after("seq ")
    }

    /// `Some(true)` when the message says the files involved were changed after the export,
    /// `Some(false)` when every file is as signed (the exporter wrote it that way).
    pub fn after_export(&self) -> Option<bool> {
        if self.why.contains("written this way by its exporter") {
            Some(false)
        } else if self.why.contains("after the export")
            || self.why.contains("a file was removed")
            || self.why.contains("a file was added")
        {
            Some(true)
        } else {
            None
        }
    }

    pub fn kind(&self) -> Kind {
        let (why, file) = (self.why.as_str(), self.file());
        if why.starts_with(CHANGED) {
            Kind::FileChanged
        } else if why.contains("a file was added") {
            Kind::FileAdded
        } else if why.contains("a file was removed") || why.starts_with("missing") {
            Kind::FileRemoved
        } else if why.contains("signature") {
            Kind::Signature
        } else if why.starts_with("cannot open")
            || why.starts_with("not a zip bundle")
            || why.starts_with("not a kelisim-export")
        {
            Kind::NotABundle
        } else if file == "events.csv" || file == "events.dpv.jsonld" {
            Kind::ViewDiffers
        } else if why.contains("a record is missing") {
            Kind::RecordMissing
        } else if why.contains("out of order") || why.contains("beyond the signed log") {
            Kind::RecordOrder
        } else if file == "events.jsonl" {
            Kind::RecordChanged
        } else if file.starts_with("checkpoints/") || file == "leaves.bin" {
            Kind::LogChanged
        } else if file.starts_with("configs/") {
            Kind::TextsChanged
        } else if ["manifest.json", "README.md", "operator.json"].contains(&file) {
            Kind::StatementWrong
        } else {
            Kind::Other
        }
    }
}

pub(super) fn fail<T>(place: impl Into<String>, why: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError { place: place.into(), why: why.into() })
}
