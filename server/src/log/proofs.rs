//! Proofs served to visitors and auditors: a consent id's history with an inclusion proof of
//! each record against the latest signed checkpoint, and consistency proofs between two signed
//! tree sizes (RFC 6962 §2.1.1–2.1.2).

use super::audit::Shown;
use crate::store::logread::{LogRead, TreeOf};
use crate::store::read::{self, StoredCheckpoint};
use crate::store::uuid_text;
use crate::store::{Store, StoreError};
use kelisim_shared::merkle::{consistency_proof, inclusion_proof, verify_inclusion, Hash};

/// One logged decision as the visitor's receipt shows it: no IP, user agent or page. Its fields
/// come from the record's canonical bytes when they hash to its leaf (`log::audit`); a record
/// that disagrees with itself is shown as its columns have it, with `problem` saying what is
/// wrong, and never as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEvent {
    pub seq: u64,
    pub receipt_id: String,
    pub recorded_at: String,
    pub action: String,
    pub granted: Vec<String>,
    pub language: String,
    pub config_version: String,
    pub gpc: bool,
    pub leaf_hash: Hash,
    /// The retention purge removed its canonical bytes: its fields can no longer be checked.
    pub purged: bool,
    /// Why the record does not match its own leaf, if it does not.
    pub problem: Option<String>,
}

/// A consent id's decisions on a site, oldest first (at most the last [`read::MAX_HISTORY`]).
pub fn history(r: &mut dyn LogRead, site: &str, consent_id: &str) -> Result<Vec<HistoryEvent>, StoreError> {
    let mut out = Vec::new();
    for row in r.history_rows(site, consent_id)? {
        // What the visitor is shown is what the log signed, where the bytes still say it.
        let shown = Shown::of(site, &row);
        let e = HistoryEvent {
            seq: row.seq,
            receipt_id: uuid_text(&row.receipt_id)?,
            recorded_at: shown.recorded_at,
            action: shown.action,
            granted: shown.granted,
            language: shown.language,
            config_version: shown.config_version,
            gpc: shown.gpc,
            leaf_hash: read::hash_of(row.leaf.clone(), "a leaf hash").unwrap_or([0; 32]),
            purged: shown.purged,
            problem: shown.problem,
        };
        out.push(e);
    }
    Ok(out)
}

pub struct ProvenEvent {
    pub event: HistoryEvent,
    /// Audit path against the checkpoint; `None` while the record is newer than the latest
    /// checkpoint (it will be covered by the next one).
    pub proof: Option<Vec<Hash>>,
    /// The server checked the record against its leaf and the proof against the checkpoint
    /// before sending it.
    pub verified: bool,
}

pub struct ConsentHistory {
    pub checkpoint: Option<StoredCheckpoint>,
    pub events: Vec<ProvenEvent>,
}

/// A consent id's history on a site, with proofs, read in one snapshot.
pub fn consent_history(store: &Store, site: &str, consent_id: &str) -> Result<ConsentHistory, StoreError> {
    store.snapshot(|r| {
        let checkpoint = r.latest_checkpoint(site)?;
        let site_no = r.site_no(site)?.unwrap_or(0);
        let mut events = Vec::new();
        for event in history(r, site, consent_id)? {
            let (proof, verified) = match &checkpoint {
                Some(cp) if event.seq <= cp.tree_size => {
                    let p = inclusion_proof(&mut TreeOf { r: &mut *r, site, site_no }, event.seq - 1, cp.tree_size)?;
                    // A record that does not match its own leaf is never shown as verified,
                    // whatever its leaf's proof says.
                    let ok = verify_inclusion(event.seq - 1, cp.tree_size, &event.leaf_hash, &p, &cp.root).is_ok()
                        && event.problem.is_none();
                    if !ok && event.problem.is_none() {
                        tracing::error!(
                            site,
                            seq = event.seq,
                            "a stored record does not verify against its checkpoint"
                        );
                    }
                    (Some(p), ok)
                }
                _ => (None, false),
            };
            events.push(ProvenEvent { event, proof, verified });
        }
        Ok(ConsentHistory { checkpoint, events })
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConsistencyError {
    #[error("`from` ({from}) must not exceed `to` ({to})")]
    Order { from: u64, to: u64 },
    #[error("no signed checkpoint of this site has size {0}")]
    NotSigned(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A consistency proof between two signed sizes of a site's log, with both checkpoints.
pub fn consistency(
    store: &Store,
    site: &str,
    from: u64,
    to: u64,
) -> Result<(StoredCheckpoint, StoredCheckpoint, Vec<Hash>), ConsistencyError> {
    if from > to {
        return Err(ConsistencyError::Order { from, to });
    }
    let found = store.snapshot(|r| {
        let Some(a) = r.checkpoint_of_size(site, from)? else { return Ok(Err(from)) };
        let Some(b) = r.checkpoint_of_size(site, to)? else { return Ok(Err(to)) };
        let site_no = r.site_no(site)?.unwrap_or(0);
        let p = consistency_proof(&mut TreeOf { r, site, site_no }, from, to)?;
        Ok(Ok((a, b, p)))
    })?;
    found.map_err(ConsistencyError::NotSigned)
}
