//! `kelisim migrate --from-data DIR --to postgres://…`: a SQLite store copied into an empty
//! PostgreSQL database, in one PostgreSQL transaction, and proven before it commits: each
//! site's tree rebuilt from the copied leaves has the root of the SQLite log, and every copied
//! checkpoint's root is the copied tree's root at its size (and its signature verifies with the
//! log key, when the caller gives it). Nothing is committed if any of it fails.
//!
//! What is copied: the config versions, every site's log (records, the Merkle subtrees rebuilt
//! from its leaves, the head, retention history, the dashboard's counts), the signed
//! checkpoints, the dashboard accounts and API tokens (with their ids), the admin audit trail
//! (with its sequence numbers), the scans and their schedules. Not copied: login sessions (every
//! one logs in again) and how far each log was verified (the first start checks the whole log).

use super::logread::{self, LogRead, SqliteRead, TreeOf};
use super::pg::read::PgRead;
use super::{StoreError, MIN_STORED_LEVEL};
use kelisim_shared::checkpoint::VerifierKey;
use kelisim_shared::merkle::{root_at, Frontier, Hash};
use postgres::Transaction;
use rusqlite::Connection;

/// What was copied of one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteCopy {
    pub site: String,
    pub records: u64,
    pub checkpoints: u64,
    /// The root of the whole log, the same in both databases.
    pub root: Hash,
}

/// Rows read and written at a time.
const CHUNK: usize = 4096;

/// Copies the SQLite database `from` (read inside one snapshot) into the empty PostgreSQL
/// database `to` (its schema already migrated) and proves the copy; commits only then.
pub fn sqlite_to_postgres(
    from: &Connection,
    to: &mut postgres::Client,
    key: Option<&VerifierKey>,
) -> Result<Vec<SiteCopy>, StoreError> {
    let snapshot = super::read::snapshot(from)?;
    let src = &mut SqliteRead(&snapshot);
    let mut tx = to.transaction()?;
    let held: i64 =
        tx.query_one("SELECT (SELECT COUNT(*) FROM log_sites) + (SELECT COUNT(*) FROM admins)", &[])?.get(0);
    if held > 0 {
        return Err(StoreError::Corrupt(
            "the PostgreSQL database already holds a Kelisim log or accounts; migrate copies into an empty one".into(),
        ));
    }
    copy_configs(&snapshot, &mut tx)?;
    let mut copied = Vec::new();
    for site in src.logged_sites()? {
        copied.push(copy_site(&snapshot, src, &mut tx, &site, key)?);
    }
    copy_accounts_and_scans(&snapshot, &mut tx)?;
    tx.commit()?;
    Ok(copied)
}

fn copy_configs(from: &Connection, tx: &mut Transaction) -> Result<(), StoreError> {
    copy_rows(
        from,
        tx,
        "SELECT site, version, body, first_seen FROM config_versions ORDER BY first_seen",
        "INSERT INTO config_versions (site, version, body, first_seen) VALUES ($1, $2, $3, $4)",
        &[Col::Text; 4],
    )
}

