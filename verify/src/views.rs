//! The records for people and tools: `events.csv` (UTF-8 with BOM so Excel shows Cyrillic,
//! one column per category) and `events.dpv.jsonld` (ISO/IEC TS 27560 consent records in
//! W3C DPV terms).
//!
//! Both are functions of `events.jsonl` and `configs/` only, record by record: the export
//! writes them with this code, and `kelisim verify` derives them again with the same code and
//! compares them byte for byte, so a spreadsheet cannot say `reject_all` where the signed record
//! says `accept_all`. A purged record (`{"purged":true,"seq":N}`) has nothing left but its seq,
//! and its row says just that.

use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::config::Config;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A line of `events.jsonl` that is neither a record nor a purged marker: why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEntry(pub String);

impl std::fmt::Display for NotAnEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAnEntry {}

/// One line of `events.jsonl`, parsed (one at a time: the size of the variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    Record(ConsentRecord),
    Purged(u64),
}

impl Entry {
    /// Parses a line of `events.jsonl` (a record's canonical bytes, or a purged marker). The
    /// verifier checks the exact form and the leaf hash separately.
    pub fn parse(line: &[u8]) -> Result<Entry, NotAnEntry> {
        if line.starts_with(b"{\"purged\"") {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Purged {
                purged: bool,
                seq: u64,
            }
            let p: Purged =
                serde_json::from_slice(line).map_err(|e| NotAnEntry(format!("not a purged marker: {e}")))?;
            if !p.purged {
                return Err(NotAnEntry("a purged marker must say \"purged\":true".into()));
            }
            return Ok(Entry::Purged(p.seq));
        }
        serde_json::from_slice(line).map(Entry::Record).map_err(|e| NotAnEntry(format!("not a consent record: {e}")))
    }

    pub fn seq(&self) -> u64 {
        match self {
            Entry::Record(r) => r.seq,
            Entry::Purged(seq) => *seq,
        }
    }
}

/// Category columns: every category of every referenced config version, in the order of the
/// versions (as `manifest.json` lists them) and of their categories, with its Russian title
/// (the operator's working language in the dashboard).
pub fn category_columns(configs: &[Config]) -> Vec<(String, String)> {
    let mut cols: Vec<(String, String)> = Vec::new();
    for c in configs {
        for k in &c.categories {
            if !cols.iter().any(|x| x.0 == k.id) {
                let title = k.title.ru.clone().or_else(|| k.title.kk.clone()).unwrap_or_default();
                cols.push((k.id.clone(), title));
            }
        }
    }
    cols
}

/// A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection"): a cell that
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, and keeps the
/// rest as it was. Applied to every cell of `events.csv`, the header too; a page address or a
/// user agent is whatever the visitor's browser sent.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

pub const CSV_COLUMNS: [&str; 12] = [
    "seq",
    "recorded_at",
    "consent_id",
    "action",
    "language",
    "config_version",
    "gpc",
    "sec_gpc",
    "origin",
    "page",
    "ip",
    "user_agent",
];

/// `events.csv`, a row at a time: [`Csv::head`] then [`Csv::row`] per entry, each returning
/// the exact bytes of the file that follow.
pub struct Csv {
    w: csv::Writer<Shared>,
    buf: Rc<RefCell<Vec<u8>>>,
    categories: Vec<(String, String)>,
    /// The bytes of the last head or row.
    out: Vec<u8>,
}

impl Csv {
    pub fn new(categories: Vec<(String, String)>) -> Csv {
        let buf = Rc::new(RefCell::new(Vec::with_capacity(1024)));
        Csv { w: csv::Writer::from_writer(Shared(buf.clone())), buf, categories, out: Vec::with_capacity(1024) }
    }

    /// The column names, as in the header row.
    pub fn head_names(&self) -> Vec<String> {
        let mut head: Vec<String> = CSV_COLUMNS.iter().map(|s| s.to_string()).collect();
        head.extend(
            self.categories
                .iter()
                .map(|(id, title)| if title.is_empty() { id.clone() } else { format!("{id} ({title})") }),
        );
        head
    }

    /// The byte order mark and the header row.
    pub fn head(&mut self) -> std::io::Result<&[u8]> {
        let head = self.head_names();
        self.emit(head.iter().map(|h| neutralise(h)))?;
        self.out.splice(0..0, "\u{feff}".bytes());
        Ok(&self.out)
    }

