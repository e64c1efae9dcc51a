//! `kelisim log …`: sign checkpoints, print the public key, re-verify the log.

use super::{open_existing_or, CheckFailed, DataOpts};
use crate::log;
use anyhow::bail;
use std::path::Path;

pub fn log_checkpoint(o: &DataOpts) -> anyhow::Result<()> {
    let (store, db) = open_existing_or(&o.data, o.database.as_deref())?;
    let key = o.key()?;
    for cp in log::checkpoint_all(&store, db, key)? {
        println!("{}", cp.note);
    }
    Ok(())
}

pub fn log_verify(o: &DataOpts, only: Option<&str>, quick: bool) -> anyhow::Result<()> {
    let (store, _db) = open_existing_or(&o.data, o.database.as_deref())?;
    let key = o.key()?.verifier();
    let mut sites = store.read(|r| r.logged_sites())?;
    if let Some(site) = only {
        if !sites.iter().any(|s| s == site) {
            bail!("the log holds no site `{site}` (it has: {})", sites.join(", "));
        }
        sites.retain(|s| s == site);
    }
    for site in &sites {
        let checked = store.snapshot(|r| Ok(log::audit::verify_site(r, site, &key, !quick)))?;
        match checked {
            Ok(a) => {
                store.save_verified(site, &a.frontier, &crate::clock::now_rfc3339())?;
                println!("site {site}: intact, {a}")
            }
            Err(e) => return Err(CheckFailed(format!("NOT intact: {e}")).into()),
        }
    }
    if sites.is_empty() {
        println!("the log is empty");
    }
    Ok(())
}

pub fn log_key(data: &Path) -> anyhow::Result<()> {
    let key = log::key::load_or_create(data)?;
    println!("{}", key.verifier().to_text());
    Ok(())
}
