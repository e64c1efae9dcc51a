//! The CLI's commands (`main.rs` defines the CLI and dispatches here). Each returns
//! `anyhow::Result<()>`: a failure carries its causes with context, and `main` prints it once
//! and exits with the status [`exit_code`] gives (documented in `kelisim --help`).

mod accounts;
mod export;
mod log;
mod migrate;
mod serve;
mod site;

pub use accounts::{admin_add, token_create, token_list, token_revoke};
pub use export::{backup, export, verify_bundle};
pub use log::{log_checkpoint, log_key, log_verify};
pub use migrate::migrate;
pub use serve::{serve, ServeOpts};
pub use site::{policy_import, site_check, ImportFormat};

use crate::store;
use anyhow::{bail, Context};
use std::path::Path;

/// `kelisim --help`'s account of the exit statuses.
pub const EXIT_HELP: &str = "\
Exit status:
  0  done
  1  the check said no: `verify` or `log verify` found the bundle or the log NOT intact, or
     `site check` found an invalid file
  2  the command could not do its work: bad arguments, a file or database that cannot be
     read or written, a server that refuses to start
`kelisim scan` has its own statuses (`kelisim scan --help`).";

/// What a check found wrong (exit status 1), as opposed to a command that could not run (2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckFailed(pub String);

/// The exit status of a failed command (see [`EXIT_HELP`]).
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<CheckFailed>().is_some() {
        1
    } else {
        2
    }
}

/// The error as one line (or a few, when a cause is a list): each cause after its context,
/// skipping a cause whose words the line already holds (many errors print their source).
pub fn message(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

/// Opens the data directory of an existing installation (never creates one).
fn open_existing(data: &Path) -> anyhow::Result<(store::Store, store::Connection)> {
    if !data.join(store::DB_FILE).exists() {
        bail!("{} holds no Kelisim database ({})", data.display(), store::DB_FILE);
    }
    Ok(store::Store::open(data)?)
}

/// Where a command finds the data: the data directory, and the PostgreSQL database and log key
/// when the data is not in the directory's SQLite file (as `kelisim serve` was given them).
#[derive(clap::Args, Clone, Debug)]
pub struct DataOpts {
    /// Data directory (the SQLite database unless --database, the log's signing key).
    #[arg(long, default_value = "data")]
    pub data: std::path::PathBuf,
    /// The PostgreSQL database the server keeps its data in (`postgres://…`).
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// The log's signing key file (default: DATA/log-signing.key).
    #[arg(long, value_name = "FILE")]
    pub log_key: Option<std::path::PathBuf>,
}

impl DataOpts {
    /// Where the data is: the PostgreSQL database of `--database`, else the data directory's
    /// SQLite file.
    pub fn location(&self) -> store::Location {
        match &self.database {
            Some(url) => store::Location::Postgres(url.clone()),
            None => store::Location::Sqlite(self.data.join(store::DB_FILE)),
        }
    }

    /// The log's signing key: `--log-key`, or the data directory's (created if missing).
    pub fn key(&self) -> anyhow::Result<kelisim_shared::checkpoint::LogKey> {
        Ok(match &self.log_key {
            Some(file) => crate::log::key::load_file(file)?,
            None => crate::log::key::load_or_create(&self.data)?,
        })
    }
}

/// The store of an existing database: the SQLite file in `data`, or the PostgreSQL database
/// at `database` (`--database`), and the log writer's handle on it.
fn open_existing_or(
    data: &Path,
    database: Option<&str>,
) -> anyhow::Result<(store::Store, Box<dyn store::logdb::LogDb>)> {
    if database.is_none() && !data.join(store::DB_FILE).exists() {
        bail!("{} holds no Kelisim database ({})", data.display(), store::DB_FILE);
    }
    serve::open_database(data, database)
}

/// The dashboard accounts of the server's database: the PostgreSQL database of `--database`
/// (its schema brought up to date if nobody did yet), else the data directory's SQLite file,
/// which `create` makes if missing (a first account before the first `serve`) and which must
/// exist otherwise. Opening the SQLite store first runs the migrations, so the admin tables
/// exist.
fn accounts(o: &DataOpts, create: bool) -> anyhow::Result<crate::admin::auth::Accounts> {
    match &o.database {
        None if create => drop(store::Store::open(&o.data)?),
        None => drop(open_existing(&o.data)?),
        Some(_) => {}
    }
    let opened = crate::admin::auth::Accounts::open(&o.location());
    Ok(match &o.database {
        Some(url) => {
            opened.with_context(|| format!("cannot use the PostgreSQL database {}", store::pg::redacted(url)))?
        }
        None => opened?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_line_is_not_repeated_and_checks_exit_1() {
        let io = std::io::Error::other("disk full");
        let e = anyhow::Error::new(io).context("backup failed");
        assert_eq!(message(&e), "backup failed: disk full");
        assert_eq!(exit_code(&e), 2);
        let e = anyhow::Error::new(CheckFailed("NOT intact: record 3".into()));
        assert_eq!((message(&e).as_str(), exit_code(&e)), ("NOT intact: record 3", 1));
        let wrapped = anyhow::Error::new(CheckFailed("1 site policy file is invalid".into())).context("site check");
        assert_eq!(exit_code(&wrapped), 1, "a check's failure keeps its status under context");
    }
}
