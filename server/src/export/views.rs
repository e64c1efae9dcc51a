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

fn each(db: &Connection, sql: &str, args: &[String], mut f: impl FnMut(Row) -> Result<(), ExportError>) -> Result<(), ExportError> {
    let mut st = db.prepare(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        f(Row {
            seq: r.get(0)?,
            recorded_at: r.get(2)?,
            consent_id: r.get(3)?,
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

pub fn csv(db: &Connection, sql: &str, args: &[String], categories: &[(String, String)], out: &mut impl Write) -> Result<(), ExportError> {
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

/// A JSON-LD document with one `dpv:ConsentRecord` per record, written as a stream.
pub fn dpv(db: &Connection, sql: &str, args: &[String], config: &Config, out: &mut impl Write) -> Result<(), ExportError> {
    let op = &config.operator;
    let controller = serde_json::json!({
        "@type": "dpv:DataController",
        "dct:title": op.name.ru.as_deref().or(op.name.kk.as_deref()).unwrap_or(""),
        "dct:identifier": op.bin,
        "dpv:hasAddress": op.address.as_ref().and_then(|a| a.ru.clone()),
        "dpv:hasContact": op.email,
        "dpv:hasLocation": op.storage_country,
    });
    let context = serde_json::json!({
        "dpv": "https://w3id.org/dpv#",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "kelisim": "https://kelisim.kz/ns#",
        "dct:created": { "@type": "xsd:dateTime" }
    });
    write!(out, r#"{{"@context":{context},"@graph":["#)?;
    let mut first = true;
    each(db, sql, args, |r| {
        let purposes: Vec<serde_json::Value> = r
            .granted
            .iter()
            .map(|g| serde_json::json!({ "@id": format!("kelisim:category/{g}"), "@type": "dpv:Purpose", "dct:identifier": g }))
            .collect();
        let rec = serde_json::json!({
            "@id": format!("urn:kelisim:{}:{}", config.site, r.seq),
            "@type": "dpv:ConsentRecord",
            "dct:identifier": format!("{}:{}", config.site, r.seq),
            "dct:created": r.recorded_at,
            "dpv:hasDataSubject": { "@id": format!("urn:uuid:{}", r.consent_id), "@type": "dpv:DataSubject" },
            "dpv:hasDataController": controller,
            "dpv:hasConsentStatus": { "@id": status(&r.action) },
            "dpv:hasLegalBasis": { "@id": "dpv:Consent" },
            "dpv:hasPurpose": purposes,
            "dpv:hasNotice": { "@id": format!("urn:kelisim:config:{}", r.config_version), "@type": "dpv:ConsentNotice" },
            "dpv:hasJurisdiction": "KZ",
            "dct:language": r.language,
            "kelisim:action": r.action,
            "kelisim:gpc": r.gpc,
        });
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &rec).map_err(std::io::Error::other)?;
        Ok(())
    })?;
    out.write_all(b"]}\n")?;
    Ok(())
}
