//! `kelisim export`, `kelisim verify` and `kelisim backup`: what leaves the server.

use super::{open_existing, open_existing_or, CheckFailed, DataOpts};
use crate::admin::auth::Accounts;
use crate::{export, log};
use anyhow::{bail, Context};
use std::path::Path;

/// `kelisim verify FILE.zip`: the bundle checked offline; NOT intact is a check's failure, a
/// file that cannot be opened is not.
pub fn verify_bundle(bundle: &Path) -> anyhow::Result<()> {
    std::fs::File::open(bundle).with_context(|| format!("cannot open {}", bundle.display()))?;
    match export::verify::verify(bundle) {
        Ok(v) => {
            println!("{v}");
            Ok(())
        }
        Err(e) => Err(CheckFailed(format!("NOT intact: {e}")).into()),
    }
}

pub fn export(site: &str, from: Option<&str>, to: Option<&str>, out: &Path, o: &DataOpts) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} already exists; choose a new file for the bundle", out.display());
    }
    let (store, db) = open_existing_or(&o.data, o.database.as_deref())?;
    let key = o.key()?;
    // A second handle on the same key: the first goes to the checkpoint writer; this one signs files.sig.
    let signer = o.key()?;
    // The bundle proves the log up to this moment: every export signs a checkpoint first
    // (docs/architecture.md §1, "Export and verification").
    log::checkpoint_all(&store, db, key).context("cannot sign a checkpoint for the export")?;
    let summary = export::run(&store, site, from, to, &signer, out)?;
    Accounts::open(&store.location())
        .and_then(|a| a.record("cli", "export", &export::describe(site, from, to, &summary)))
        .context("the bundle is written but the audit trail entry failed")?;
    println!(
        "exported {} records of site {site} (seq {}–{}, log of {} records, {} checkpoints) to {}",
        summary.events,
        summary.first_seq.unwrap_or(0),
        summary.last_seq.unwrap_or(0),
        summary.tree_size,
        summary.checkpoints,
        out.display()
    );
    Ok(())
}

pub fn backup(db: &super::DataOpts, out: &Path) -> anyhow::Result<()> {
    if db.database.is_some() {
        bail!(
            "{}. Keep a copy of the log's signing key ({}) as well: it is not in the database",
            crate::store::StoreError::SqliteOnly("kelisim backup"),
            db.log_key.clone().unwrap_or_else(|| db.data.join(log::key::KEY_FILE)).display()
        );
    }
    if out.exists() {
        bail!("{} already exists; choose a new file for the backup", out.display());
    }
    let (store, _conn) = open_existing(&db.data)?;
    store.backup(out).context("backup failed")?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!("backed up {} to {} ({size} bytes)", store.path("kelisim backup")?.display(), out.display());
    println!(
        "the checkpoint signing key ({}) is not in the backup: keep a copy of it somewhere safe",
        log::key::KEY_FILE
    );
    Ok(())
}
