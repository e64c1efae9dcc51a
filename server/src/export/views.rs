//! The records for people and tools: `events.csv` (UTF-8 with BOM so Excel shows Cyrillic,
//! one column per category) and `events.dpv.jsonld` (ISO/IEC TS 27560 consent records in
//! W3C DPV terms). Both are derived views; `events.jsonl` is what the verifier checks.

use super::ExportError;
use kelisim_shared::config::Config;
use rusqlite::Connection;
use std::io::Write;

/// Category columns: every category of every referenced config version, in first-seen order,
/// with its Russian title (the operator's working language in the dashboard).
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

struct Row {
    seq: i64,
    recorded_at: String,
    consent_id: String,
    action: String,
    granted: Vec<String>,
    language: String,
    config_version: String,
    gpc: bool,
    sec_gpc: bool,
    origin: Option<String>,
    page: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
}

fn each(db: &Connection, sql: &str, args: &[rusqlite::types::Value], mut f: impl FnMut(Row) -> Result<(), ExportError>) -> Result<(), ExportError> {
    let mut st = db.prepare(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        f(Row {
            seq: r.get(0)?,
            recorded_at: r.get(2)?,
            consent_id: crate::store::uuid_text(&r.get::<_, Vec<u8>>(3)?).map_err(|e| ExportError::Corrupt(e.to_string()))?,
            action: r.get(4)?,
            granted: r.get::<_, String>(5)?.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            language: r.get(6)?,
            config_version: r.get(7)?,
            gpc: r.get(8)?,
            sec_gpc: r.get(9)?,
            origin: r.get(10)?,
            page: r.get(11)?,
            ip: r.get(12)?,
            user_agent: r.get(13)?,
        })?;
    }
    Ok(())
}

pub fn csv(db: &Connection, sql: &str, args: &[rusqlite::types::Value], categories: &[(String, String)], out: &mut impl Write) -> Result<(), ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    let mut head: Vec<String> = ["seq", "recorded_at", "consent_id", "action", "language", "config_version", "gpc", "sec_gpc", "origin", "page", "ip", "user_agent"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    head.extend(categories.iter().map(|(id, title)| if title.is_empty() { id.clone() } else { format!("{id} ({title})") }));
    w.write_record(&head).map_err(csv_err)?;
    each(db, sql, args, |r| {
        let mut rec = vec![
            r.seq.to_string(),
            r.recorded_at,
            r.consent_id,
            r.action,
            r.language,
            r.config_version,
            u8::from(r.gpc).to_string(),
            u8::from(r.sec_gpc).to_string(),
            r.origin.unwrap_or_default(),
            r.page.unwrap_or_default(),
            r.ip.unwrap_or_default(),
            r.user_agent.unwrap_or_default(),
        ];
        rec.extend(categories.iter().map(|(id, _)| if r.granted.contains(id) { "1" } else { "0" }.to_owned()));
        w.write_record(&rec).map_err(csv_err)
    })?;
    w.flush()?;
    Ok(())
}

fn csv_err(e: csv::Error) -> ExportError {
    ExportError::Io(std::io::Error::other(e))
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

/// A JSON-LD document with one `dpv:ConsentRecord` per record, written as a stream; each record
/// is written directly (no JSON tree per record: a million of them must export in seconds).
pub fn dpv(db: &Connection, sql: &str, args: &[rusqlite::types::Value], config: &Config, out: &mut impl Write) -> Result<(), ExportError> {
    let op = &config.operator;
    let controller = serde_json::json!({
        "@type": "dpv:DataController",
        "dct:title": op.name.ru.as_deref().or(op.name.kk.as_deref()).unwrap_or(""),
        "dct:identifier": op.bin,
        "dpv:hasAddress": op.address.as_ref().and_then(|a| a.ru.clone()),
        "dpv:hasContact": op.email,
        "dpv:hasLocation": op.storage_country,
    })
    .to_string();
    let context = serde_json::json!({
        "dpv": "https://w3id.org/dpv#",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "kelisim": "https://kelisim.kz/ns#",
        "dct:created": { "@type": "xsd:dateTime" }
    });
    let site = js(&config.site);
    let site_raw = &site[1..site.len() - 1];
    write!(out, r#"{{"@context":{context},"@graph":["#)?;
    let mut first = true;
    let mut purposes = String::new();
    each(db, sql, args, |r| {
        purposes.clear();
        for (i, g) in r.granted.iter().enumerate() {
            let g = js(g);
            let g_raw = &g[1..g.len() - 1];
            if i > 0 {
                purposes.push(',');
            }
            purposes.push_str(&format!(r#"{{"@id":"kelisim:category/{g_raw}","@type":"dpv:Purpose","dct:identifier":{g}}}"#));
        }
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        write!(
            out,
            r#"{{"@id":"urn:kelisim:{site_raw}:{seq}","@type":"dpv:ConsentRecord","dct:identifier":"{site_raw}:{seq}","dct:created":{created},"dpv:hasDataSubject":{{"@id":"urn:uuid:{subject}","@type":"dpv:DataSubject"}},"dpv:hasDataController":{controller},"dpv:hasConsentStatus":{{"@id":"{status}"}},"dpv:hasLegalBasis":{{"@id":"dpv:Consent"}},"dpv:hasPurpose":[{purposes}],"dpv:hasNotice":{{"@id":"urn:kelisim:config:{version}","@type":"dpv:ConsentNotice"}},"dpv:hasJurisdiction":"KZ","dct:language":{lang},"kelisim:action":{action},"kelisim:gpc":{gpc}}}"#,
            seq = r.seq,
            created = js(&r.recorded_at),
            subject = js(&r.consent_id).trim_matches('"'),
            status = status(&r.action),
            version = js(&r.config_version).trim_matches('"'),
            lang = js(&r.language),
            action = js(&r.action),
            gpc = r.gpc,
        )?;
        Ok(())
    })?;
    out.write_all(b"]}\n")?;
    Ok(())
}
