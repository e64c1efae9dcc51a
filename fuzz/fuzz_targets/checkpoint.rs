//! Signed notes and checkpoints (C2SP `signed-note`, `tlog-checkpoint`): a checkpoint body, a
//! signed note, a verifier key and a private key text, each as a stranger could hand them over.
//! Nothing may panic, and whatever is accepted is exactly what the accepting side would write:
//!
//! - a body that parses is the checkpoint's `body()` byte for byte, and signed by the log key it
//!   verifies to the same checkpoint (when its origin names the key, else it is refused);
//! - a note that verifies is its body, a blank line and signature lines among which is the very
//!   line the log key writes for that body (Ed25519 is deterministic), and a checkpoint note that
//!   verifies is the note of the checkpoint it returns;
//! - a verifier key or private key text that parses is the text the key writes back.
//!
//! The log key is the one the seed bundle (`seeds/bundle/`) was exported under, so the real
//! checkpoints and the file list of that bundle (`seeds/checkpoint/`) verify with it.
#![no_main]

use kelisim_shared::checkpoint::{Checkpoint, LogKey, VerifierKey};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The private key of the seed bundle: made for it by `kelisim serve` in a scratch directory,
/// never used for anything else.
const SEED_KEY: &str = "PRIVATE+KEY+kelisim+dd4e9ff5+AQTDsC54cFBYbrnAhgoYRkUWm9SGABV6Z+lDP43oRTpJ";

fn key() -> &'static (LogKey, VerifierKey) {
    static K: OnceLock<(LogKey, VerifierKey)> = OnceLock::new();
    K.get_or_init(|| {
        let k = LogKey::from_private_text(SEED_KEY).expect("the seed key parses");
        let v = k.verifier();
        (k, v)
    })
}

/// The signature line `key` writes for `body`.
fn signature_line(key: &LogKey, body: &str) -> String {
    key.sign_note(body)[body.len() + 1..].to_owned()
}

/// `note` is `body`, a blank line, then signature lines (`— <name> <base64>\n`, the others may
/// be other keys' cosignatures), one of which is `key`'s for `body`.
fn is_signed_body(key: &LogKey, note: &str, body: &str) -> bool {
    let Some(sigs) = note.strip_prefix(body).and_then(|r| r.strip_prefix('\n')) else { return false };
    let line = signature_line(key, body);
    let well_formed = |l: &str| {
        let Some(l) = l.strip_prefix("\u{2014} ").and_then(|l| l.strip_suffix('\n')) else { return false };
        let Some((name, sig)) = l.split_once(' ') else { return false };
        !name.is_empty() && !sig.is_empty() && !sig.contains(' ') && !l.contains(char::is_control)
    };
    sigs.split_inclusive('\n').all(well_formed) && sigs.split_inclusive('\n').any(|l| l == line)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (log_key, vk) = key();

    // A checkpoint body.
    if let Ok(cp) = Checkpoint::parse_body(text) {
        assert_eq!(cp.body(), text, "a parsed body is not the body its checkpoint writes");
        let note = log_key.sign_note(text);
        assert_eq!(vk.verify_note(&note), Ok(text), "a checkpoint signed by the key does not verify as a note");
        let names_key = cp.origin.ends_with(&format!("/{}", vk.key_id_hex()));
        match vk.verify(&note) {
            Ok(back) => {
                assert!(names_key, "a checkpoint whose origin does not name the key verified");
                assert_eq!(back, cp);
                assert_eq!(log_key.sign(&back), note);
            }
            Err(e) => assert!(!names_key, "a checkpoint signed by the key was refused: {e}"),
        }
    }

    // A signed note, as a checkpoint and as any note.
    if let Ok(cp) = vk.verify(text) {
        let body = cp.body();
        assert!(is_signed_body(log_key, text, &body), "a verified checkpoint note is not the note of {cp:?}");
        assert_eq!(vk.verify_note(text), Ok(body.as_str()));
    }
    if let Ok(body) = vk.verify_note(text) {
        assert!(is_signed_body(log_key, text, body), "a verified note is not its body signed by the key");
    }

    // Key texts.
    if let Ok(k) = VerifierKey::parse(text) {
        assert_eq!(k.to_text(), text.trim(), "a verifier key is not the text it writes");
        assert_eq!(VerifierKey::parse(&k.to_text()).as_ref(), Ok(&k));
    }
    if let Ok(k) = LogKey::from_private_text(text) {
        assert_eq!(k.to_private_text(), format!("{}\n", text.trim_end()), "a private key is not the text it writes");
    }
});
