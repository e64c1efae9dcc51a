//! `serve` follows `--sites DIR` while it runs: the directory is looked at every
//! `--watch-interval` seconds (names, sizes and modification times of its `*.toml` files), and
//! `SIGHUP` asks for a reload at once. A change runs [`Ingest::reload`]: valid files are served
//! as new config versions, an invalid one keeps its site's running version and is reported.
//!
//! Polling rather than inotify: it sees the same change on every file system (bind mounts,
//! network shares, a Kubernetes ConfigMap's symlink swap), costs one directory read a second,
//! and an editor's save in several steps only means a second reload.

use crate::ingest::Ingest;
use crate::sites;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What identifies the directory's state: each site file's ([`sites::toml_files`]) name, size
/// and modification time; an unreadable directory is its error.
fn fingerprint(dir: &Path) -> Result<Vec<(PathBuf, u64, Option<SystemTime>)>, String> {
    let files = sites::toml_files(dir).map_err(|e| e.to_string())?;
    Ok(files
        .into_iter()
        .map(|path| {
            // Follows symlinks: a swapped link target is a change.
            let meta = std::fs::metadata(&path).ok();
            (path, meta.as_ref().map_or(0, |m| m.len()), meta.and_then(|m| m.modified().ok()))
        })
        .collect())
}

/// Starts the thread that looks at the sites directory every `every` and reloads on a change.
pub fn watch(ingest: Arc<Ingest>, every: Duration) -> std::io::Result<()> {
    let mut last = fingerprint(&ingest.sites_dir);
    std::thread::Builder::new().name("kelisim-sites-watch".into()).spawn(move || loop {
        std::thread::sleep(every);
        let now = fingerprint(&ingest.sites_dir);
        if now != last {
            last = now;
            ingest.reload();
        }
    })?;
    Ok(())
}

/// Reloads the sites on each `SIGHUP` (runs on the server's runtime until it stops).
pub async fn on_hangup(ingest: Arc<Ingest>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; the sites directory is still watched");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading the site policy files");
        let i = ingest.clone();
        let _ = actix_web::web::block(move || i.reload()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_added_or_removed_policy_file_changes_the_fingerprint_and_other_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "x").unwrap();
        let first = fingerprint(dir.path()).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "y").unwrap();
        assert_eq!(fingerprint(dir.path()).unwrap(), first, "not a site file");
        std::fs::write(dir.path().join("a.toml"), "xy").unwrap();
        let changed = fingerprint(dir.path()).unwrap();
        assert_ne!(changed, first);
        std::fs::write(dir.path().join("b.toml"), "z").unwrap();
        assert_eq!(fingerprint(dir.path()).unwrap().len(), 2);
        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        assert_eq!(fingerprint(dir.path()).unwrap(), changed);
        assert!(fingerprint(&dir.path().join("gone")).is_err());
    }
}