/// One site's log: records in chunks, subtrees rebuilt from the leaves, head, checkpoints,
/// retention, counts — then the proof.
fn copy_site(
    from: &Connection,
    src: &mut SqliteRead,
    tx: &mut Transaction,
    site: &str,
    key: Option<&VerifierKey>,
) -> Result<SiteCopy, StoreError> {
    let old_no = src.site_no(site)?.ok_or_else(|| StoreError::Corrupt(format!("site {site} has no number")))?;
    let new_no = super::pg::register_site(tx, site)?;
    let mut frontier = Frontier::default();
    let mut last_time = String::new();
    loop {
        let rows = src.rows_after(old_no, frontier.size(), CHUNK)?;
        if rows.is_empty() {
            break;
        }
        let (mut seq, mut event_id, mut consent_id, mut receipt_id, mut recorded_at) =
            (vec![], vec![], vec![], vec![], vec![]);
        let (mut version, mut action, mut granted, mut language, mut gpc, mut sec_gpc) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut origin, mut leaf_hash, mut canonical) = (vec![], vec![], vec![]);
        let (mut level, mut idx, mut hash) = (Vec::<i32>::new(), Vec::<i64>::new(), Vec::<Vec<u8>>::new());
        for row in rows {
            if row.seq != frontier.size() + 1 {
                return Err(StoreError::Corrupt(format!("site {site}: record {} is missing", frontier.size() + 1)));
            }
            let leaf: Hash = row.leaf.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt(format!("site {site}: the leaf of record {} is not 32 bytes", row.seq))
            })?;
            frontier.append(leaf, |l, i, h| {
                if l >= MIN_STORED_LEVEL {
                    level.push(l as i32);
                    idx.push(i as i64);
                    hash.push(h.to_vec());
                }
            });
            last_time.clone_from(&row.recorded_at);
            seq.push(row.seq as i64);
            event_id.push(row.event_id);
            consent_id.push(row.consent_id);
            receipt_id.push(row.receipt_id);
            recorded_at.push(row.recorded_at);
            version.push(row.config_version);
            action.push(row.action);
            granted.push(row.granted);
            language.push(row.language);
            gpc.push(row.gpc);
            sec_gpc.push(row.sec_gpc);
            origin.push(row.origin);
            leaf_hash.push(row.leaf);
            canonical.push(row.canonical);
        }
        tx.execute(
            "INSERT INTO events (site_no, seq, event_id, consent_id, receipt_id, recorded_at, config_version, action,
                 granted, language, gpc, sec_gpc, origin, leaf_hash, canonical)
             SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[], $6::text[], $7::text[],
                 $8::text[], $9::text[], $10::text[], $11::boolean[], $12::boolean[], $13::text[], $14::bytea[],
                 $15::bytea[])",
            &[
                &new_no,
                &seq,
                &event_id,
                &consent_id,
                &receipt_id,
                &recorded_at,
                &version,
                &action,
                &granted,
                &language,
                &gpc,
                &sec_gpc,
                &origin,
                &leaf_hash,
                &canonical,
            ],
        )?;
        if !level.is_empty() {
            tx.execute(
                "INSERT INTO merkle_subtrees (site_no, level, idx, hash) SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::bytea[])",
                &[&new_no, &level, &idx, &hash],
            )?;
        }
    }
    tx.execute(
        "UPDATE log_heads SET size = $2, last_time = $3 WHERE site_no = $1",
        &[&new_no, &(frontier.size() as i64), &last_time],
    )?;
    // The checkpoints as signed, in order.
    let mut checkpoints: Vec<(i64, i64, Vec<u8>, String)> = Vec::new();
    {
        let mut st = from.prepare(
            "SELECT id, tree_size, root_hash, signed_at, key_id, note FROM checkpoints WHERE site = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([site], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        for row in rows {
            let (id, size, root, signed_at, key_id, note) = row?;
            tx.execute(
                "INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&site, &size, &root, &signed_at, &key_id, &note],
            )?;
            checkpoints.push((id, size, root, note));
        }
    }
    // Retention history as it was (its rows are in the past: the trigger that keeps new rows
    // from applying to records already made is off for the copy, inside this transaction).
    tx.batch_execute("ALTER TABLE log_retention DISABLE TRIGGER log_retention_forward")?;
    for (since, days) in src.retention(old_no)? {
        tx.execute(
            "INSERT INTO log_retention (site_no, since, days) VALUES ($1, $2, $3)",
            &[&new_no, &since, &(days as i32)],
        )?;
    }
    tx.batch_execute("ALTER TABLE log_retention ENABLE TRIGGER log_retention_forward")?;
    {
        let mut st = from.prepare("SELECT hour, dim, key, n FROM log_counts WHERE site_no = ?1")?;
        let rows = st.query_map([old_no], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (hour, dim, k, n) = row?;
            tx.execute(
                "INSERT INTO log_counts (site_no, hour, dim, key, n) VALUES ($1, $2, $3, $4, $5)",
                &[&new_no, &hour, &dim, &k, &n],
            )?;
        }
    }
    // The proof: the copied tree has the SQLite log's root, and every checkpoint's root at its size.
    let source_root = logread::load_frontier(src, site, old_no)?.root();
    let dst = &mut PgRead(tx);
    let copied = logread::load_frontier(dst, site, new_no)?;
    if copied.size() != frontier.size() || copied.root() != source_root || frontier.root() != source_root {
        return Err(StoreError::Corrupt(format!("site {site}: the copy does not have the log's root")));
    }
    for (id, size, stored_root, note) in &checkpoints {
        let root = root_at(&mut TreeOf { r: dst, site, site_no: new_no }, *size as u64)?;
        if stored_root.as_slice() != root.as_slice() {
            return Err(StoreError::Corrupt(format!(
                "site {site}: checkpoint {id} ({size} records) does not match the copied tree"
            )));
        }
        if let Some(key) = key {
            let cp = key.verify(note).map_err(|e| {
                StoreError::Corrupt(format!("site {site}: checkpoint {id} does not verify with the log key: {e}"))
            })?;
            if cp.root != root || cp.size != *size as u64 {
                return Err(StoreError::Corrupt(format!(
                    "site {site}: checkpoint {id} ({size} records) does not match the copied tree"
                )));
            }
        }
    }
    Ok(SiteCopy {
        site: site.to_owned(),
        records: frontier.size(),
        checkpoints: checkpoints.len() as u64,
        root: source_root,
    })
}

