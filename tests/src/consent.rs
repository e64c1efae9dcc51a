//! Consent events as a browser sends them, and reading the log back, for the log tests.

use crate::{get, try_post, uuid, Kelisim, Resp};
use kelisim_shared::merkle::Hash;
use serde_json::{json, Value};

pub const SITE: &str = "webpulse";
pub const ORIGIN: &str = "https://webpulse.kz";

pub fn config(k: &Kelisim) -> Value {
    let r = get(&k.url(&format!("/api/v1/sites/{SITE}/config")), &[]);
    assert_eq!(r.status, 200);
    r.json()
}

pub fn required(cfg: &Value) -> String {
    cfg["categories"].as_array().unwrap().iter().find(|c| c["required"] == json!(true)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn all_categories(cfg: &Value) -> Vec<String> {
    cfg["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// A valid event: `accept_all` grants every category, anything else only the required one.
pub fn event(cfg: &Value, consent_id: &str, action: &str, language: &str) -> Value {
    let granted = if action == "accept_all" { all_categories(cfg) } else { vec![required(cfg)] };
    json!({
        "consent_id": consent_id,
        "event_id": uuid(),
        "config_version": cfg["version"],
        "action": action,
        "granted": granted,
        "language": language,
        "gpc": false,
        "page": "https://webpulse.kz/",
    })
}

/// POSTs an event from the site's origin; `None` if the server did not answer.
pub fn send(base: &str, ev: &Value) -> Option<Resp> {
    try_post(
        &format!("{base}/api/v1/sites/{SITE}/consents"),
        &[("content-type", "application/json"), ("origin", ORIGIN), ("user-agent", "KelisimTest/1.0")],
        &ev.to_string(),
    )
}

pub fn unhex(s: &str) -> Hash {
    let v: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
    v.try_into().unwrap()
}

/// Every stored record of the site, in `seq` order: (seq, event_id, canonical bytes, leaf hash).
pub fn stored(k: &Kelisim) -> Vec<(i64, String, Vec<u8>, Vec<u8>)> {
    let sql = k.store.pick(
        "SELECT seq, event_id, canonical, leaf_hash FROM events_readable WHERE site = 'webpulse' ORDER BY seq",
        "SELECT e.seq, encode(e.event_id, 'hex'), encode(e.canonical, 'hex'), encode(e.leaf_hash, 'hex')
         FROM events e JOIN log_sites s USING (site_no) WHERE s.site = 'webpulse' ORDER BY e.seq",
    );
    k.query(sql)
        .iter()
        .map(|row| {
            let c: Vec<&str> = row.split('|').collect();
            (c[0].parse().unwrap(), event_id(c[1]), bytes(c[2]), bytes(c[3]))
        })
        .collect()
}

/// An event id as the log stores it (SQLite: the UUID's text; PostgreSQL: its 16 bytes, in hex)
/// as the UUID's text.
fn event_id(s: &str) -> String {
    if s.len() == 32 && !s.contains('-') {
        format!("{}-{}-{}-{}-{}", &s[..8], &s[8..12], &s[12..16], &s[16..20], &s[20..])
    } else {
        s.to_owned()
    }
}

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}
