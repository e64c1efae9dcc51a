//! Signed checkpoints: the operator's signed statement "site X's log had N records and this
//! root at time T". Kelisim uses the C2SP formats that Certificate Transparency's successors
//! (Go's checksum database, Sigstore, transparency-dev) use, so existing tools can read them:
//!
//! - the checkpoint body (C2SP `tlog-checkpoint`): the origin line, the tree size in decimal,
//!   the root hash in standard base64, then one extension line `time <RFC 3339 UTC>` and no
//!   other, each ending in `\n` (a body is accepted only as [`Checkpoint::body`] writes it);
//! - the signature (C2SP `signed-note`, Ed25519): after a blank line, one line
//!   `— <key name> <base64(key id ‖ signature)>` where the key id is the first 4 bytes of
//!   `SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key)` and the signature is Ed25519 over the body
//!   bytes exactly;
//! - the public key as a verifier key string `<name>+<key id hex>+<base64(0x01 ‖ public key)>`.
//!
//! The origin is `kelisim/<site>/<key id hex>`: a log is one site under one key, so two
//! servers that both host a site `shop` never produce checkpoints that can be confused.
//!
//! ```
//! use kelisim_shared::checkpoint::{Checkpoint, LogKey};
//! let key = LogKey::from_seed("kelisim", [7; 32]).unwrap();
//! let cp = Checkpoint { origin: key.origin("shop"), size: 3, root: [1; 32], time: "2026-01-01T00:00:00.000Z".into() };
//! let note = key.sign(&cp);
//! let verifier = key.verifier();
//! assert_eq!(verifier.verify(&note).unwrap(), cp);
//! ```

use crate::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signed-note algorithm byte for Ed25519.
const ALG_ED25519: u8 = 0x01;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    /// Number of records in the log (the tree size).
    pub size: u64,
    /// RFC 6962 root of the first `size` records.
    pub root: Hash,
    /// When it was signed, RFC 3339 UTC with milliseconds (as the records' `recorded_at`).
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointError {
    /// The text is not a checkpoint note in the format above.
    Malformed(&'static str),
    /// No signature line by this key.
    NotSignedByKey,
    /// A signature line by this key, but the signature does not verify.
    BadSignature,
    /// A key string that is not a valid Ed25519 key.
    BadKey(&'static str),
}

impl core::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CheckpointError::Malformed(why) => write!(f, "not a checkpoint: {why}"),
            CheckpointError::NotSignedByKey => f.write_str("the checkpoint is not signed by this key"),
            CheckpointError::BadSignature => f.write_str("the checkpoint's signature does not verify"),
            CheckpointError::BadKey(why) => write!(f, "not a valid log key: {why}"),
        }
    }
}

impl std::error::Error for CheckpointError {}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\ntime {}\n", self.origin, self.size, B64.encode(self.root), self.time)
    }

    /// Parses a checkpoint body (without signatures).
    pub fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
        let m = CheckpointError::Malformed;
        let rest = body.strip_suffix('\n').ok_or(m("the body must end with a newline"))?;
        // As in a signed note (see [`VerifierKey::verify_note`]): a body that could not be signed
        // and verified is no checkpoint.
        if rest.contains(|c: char| c < ' ' && c != '\n') {
            return Err(m("a control character other than the newline"));
        }
        let mut lines = rest.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(m("no origin line"))?;
        let size = lines.next().ok_or(m("no tree size line"))?;
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) || (size.len() > 1 && size.starts_with('0')) {
            return Err(m("the tree size is not a decimal number"));
        }
        let size: u64 = size.parse().map_err(|_| m("the tree size is too large"))?;
        let root =
            B64.decode(lines.next().ok_or(m("no root hash line"))?).map_err(|_| m("the root hash is not base64"))?;
        let root: Hash = root.try_into().map_err(|_| m("the root hash is not 32 bytes"))?;
        let time = lines.next().and_then(|l| l.strip_prefix("time ")).ok_or(m("no `time` line"))?;
        // Nothing after it: a signed line the parsed checkpoint would not carry (and so no
        // reader of it would see) must not pass for part of a checkpoint.
        if lines.next().is_some() {
            return Err(m("a line after the `time` line (Kelisim's checkpoints have no other extension line)"));
        }
        Ok(Checkpoint { origin: origin.to_owned(), size, root, time: time.to_owned() })
    }

    /// The site of an origin `kelisim/<site>/<key id>`.
    pub fn site(&self) -> Option<&str> {
        let rest = self.origin.strip_prefix("kelisim/")?;
        rest.rsplit_once('/').map(|(site, _)| site)
    }
}