/// What a copied column holds, read from SQLite and written to PostgreSQL as that type.
#[derive(Clone, Copy)]
enum Col {
    Text,
    OptText,
    /// `bigint`.
    Int8,
    /// `integer` (SQLite keeps every integer as 64 bits).
    Int4,
    Bool,
    Bytes,
}

/// Copies every row `select` reads from SQLite into PostgreSQL through `insert`, each column as
/// `cols` says.
fn copy_rows(
    from: &Connection,
    tx: &mut Transaction,
    select: &str,
    insert: &str,
    cols: &[Col],
) -> Result<(), StoreError> {
    type Value = Box<dyn postgres::types::ToSql + Sync>;
    let mut st = from.prepare(select)?;
    let rows = st.query_map([], |r| {
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                Ok(match c {
                    Col::Text => Box::new(r.get::<_, String>(i)?) as Value,
                    Col::OptText => Box::new(r.get::<_, Option<String>>(i)?),
                    Col::Int8 => Box::new(r.get::<_, i64>(i)?),
                    Col::Int4 => Box::new(r.get::<_, i64>(i)? as i32),
                    Col::Bool => Box::new(r.get::<_, bool>(i)?),
                    Col::Bytes => Box::new(r.get::<_, Vec<u8>>(i)?),
                })
            })
            .collect::<rusqlite::Result<Vec<Value>>>()
    })?;
    let insert = tx.prepare(insert)?;
    for row in rows {
        let row = row?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = row.iter().map(|v| v.as_ref()).collect();
        tx.execute(&insert, &params)?;
    }
    Ok(())
}

/// Accounts, API tokens (their ids kept: `kelisim token revoke ID`), the audit trail (its
/// sequence numbers kept), scans (ids kept) and schedules.
fn copy_accounts_and_scans(from: &Connection, tx: &mut Transaction) -> Result<(), StoreError> {
    use Col::*;
    copy_rows(
        from,
        tx,
        "SELECT username, password_hash, role, created_at, disabled FROM admins",
        "INSERT INTO admins (username, password_hash, role, created_at, disabled) VALUES ($1, $2, $3, $4, $5)",
        &[Text, Text, Text, Text, Bool],
    )?;
    copy_rows(
        from,
        tx,
        "SELECT id, token_hash, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by
         FROM api_tokens ORDER BY id",
        "INSERT INTO api_tokens (id, token_hash, name, role, created_at, created_by, expires_at, last_used_at,
             revoked_at, revoked_by) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[Int8, Bytes, Text, Text, Text, Text, OptText, OptText, OptText, OptText],
    )?;
    copy_rows(
        from,
        tx,
        "SELECT seq, at, actor, action, detail FROM audit_log ORDER BY seq",
        "INSERT INTO audit_log (seq, at, actor, action, detail) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5)",
        &[Int8, Text, Text, Text, Text],
    )?;
    copy_rows(
        from,
        tx,
        "SELECT id, site, url, finished_at, violations, report, started_by FROM scans ORDER BY id",
        "INSERT INTO scans (id, site, url, finished_at, violations, report, started_by) OVERRIDING SYSTEM VALUE
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[Int8, Text, Text, Text, Int4, Text, OptText],
    )?;
    copy_rows(
        from,
        tx,
        "SELECT site, every, url, pages, set_by, set_at, last_attempt_at FROM scan_schedules",
        "INSERT INTO scan_schedules (site, every, url, pages, set_by, set_at, last_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[Text, Text, Text, Int4, Text, Text, OptText],
    )?;
    // The identity columns go on after the copied ids.
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence('api_tokens', 'id'), COALESCE((SELECT MAX(id) FROM api_tokens), 0) + 1, false);
         SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1, false);
         SELECT setval(pg_get_serial_sequence('scans', 'id'), COALESCE((SELECT MAX(id) FROM scans), 0) + 1, false);",
    )?;
    Ok(())
}