    pub fn row(&mut self, e: &Entry) -> std::io::Result<&[u8]> {
        let n = CSV_COLUMNS.len() + self.categories.len();
        match e {
            Entry::Purged(seq) => {
                let seq = seq.to_string();
                let cells = (0..n).map(|i| match i {
                    0 => seq.as_str(),
                    3 => "purged",
                    _ => "",
                });
                self.emit(cells.map(Cow::Borrowed))?;
            }
            Entry::Record(r) => {
                let seq = r.seq.to_string();
                let fixed = [
                    seq.as_str(),
                    r.recorded_at.as_str(),
                    r.consent_id.as_str(),
                    r.action.as_str(),
                    r.language.code(),
                    r.config_version.as_str(),
                    if r.gpc { "1" } else { "0" },
                    if r.sec_gpc { "1" } else { "0" },
                    r.origin.as_deref().unwrap_or(""),
                    r.page.as_deref().unwrap_or(""),
                    r.ip.as_deref().unwrap_or(""),
                    r.user_agent.as_deref().unwrap_or(""),
                ];
                let cats = self.categories.iter().map(|(id, _)| if r.granted.contains(id) { "1" } else { "0" });
                let cells: Vec<&str> = fixed.into_iter().chain(cats).collect();
                self.emit(cells.into_iter().map(neutralise))?;
            }
        }
        Ok(&self.out)
    }

    fn emit<'a>(&mut self, cells: impl Iterator<Item = Cow<'a, str>>) -> std::io::Result<()> {
        for c in cells {
            self.w.write_field(c.as_bytes()).map_err(std::io::Error::other)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(std::io::Error::other)?;
        self.w.flush()?;
        self.out.clear();
        std::mem::swap(&mut self.out, &mut *self.buf.borrow_mut());
        Ok(())
    }
}

/// The buffer the CSV writer writes a row into, shared with [`Csv`] so that the row can be
/// taken out of it (and its capacity kept) after each record.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// DPV consent status for an action (ISO/IEC TS 27560 "consent status").
fn status(action: &str) -> &'static str {
    match action {
        "reject_all" => "dpv:ConsentRefused",
        "withdraw" => "dpv:ConsentWithdrawn",
        _ => "dpv:ConsentGiven",
    }
}

/// JSON string literal (escaped) for `s`.
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The controller of a config version, as the visitor was told (`dpv:DataController`).
fn controller(config: &Config) -> String {
    let op = &config.operator;
    serde_json::json!({
        "@type": "dpv:DataController",
        "dct:title": op.name.ru.as_deref().or(op.name.kk.as_deref()).unwrap_or(""),
        "dct:identifier": op.bin,
        "dpv:hasAddress": op.address.as_ref().and_then(|a| a.ru.clone()),
        "dpv:hasContact": op.email,
        "dpv:hasLocation": op.storage_country,
    })
    .to_string()
}

/// `events.dpv.jsonld`: a JSON-LD document with one `dpv:ConsentRecord` per record, a piece at
/// a time ([`Dpv::head`], [`Dpv::record`] per entry, [`Dpv::tail`]); each record is formatted
/// directly (no JSON tree per record: a million of them must export in seconds). Each record's
/// controller is the operator of the config version the visitor saw.
pub struct Dpv {
    site_raw: String,
    controllers: HashMap<String, String>,
    first: bool,
    purposes: String,
    out: Vec<u8>,
}

impl Dpv {
    /// `configs`: every config version the records reference.
    pub fn new(site: &str, configs: &[Config]) -> Dpv {
        let site = js(site);
        Dpv {
            site_raw: site[1..site.len() - 1].to_owned(),
            controllers: configs.iter().map(|c| (c.version.clone(), controller(c))).collect(),
            first: true,
            purposes: String::new(),
            out: Vec::with_capacity(2048),
        }
    }

