//! The checkpoint signing key: an Ed25519 key made at first start in the data directory, in
//! the signed-note private key format, readable by its owner only (mode 0600).

use kelisim_shared::checkpoint::LogKey;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "log-signing.key";
/// The key's name in signatures and verifier keys.
pub const KEY_NAME: &str = "kelisim";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the log signing key {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create the log signing key {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("the log signing key {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the log signing key {path} is invalid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Loads the key from `data_dir`, or makes one if there is none yet.
pub fn load_or_create(data_dir: &Path) -> Result<LogKey, KeyError> {
    let path = data_dir.join(KEY_FILE);
    match load(&path) {
        Err(KeyError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => create(&path),
        other => other,
    }
}

/// The key in `path` (`--log-key`: every instance of one PostgreSQL database signs with the
/// same key); never created, so a mistyped path is an error rather than a second key.
pub fn load_file(path: &Path) -> Result<LogKey, KeyError> {
    load(path)
}

fn load(path: &Path) -> Result<LogKey, KeyError> {
    let path = path.to_owned();
    match std::fs::metadata(&path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::TooOpen { path, mode });
            }
            let text =
                std::fs::read_to_string(&path).map_err(|source| KeyError::Read { path: path.clone(), source })?;
            LogKey::from_private_text(&text).map_err(|e| KeyError::Invalid { path, reason: e.to_string() })
        }
        Err(source) => Err(KeyError::Read { path, source }),
    }
}

fn create(path: &Path) -> Result<LogKey, KeyError> {
    let err = |source| KeyError::Create { path: path.to_owned(), source };
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| err(std::io::Error::other(e.to_string())))?;
    let key = LogKey::from_seed(KEY_NAME, seed).expect("the key name is valid");
    // create_new: never overwrite a key (a second process racing at first start loses cleanly).
    let mut f = crate::store::create_private_file(path).map_err(err)?;
    f.write_all(key.to_private_text().as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
    }
    tracing::info!(key_id = %key.key_id_hex(), "created the checkpoint signing key");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_made_once_with_mode_0600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a.verifier(), b.verifier());
    }

    #[test]
    fn a_key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_create(dir.path()).err().unwrap();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
}
