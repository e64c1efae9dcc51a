//! A site policy file: parse and validate with located errors; for a valid one, derive the
//! served config and its canonical bytes. Nothing may panic, and every error must be located
//! inside the file.
#![no_main]

use kelisim_shared::policy::SitePolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match SitePolicy::parse("fuzz.toml", text) {
        Ok(p) => {
            let c = p.config();
            let _ = kelisim_shared::canonical::to_canonical_json(&c);
        }
        Err(errors) => {
            let lines = text.lines().count().max(1);
            for e in errors.0 {
                assert!(e.line >= 1 && e.line <= lines + 1, "error located outside the file: {e}");
            }
        }
    }
});
