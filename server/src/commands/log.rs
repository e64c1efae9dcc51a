//! `kelisim log …`: sign checkpoints, print the public key, re-verify the log.

use super::{open_existing, CheckFailed};
use crate::log;
use anyhow::bail;
use std::path::Path;

pub fn log_checkpoint(data: &Path) -> anyhow::Result<()> {
    let (store, conn) = open_existing(data)?;
    let key = log::key::load_or_create(data)?;
    for cp in log::checkpoint_all(&store, conn, key)? {
        println!("{}", cp.note);
    }
    Ok(())
}

pub fn log_verify(data: &Path, only: Option<&str>, quick: bool) -> anyhow::Result<()> {
    let (_store, conn) = open_existing(data)?;
    let key = log::key::load_or_create(data)?.verifier();
    let mut sites = crate::store::read::logged_sites(&conn)?;
    if let Some(site) = only {
        if !sites.iter().any(|s| s == site) {
            bail!("the log holds no site `{site}` (it has: {})", sites.join(", "));
        }
        sites.retain(|s| s == site);
    }
    for site in &sites {
        match log::audit::verify_and_record(&conn, site, &key, !quick) {
            Ok(a) => println!("site {site}: intact, {a}"),
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