fn key_id(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| !c.is_whitespace() && c != '+' && !c.is_control())
}

/// The server's signing key (kept in the data directory, mode 0600).
pub struct LogKey {
    name: String,
    key: SigningKey,
}

impl LogKey {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<LogKey, CheckpointError> {
        if !valid_name(name) {
            return Err(CheckpointError::BadKey("the key name must be non-empty, without spaces or `+`"));
        }
        Ok(LogKey { name: name.to_owned(), key: SigningKey::from_bytes(&seed) })
    }

    /// The private key file's text: `PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>`, the
    /// signed-note encoding of a signer key.
    pub fn to_private_text(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.key.to_bytes());
        format!("PRIVATE+KEY+{}+{}+{}\n", self.name, self.key_id_hex(), B64.encode(raw))
    }

    pub fn from_private_text(text: &str) -> Result<LogKey, CheckpointError> {
        let bad = CheckpointError::BadKey;
        let rest = text.trim_end().strip_prefix("PRIVATE+KEY+").ok_or(bad("no PRIVATE+KEY+ prefix"))?;
        // The key is standard base64, which may itself hold `+`: split twice only.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+<name>+<id>+<key>"));
        };
        let raw = B64.decode(raw).map_err(|_| bad("the key is not base64"))?;
        let seed: [u8; 32] = match raw.split_first() {
            Some((&ALG_ED25519, seed)) => seed.try_into().map_err(|_| bad("the key is not 32 bytes"))?,
            _ => return Err(bad("not an Ed25519 key")),
        };
        let key = LogKey::from_seed(name, seed)?;
        if key.key_id_hex() != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(key)
    }

    pub fn key_id_hex(&self) -> String {
        hex4(key_id(&self.name, &self.key.verifying_key()))
    }

    /// The origin line of a site's checkpoints under this key.
    pub fn origin(&self, site: &str) -> String {
        format!("kelisim/{site}/{}", self.key_id_hex())
    }

    pub fn verifier(&self) -> VerifierKey {
        let public = self.key.verifying_key();
        VerifierKey { name: self.name.clone(), id: key_id(&self.name, &public), key: public }
    }

    /// The signed note: body, blank line, signature line.
    pub fn sign(&self, cp: &Checkpoint) -> String {
        self.sign_note(&cp.body())
    }

    /// Any C2SP signed note by this key: `body` (non-empty lines, each ending in `\n`, the
    /// first naming what it is), a blank line, the signature line. Checkpoints are notes whose
    /// first line is `kelisim/<site>/<key id>`; a note for anything else must begin with an
    /// origin of its own, so that one kind of note can never be passed off as the other.
    pub fn sign_note(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut raw = key_id(&self.name, &self.key.verifying_key()).to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{body}\n\u{2014} {} {}\n", self.name, B64.encode(raw))
    }
}

