//! Write-side statements, run by the log writer inside its transactions. Every function takes
//! the open transaction; none commits.

use super::{Receipt, StoreError};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::Checkpoint;
use kelisim_shared::merkle::{Frontier, Hash};
use rusqlite::{params, Connection, OptionalExtension};

pub fn receipt_by_event_id(c: &Connection, site: &str, event_id: &str) -> Result<Option<Receipt>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT receipt_id, consent_id, seq, recorded_at, leaf_hash FROM events WHERE site = ?1 AND event_id = ?2",
    )?;
    Ok(st
        .query_row(params![site, event_id], |r| {
            Ok(Receipt {
                receipt_id: r.get(0)?,
                consent_id: r.get(1)?,
                seq: r.get::<_, i64>(2)? as u64,
                recorded_at: r.get(3)?,
                leaf_hash: hex::encode(r.get::<_, Vec<u8>>(4)?),
            })
        })
        .optional()?)
}

/// Inserts one event row; `record.seq` is already its place in the log.
pub fn insert_event(c: &Connection, receipt_id: &str, record: &ConsentRecord, canonical: &[u8], leaf: &Hash) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(
        "INSERT INTO events (site, seq, event_id, receipt_id, consent_id, recorded_at, config_version,
             action, granted, language, gpc, sec_gpc, page, origin, ip, user_agent, canonical, leaf_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    st.execute(params![
        record.site,
        record.seq as i64,
        record.event_id,
        receipt_id,
        record.consent_id,
        record.recorded_at,
        record.config_version,
        record.action.as_str(),
        record.granted.join(" "),
        record.language.code(),
        record.gpc,
        record.sec_gpc,
        record.page,
        record.origin,
        record.ip,
        record.user_agent,
        canonical,
        leaf.as_slice(),
    ])?;
    Ok(())
}

/// Stores the hash of a complete subtree (level ≥ 1) of a site's tree.
pub fn insert_node(c: &Connection, site: &str, level: u32, index: u64, hash: &Hash) -> Result<(), StoreError> {
    let mut st = c.prepare_cached("INSERT INTO merkle_nodes (site, level, idx, hash) VALUES (?1, ?2, ?3, ?4)")?;
    st.execute(params![site, level, index as i64, hash.as_slice()])?;
    Ok(())
}

/// The number of events in a site's log (seq runs from 1 without gaps).
pub fn log_size(c: &Connection, site: &str) -> Result<u64, StoreError> {
    let n: i64 = c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events WHERE site = ?1", [site], |r| r.get(0))?;
    Ok(n as u64)
}

/// A site's frontier as stored: O(log n) look-ups, no rehashing.
pub fn load_frontier(c: &Connection, site: &str) -> Result<Frontier, StoreError> {
    let size = log_size(c, site)?;
    let mut src = super::read::SqlSubtrees { conn: c, site };
    let hashes = Frontier::parts(size)
        .into_iter()
        .map(|(level, index)| kelisim_shared::merkle::Subtrees::subtree(&mut src, level, index))
        .collect::<Result<Vec<_>, _>>()?;
    Frontier::from_parts(size, hashes).ok_or_else(|| StoreError::Corrupt(format!("site {site}: frontier of size {size}")))
}

/// Appends a signed checkpoint.
pub fn insert_checkpoint(c: &Connection, site: &str, cp: &Checkpoint, key_id: &str, note: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![site, cp.size as i64, cp.root.as_slice(), cp.time, key_id, note],
    )?;
    Ok(())
}

/// The retention purge (site file `retention_days`): in the caller's transaction, removes the
/// personal fields (`ip`, `user_agent`, `page`) and the canonical bytes that hold them from the
/// site's events recorded before `before` (RFC 3339), at most `limit` of them (so the writer
/// is never held long), keeping `leaf_hash`, so the Merkle tree and all signed checkpoints stay
/// verifiable. Returns how many events were purged.
///
/// This is the single code path that mutates existing rows of the consent log — it breaks
/// append-only semantics by design, and only through the exception that migration 3's
/// `events_no_update` trigger grants while a `purge_in_progress` marker for the site exists.
/// The marker is removed before the transaction commits.
pub fn purge_expired(c: &Connection, site: &str, before: &str, limit: usize) -> Result<usize, StoreError> {
    c.execute("INSERT INTO purge_in_progress (site, before) VALUES (?1, ?2)", params![site, before])?;
    let n = c.execute(
        "UPDATE events SET ip = NULL, user_agent = NULL, page = NULL, canonical = NULL
         WHERE site = ?1 AND seq IN (SELECT seq FROM events
             WHERE site = ?1 AND recorded_at < ?2 AND canonical IS NOT NULL ORDER BY recorded_at LIMIT ?3)",
        params![site, before, limit as i64],
    )?;
    c.execute("DELETE FROM purge_in_progress WHERE site = ?1", [site])?;
    Ok(n)
}
