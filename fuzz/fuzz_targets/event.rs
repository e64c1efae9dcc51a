//! A consent POST body, as the server reads it: JSON → `ConsentRequest` → shape check →
//! validation against a real site's config. Nothing may panic, whatever the bytes; and the
//! canonical bytes the log writer places from the event's unplaced form (`ConsentRecord::
//! unplaced`, made on the request's thread) are exactly the record's canonical bytes.
#![no_main]

use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::event::ConsentRequest;
use kelisim_shared::policy::SitePolicy;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static kelisim_shared::config::Config {
    static C: OnceLock<kelisim_shared::config::Config> = OnceLock::new();
    C.get_or_init(|| SitePolicy::parse("example.toml", include_str!("../../shared/testdata/example.toml")).unwrap().config())
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<ConsentRequest>(data) else { return };
    if req.check_shape().is_ok() {
        // Point the event at the real config so validation gets past the version check.
        let mut req = req;
        req.config_version = config().version.clone();
        let _ = req.validate(config());
        // Strings the fuzzer controls whole stand in for what the server adds (time, page,
        // origin, address, user agent), including quotes, escapes, control characters and
        // the split's own key names: any string must survive the split and the placing.
        let raw = String::from_utf8_lossy(data);
        let (a, b) = raw.split_at(raw.char_indices().nth(raw.chars().count() / 2).map_or(raw.len(), |(i, _)| i));
        let record = ConsentRecord {
            site: req.consent_id.clone(),
            seq: 0,
            event_id: req.event_id.clone(),
            consent_id: req.consent_id.clone(),
            recorded_at: String::new(),
            config_version: req.config_version.clone(),
            action: req.action,
            granted: req.granted.clone(),
            language: req.language,
            gpc: req.gpc,
            sec_gpc: !req.gpc,
            page: req.page.clone(),
            origin: Some(a.to_owned()),
            ip: Some(b.to_owned()),
            user_agent: Some(raw.clone().into_owned()),
        };
        let mut placed = Vec::new();
        let seq = data.len() as u64 * 977;
        let at = b;
        let leaf = record.unplaced().place(at, seq, &mut placed);
        let whole = ConsentRecord { seq, recorded_at: at.to_owned(), ..record }.canonical_bytes();
        assert_eq!(placed, whole);
        assert_eq!(leaf, kelisim_shared::canonical::leaf_hash(&whole));
    }
});
