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
    let db = k.db();
    let mut st = db
        .prepare("SELECT seq, event_id, canonical, leaf_hash FROM events_readable WHERE site = ?1 ORDER BY seq")
        .unwrap();
    st.query_map([SITE], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}