fn hex4(id: [u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// A public key that checks checkpoints (what auditors and visitors are given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<key id hex>+<base64(0x01 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<VerifierKey, CheckpointError> {
        let bad = CheckpointError::BadKey;
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<id>+<key>"));
        };
        if !valid_name(name) {
            return Err(bad("invalid key name"));
        }
        let raw = B64.decode(raw).map_err(|_| bad("the key is not base64"))?;
        let public: [u8; 32] = match raw.split_first() {
            Some((&ALG_ED25519, k)) => k.try_into().map_err(|_| bad("the key is not 32 bytes"))?,
            _ => return Err(bad("not an Ed25519 key")),
        };
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not a point on the curve"))?;
        let vk = VerifierKey { name: name.to_owned(), id: key_id(name, &key), key };
        if hex4(vk.id) != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(vk)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id_hex(&self) -> String {
        hex4(self.id)
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn to_text(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex4(self.id), B64.encode(raw))
    }

    /// Checks a signed checkpoint note and returns the checkpoint it signs. The origin must
    /// name this key, so a checkpoint cannot be passed off as another log's.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let m = CheckpointError::Malformed;
        let split = note.find("\n\n").ok_or(m("no blank line before the signatures"))?;
        let cp = Checkpoint::parse_body(&note[..split + 1])?;
        self.verify_note(note)?;
        if !cp.origin.ends_with(&format!("/{}", hex4(self.id))) {
            return Err(m("the origin does not name this key"));
        }
        Ok(cp)
    }

    /// Checks the signature of any signed note by this key (see [`LogKey::sign_note`]) and
    /// returns its body (up to and including the newline before the blank line). What the body
    /// says, its origin line first, is for the caller to check.
    ///
    /// The note must follow the signed-note grammar as Go's reference verifier
    /// (`golang.org/x/mod/sumdb/note`, `Open`) reads it: no control character but the newline;
    /// after the blank line, nothing but signature lines `— <name> <base64>`, each ending in a
    /// newline, at most 100. Signatures by other keys are passed over (cosignatures); every one
    /// by this key (its name and key id) must verify.
    pub fn verify_note<'a>(&self, note: &'a str) -> Result<&'a str, CheckpointError> {
        let m = CheckpointError::Malformed;
        if note.contains(|c: char| c < ' ' && c != '\n') {
            return Err(m("a control character other than the newline"));
        }
        let split = note.find("\n\n").ok_or(m("no blank line before the signatures"))?;
        let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(m("no signature line ending in a newline after the blank line"));
        }
        let mut found = false;
        for (i, line) in sigs.split_terminator('\n').enumerate() {
            if i == 100 {
                return Err(m("more than 100 signature lines"));
            }
            let not_a_signature = || m("a line after the blank line is not a signature line `— <name> <base64>`");
            let (name, sig) =
                line.strip_prefix("\u{2014} ").and_then(|l| l.split_once(' ')).ok_or_else(not_a_signature)?;
            let raw = B64.decode(sig).ok().filter(|r| r.len() >= 5 && valid_name(name)).ok_or_else(not_a_signature)?;
            if name != self.name || raw[..4] != self.id {
                continue;
            }
            found = true;
            let sig = Signature::from_slice(&raw[4..]).map_err(|_| CheckpointError::BadSignature)?;
            self.key.verify(body.as_bytes(), &sig).map_err(|_| CheckpointError::BadSignature)?;
        }
        if !found {
            return Err(CheckpointError::NotSignedByKey);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LogKey {
        LogKey::from_seed("kelisim", [42; 32]).unwrap()
    }

    fn cp(k: &LogKey) -> Checkpoint {
        Checkpoint { origin: k.origin("webpulse"), size: 12, root: [9; 32], time: "2026-11-22T02:41:28.565Z".into() }
    }

    #[test]
    fn body_is_the_c2sp_checkpoint_format() {
        let k = key();
        let body = cp(&k).body();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], format!("kelisim/webpulse/{}", k.key_id_hex()));
        assert_eq!(lines[1], "12");
        assert_eq!(lines[2], B64.encode([9u8; 32]));
        assert_eq!(lines[3], "time 2026-11-22T02:41:28.565Z");
        assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp(&k));
        assert_eq!(cp(&k).site(), Some("webpulse"));
    }

    #[test]
    fn signature_verifies_with_the_public_key_only() {
        let k = key();
        let note = k.sign(&cp(&k));
        let vk = VerifierKey::parse(&k.verifier().to_text()).unwrap();
        assert_eq!(vk.verify(&note).unwrap(), cp(&k));
        let other = LogKey::from_seed("kelisim", [43; 32]).unwrap().verifier();
        assert_eq!(other.verify(&note), Err(CheckpointError::NotSignedByKey));
    }

    #[test]
    fn any_changed_byte_of_the_body_breaks_the_signature() {
        let k = key();
        let note = k.sign(&cp(&k));
        let body_len = cp(&k).body().len();
        let vk = k.verifier();
        for i in 0..body_len {
            let mut b = note.clone().into_bytes();
            b[i] ^= 0x01;
            let Ok(s) = String::from_utf8(b) else { continue };
            assert!(vk.verify(&s).is_err(), "byte {i} changed and still verified");
        }
        let bigger = note.replacen("\n12\n", "\n13\n", 1);
        assert_eq!(vk.verify(&bigger), Err(CheckpointError::BadSignature));
    }

    #[test]
    fn a_note_of_another_kind_is_never_a_checkpoint_and_back() {
        let k = key();
        let list = format!("kelisim-files/webpulse/{}\n{}  README.md\n", k.key_id_hex(), "0".repeat(64));
        let note = k.sign_note(&list);
        let vk = k.verifier();
        assert_eq!(vk.verify_note(&note), Ok(list.as_str()));
        assert!(vk.verify(&note).is_err(), "a file list is not a checkpoint");
        // A checkpoint verifies as a note, but its body is a checkpoint's, not a file list's.
        let cp_note = k.sign(&cp(&k));
        assert_eq!(vk.verify_note(&cp_note), Ok(cp(&k).body().as_str()));
        assert!(!vk.verify_note(&cp_note).unwrap().starts_with("kelisim-files/"));
        let mut bad = note.clone().into_bytes();
        bad[list.len() - 3] ^= 0x01;
        assert_eq!(vk.verify_note(&String::from_utf8(bad).unwrap()), Err(CheckpointError::BadSignature));
        assert_eq!(
            LogKey::from_seed("kelisim", [1; 32]).unwrap().verifier().verify_note(&note),
            Err(CheckpointError::NotSignedByKey)
        );
    }

    #[test]
    fn private_key_text_round_trips_and_detects_a_wrong_id() {
        let k = key();
        let text = k.to_private_text();
        assert!(text.starts_with("PRIVATE+KEY+kelisim+"));
        let back = LogKey::from_private_text(&text).unwrap();
        assert_eq!(back.verifier(), k.verifier());
        let wrong = text.replacen(&k.key_id_hex(), "00000000", 1);
        assert!(LogKey::from_private_text(&wrong).is_err());
        assert!(VerifierKey::parse("kelisim+00000000+AQ==").is_err());
    }

    /// Known answers from an independent implementation: Go's `golang.org/x/mod/sumdb/note`
    /// (the signed-note code of Go's checksum database), file `sumdb/note/note_test.go` at
    /// commit fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db of github.com/golang/mod
    /// (`TestNewVerifier`, `TestNewSigner`, `TestSign`, `TestOpen`). Its note is not a
    /// checkpoint, so the note-level functions are what is checked: the key id, the key
    /// encodings, the signature line and Ed25519 (deterministic, so signing Go's text with Go's
    /// private key must give Go's signature line byte for byte).
    mod go_sumdb_note {
        use super::*;

        const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        const TEXT: &str =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

        #[test]
        fn go_signed_note_verifies_with_go_verifier_key() {
            let vk = VerifierKey::parse(VKEY).unwrap();
            assert_eq!(vk.name(), "PeterNeumann");
            assert_eq!(vk.key_id_hex(), "c74f20a3");
            assert_eq!(vk.to_text(), VKEY);
            let note = format!("{TEXT}\n{PETER_SIG}");
            assert_eq!(vk.verify_note(&note), Ok(TEXT));
            // A second signature, by a key this verifier does not know, is passed over (TestOpen).
            assert_eq!(vk.verify_note(&format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}")), Ok(TEXT));
            // Only Enoch's signature: not signed by this key.
            assert_eq!(vk.verify_note(&format!("{TEXT}\n{ENOCH_SIG}")), Err(CheckpointError::NotSignedByKey));
            // Go's "invalid signature" case: four characters inserted into the signature.
            let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
            assert_eq!(vk.verify_note(&bad), Err(CheckpointError::BadSignature));
            // Go's malformed notes (`badMsgs`, less the one that is not UTF-8) and too many
            // signatures.
            for bad in [
                TEXT.to_owned(),
                format!("{TEXT}\n"),
                format!("{TEXT}\n{}", PETER_SIG.trim_end_matches('\n')),
                format!("\x01{TEXT}\n{PETER_SIG}"),
                format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
                format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
                format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
            ] {
                assert!(matches!(vk.verify_note(&bad), Err(CheckpointError::Malformed(_))), "{bad:?}");
            }
            assert_eq!(vk.verify_note(&format!("{TEXT}\n{}", PETER_SIG.repeat(100))), Ok(TEXT));
            // One bit of the text changed.
            let changed = format!("{}\n{PETER_SIG}", TEXT.replacen("answer", "answes", 1));
            assert_eq!(vk.verify_note(&changed), Err(CheckpointError::BadSignature));
            // Go's mangled verifier keys (TestNewVerifier): every proper substring, every byte
            // changed by one.
            let b = VKEY.as_bytes();
            for i in 0..=b.len() {
                for j in i + 1..=b.len() {
                    if (i, j) != (0, b.len()) {
                        let k = std::str::from_utf8(&b[i..j]).unwrap();
                        // `parse` trims surrounding white space, which a substring never has.
                        assert!(VerifierKey::parse(k).is_err(), "{k:?}");
                    }
                }
            }
            for i in 0..b.len() {
                let mut m = b.to_vec();
                m[i] += 1;
                let k = String::from_utf8(m).unwrap();
                assert!(VerifierKey::parse(&k).is_err(), "{k:?}");
            }
        }

        #[test]
        fn go_private_key_signs_go_text_to_go_signature_line() {
            let key = LogKey::from_private_text(SKEY).unwrap();
            assert_eq!(key.key_id_hex(), "c74f20a3");
            assert_eq!(key.verifier().to_text(), VKEY);
            assert_eq!(key.to_private_text(), format!("{SKEY}\n"));
            assert_eq!(key.sign_note(TEXT), format!("{TEXT}\n{PETER_SIG}"));
        }
    }

    /// Found by the `checkpoint` fuzz target (fuzz/seeds/checkpoint/extension-line-*): a line
    /// after `time` was accepted and dropped, so a verified note said more than the checkpoint
    /// it returned.
    #[test]
    fn no_line_after_the_time_line() {
        let k = key();
        let body = format!("{}extra\n", cp(&k).body());
        assert!(Checkpoint::parse_body(&body).is_err());
        assert!(matches!(k.verifier().verify(&k.sign_note(&body)), Err(CheckpointError::Malformed(_))));
        let minimized = "f\n4\neMSO6NCAz7O9HXQmivKY0te9i4IJH7IiybGFc8neA0I=\ntime \nU\n";
        assert!(Checkpoint::parse_body(minimized).is_err());
        assert!(Checkpoint::parse_body(&minimized[..minimized.len() - 2]).is_ok());
    }

    /// Found by the `checkpoint` fuzz target (fuzz/seeds/checkpoint/signature-block-*): lines
    /// after the blank line that were no signature lines (a blank line, any text) were passed
    /// over, so two different notes verified as the same one.
    #[test]
    fn only_signature_lines_after_the_blank_line() {
        let k = key();
        let note = k.sign(&cp(&k));
        let vk = k.verifier();
        let (body, sig) = note.split_once("\n\n").unwrap();
        for bad in [
            format!("{body}\n\n\u{2014} ke9fL1232:30.\\138Z\n\n{sig}"),
            format!("{body}\n\n{sig}\n"),
            format!("{note}junk\n"),
            note.trim_end().to_owned(),
            format!("{body}\n\n{}\r\n", sig.trim_end()),
        ] {
            assert!(matches!(vk.verify(&bad), Err(CheckpointError::Malformed(_))), "{bad:?}");
            assert!(matches!(vk.verify_note(&bad), Err(CheckpointError::Malformed(_))), "{bad:?}");
        }
        // Another key's signature is a cosignature, in any place.
        let other = LogKey::from_seed("witness", [5; 32]).unwrap().sign(&cp(&k));
        let cosig = other.split_once("\n\n").unwrap().1;
        assert_eq!(vk.verify(&format!("{body}\n\n{cosig}{sig}")), Ok(cp(&k)));
        assert_eq!(vk.verify(&format!("{note}{cosig}")), Ok(cp(&k)));
        assert!(Checkpoint::parse_body("kelisim/a\r/x\n1\nAAAA\ntime x\n").is_err());
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in
            ["", "o\n", "o\n12\n", "o\n012\nAAAA\ntime x\n", "o\n1\n!!\ntime x\n", "o\n1\nAAAA\ntime x\n", "o\n1\n"]
        {
            assert!(Checkpoint::parse_body(body).is_err(), "{body:?}");
        }
    }
}
