//! A consent POST body, as the server reads it: JSON → `ConsentRequest` → shape check →
//! validation against a real site's config. Nothing may panic, whatever the bytes.
#![no_main]

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
    }
});
