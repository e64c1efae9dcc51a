//! `kelisim migrate --from-data DIR --to postgres://…`: a server's SQLite data copied into an
//! empty PostgreSQL database and proven (`store::copy`), for a site that outgrows one machine.

use crate::{log, store};
use anyhow::{bail, Context};
use std::path::Path;

pub fn migrate(from_data: &Path, to: &str, log_key: Option<&Path>) -> anyhow::Result<()> {
    if !from_data.join(store::DB_FILE).exists() {
        bail!("{} holds no Kelisim database ({})", from_data.display(), store::DB_FILE);
    }
    let key_file = log_key.map(Path::to_path_buf).unwrap_or_else(|| from_data.join(log::key::KEY_FILE));
    let key = log::key::load_file(&key_file).context("the log key checks the copied checkpoints")?;
    let (_store, conn) = store::Store::open(from_data)?;
    let target = store::pg::redacted(to);
    let mut client = store::pg::connect(to).with_context(|| format!("cannot connect to {target}"))?;
    store::pg::migrate(&mut client).with_context(|| format!("cannot prepare {target}"))?;
    let copied = store::copy::sqlite_to_postgres(&conn, &mut client, Some(&key.verifier()))
        .with_context(|| format!("nothing was copied to {target}"))?;
    for s in &copied {
        println!(
            "site {}: {} records and {} signed checkpoints copied; the copy has the same root ({}) and every checkpoint matches it",
            s.site,
            s.records,
            s.checkpoints,
            hex::encode(s.root)
        );
    }
    if copied.is_empty() {
        println!("the log is empty; accounts, tokens, the audit trail and scans were copied");
    }
    println!(
        "start every server with --database {target} --log-key {} (stop the SQLite server first: what it logs after the copy is not in PostgreSQL)",
        key_file.display()
    );
    Ok(())
}