    pub fn head(&mut self) -> &[u8] {
        let context = serde_json::json!({
            "dpv": "https://w3id.org/dpv#",
            "dct": "http://purl.org/dc/terms/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "kelisim": "https://kelisim.kz/ns#",
            "dct:created": { "@type": "xsd:dateTime" }
        });
        self.out.clear();
        self.out.extend_from_slice(format!(r#"{{"@context":{context},"@graph":["#).as_bytes());
        &self.out
    }

    pub fn record(&mut self, e: &Entry) -> &[u8] {
        use std::io::Write;
        self.out.clear();
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        let site_raw = &self.site_raw;
        let r = match e {
            Entry::Purged(seq) => {
                let _ = write!(
                    self.out,
                    r#"{{"@id":"urn:kelisim:{site_raw}:{seq}","@type":"dpv:ConsentRecord","dct:identifier":"{site_raw}:{seq}","kelisim:purged":true}}"#
                );
                return &self.out;
            }
            Entry::Record(r) => r,
        };
        self.purposes.clear();
        for (i, g) in r.granted.iter().enumerate() {
            let g = js(g);
            let g_raw = &g[1..g.len() - 1];
            if i > 0 {
                self.purposes.push(',');
            }
            self.purposes.push_str(&format!(
                r#"{{"@id":"kelisim:category/{g_raw}","@type":"dpv:Purpose","dct:identifier":{g}}}"#
            ));
        }
        let controller = self.controllers.get(&r.config_version).map(String::as_str).unwrap_or("null");
        let _ = write!(
            self.out,
            r#"{{"@id":"urn:kelisim:{site_raw}:{seq}","@type":"dpv:ConsentRecord","dct:identifier":"{site_raw}:{seq}","dct:created":{created},"dpv:hasDataSubject":{{"@id":"urn:uuid:{subject}","@type":"dpv:DataSubject"}},"dpv:hasDataController":{controller},"dpv:hasConsentStatus":{{"@id":"{status}"}},"dpv:hasLegalBasis":{{"@id":"dpv:Consent"}},"dpv:hasPurpose":[{purposes}],"dpv:hasNotice":{{"@id":"urn:kelisim:config:{version}","@type":"dpv:ConsentNotice"}},"dpv:hasJurisdiction":"KZ","dct:language":{lang},"kelisim:action":{action},"kelisim:gpc":{gpc}}}"#,
            seq = r.seq,
            created = js(&r.recorded_at),
            subject = js(&r.consent_id).trim_matches('"'),
            status = status(r.action.as_str()),
            purposes = self.purposes,
            version = js(&r.config_version).trim_matches('"'),
            lang = js(r.language.code()),
            action = js(r.action.as_str()),
            gpc = r.gpc,
        );
        &self.out
    }

    pub fn tail(&mut self) -> &[u8] {
        self.out.clear();
        self.out.extend_from_slice(b"]}\n");
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_the_rest_kept() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://evil.example\",\"click\")", "'=HYPERLINK(\"http://evil.example\",\"click\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("'=already quoted", "'=already quoted"),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
        for cell in [
            "",
            "https://webpulse.kz/=x",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "accept_all",
            "12",
            "a=b",
            " =1",
            "203.0.113.0/24",
            "Жарнама",
        ] {
            assert!(matches!(neutralise(cell), Cow::Borrowed(c) if c == cell), "{cell:?} is left as it is");
        }
    }

    fn record(page: &str, ua: &str) -> ConsentRecord {
        serde_json::from_value(serde_json::json!({
            "action": "accept_all", "config_version": "v1", "consent_id": "0b6f9c1e-7f0e-4a57-9d55-7c1f3a9d2b11",
            "event_id": "1b6f9c1e-7f0e-4a57-9d55-7c1f3a9d2b11", "gpc": false, "granted": ["necessary", "analytics"],
            "ip": "203.0.113.0/24", "language": "ru", "origin": "https://webpulse.kz", "page": page,
            "recorded_at": "2026-01-01T00:00:00.000Z", "sec_gpc": false, "seq": 7, "site": "webpulse", "user_agent": ua
        }))
        .unwrap()
    }

    #[test]
    fn csv_rows_neutralise_every_cell_and_read_back() {
        let mut csv = Csv::new(vec![
            ("necessary".into(), "=Необходимые".into()),
            ("analytics".into(), String::new()),
            ("marketing".into(), "Реклама".into()),
        ]);
        let head = csv.head().unwrap().to_vec();
        assert!(head.starts_with("\u{feff}".as_bytes()));
        let row = csv.row(&Entry::Record(record("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"))).unwrap().to_vec();
        let mut all = head[3..].to_vec();
        all.extend_from_slice(&row);
        all.extend_from_slice(csv.row(&Entry::Purged(3)).unwrap());
        let mut r = csv::Reader::from_reader(all.as_slice());
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(h[..4], ["seq", "recorded_at", "consent_id", "action"]);
        assert_eq!(h[12..], ["necessary (=Необходимые)", "analytics", "marketing (Реклама)"]);
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][9], "'=HYPERLINK(\"http://x\")");
        assert_eq!(&rows[0][11], "'+cmd|' /C calc'!A0");
        assert_eq!((&rows[0][3], &rows[0][12], &rows[0][13], &rows[0][14]), ("accept_all", "1", "1", "0"));
        assert_eq!((&rows[1][0], &rows[1][3], &rows[1][4], &rows[1][12]), ("3", "purged", "", ""));
    }

    #[test]
    fn dpv_pieces_make_one_json_document() {
        let mut dpv = Dpv::new("webpulse", &[]);
        let mut all = dpv.head().to_vec();
        all.extend_from_slice(dpv.record(&Entry::Record(record("/", "ua"))));
        all.extend_from_slice(dpv.record(&Entry::Purged(8)));
        all.extend_from_slice(dpv.tail());
        let v: serde_json::Value = serde_json::from_slice(&all).unwrap();
        assert_eq!(v["@graph"][0]["dpv:hasConsentStatus"]["@id"], "dpv:ConsentGiven");
        assert_eq!(
            v["@graph"][1],
            serde_json::json!({"@id": "urn:kelisim:webpulse:8", "@type": "dpv:ConsentRecord", "dct:identifier": "webpulse:8", "kelisim:purged": true})
        );
    }
}
