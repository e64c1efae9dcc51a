//! The `kelisim` cookie codec: decoding any value never panics, and whatever decodes encodes
//! back to a value that decodes to the same decision.
#![no_main]

use kelisim_shared::cookie::Decision;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    if let Ok(d) = Decision::decode(value) {
        let again = Decision::decode(&d.encode()).expect("an encoded decision decodes");
        assert_eq!(again, d);
    }
});
