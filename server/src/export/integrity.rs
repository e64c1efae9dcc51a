//! "Verify now" in the dashboard: the checks of `kelisim verify`, run on the server's own
//! database — every stored record's canonical bytes against its leaf hash, the tree recomputed
//! from all leaves against every signed checkpoint, and every signature against the log key.

use kelisim_shared::checkpoint::VerifierKey;
use kelisim_shared::merkle::{empty_root, leaf_hash, Frontier, Hash};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

pub struct Integrity {
    pub records: u64,
    pub purged: u64,
    pub checkpoints: u64,
    pub latest: Option<(u64, String, String)>,
}

/// Checks the log of `site`; `Err` names the first problem.
pub fn check(db_file: &Path, site: &str, key: &VerifierKey) -> Result<Integrity, String> {
    let db = Connection::open_with_flags(db_file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.to_string())?;
    db.execute_batch("BEGIN").map_err(|e| e.to_string())?;
    let mut cps = Vec::new();
    {
        let mut st = db.prepare("SELECT id, note FROM checkpoints WHERE site = ?1 ORDER BY id").map_err(|e| e.to_string())?;
        let rows = st.query_map([site], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(|e| e.to_string())?;
        for row in rows {
            let (id, note) = row.map_err(|e| e.to_string())?;
            let cp = key.verify(&note).map_err(|e| format!("checkpoint {id}: signature does not verify with the log key: {e}"))?;
            cps.push((id, cp));
        }
    }
    let mut out = Integrity { records: 0, purged: 0, checkpoints: cps.len() as u64, latest: None };
    let mut next = cps.iter().peekable();
    let mut frontier = Frontier::default();
    let check_roots = |f: &Frontier, next: &mut std::iter::Peekable<std::slice::Iter<(i64, kelisim_shared::checkpoint::Checkpoint)>>| -> Result<(), String> {
        while let Some((id, cp)) = next.peek() {
            if cp.size != f.size() {
                break;
            }
            let root = if cp.size == 0 { empty_root() } else { f.root() };
            if root != cp.root {
                return Err(format!("checkpoint {id} (size {}): its root does not match the stored log", cp.size));
            }
            next.next();
        }
        Ok(())
    };
    check_roots(&frontier, &mut next)?;
    let site_no: Option<i64> =
        db.query_row("SELECT site_no FROM log_sites WHERE site = ?1", [site], |r| r.get(0)).optional().map_err(|e| e.to_string())?;
    let (lo, hi) = crate::store::site_range(site_no.unwrap_or(0));
    let mut st = db.prepare("SELECT seq, canonical, leaf_hash FROM events WHERE id BETWEEN ?1 AND ?2 ORDER BY id").map_err(|e| e.to_string())?;
    let mut rows = st.query([lo, hi]).map_err(|e| e.to_string())?;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let seq: i64 = r.get(0).map_err(|e| e.to_string())?;
        let canonical: Option<Vec<u8>> = r.get(1).map_err(|e| e.to_string())?;
        let leaf: Vec<u8> = r.get(2).map_err(|e| e.to_string())?;
        let leaf: Hash = leaf.try_into().map_err(|_| format!("record {seq}: leaf hash is not 32 bytes"))?;
        if seq as u64 != frontier.size() + 1 {
            return Err(format!("record {seq}: expected seq {}", frontier.size() + 1));
        }
        match canonical {
            Some(bytes) if leaf_hash(&bytes) != leaf => return Err(format!("record {seq}: its bytes do not hash to its leaf")),
            Some(_) => {}
            None => out.purged += 1,
        }
        frontier.append(leaf, |_, _, _| {});
        out.records += 1;
        check_roots(&frontier, &mut next)?;
    }
    if let Some((id, cp)) = next.next() {
        return Err(format!("checkpoint {id} covers {} records but the log holds {}", cp.size, frontier.size()));
    }
    out.latest = cps.last().map(|(_, cp)| (cp.size, hex::encode(cp.root), cp.time.clone()));
    Ok(out)
}
