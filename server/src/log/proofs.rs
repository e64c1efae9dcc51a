//! Proofs served to visitors and auditors: a consent id's history with an inclusion proof of
//! each record against the latest signed checkpoint, and consistency proofs between two signed
//! tree sizes (RFC 6962 §2.1.1–2.1.2).

use crate::store::read::{self, HistoryEvent, SqlSubtrees, StoredCheckpoint};
use crate::store::{Store, StoreError};
use kelisim_shared::merkle::{consistency_proof, inclusion_proof, verify_inclusion, Hash};

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
    store.read(|c| {
        let tx = c.unchecked_transaction()?;
        let checkpoint = read::latest_checkpoint(&tx, site)?;
        let site_no = crate::store::site_no(&tx, site)?.unwrap_or(0);
        let mut events = Vec::new();
        for event in read::history(&tx, site, consent_id)? {
            let (proof, verified) = match &checkpoint {
                Some(cp) if event.seq <= cp.tree_size => {
                    let p =
                        inclusion_proof(&mut SqlSubtrees { conn: &tx, site, site_no }, event.seq - 1, cp.tree_size)?;
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
    let found = store.read(|c| {
        let tx = c.unchecked_transaction()?;
        let Some(a) = read::checkpoint_of_size(&tx, site, from)? else { return Ok(Err(from)) };
        let Some(b) = read::checkpoint_of_size(&tx, site, to)? else { return Ok(Err(to)) };
        let site_no = crate::store::site_no(&tx, site)?.unwrap_or(0);
        let p = consistency_proof(&mut SqlSubtrees { conn: &tx, site, site_no }, from, to)?;
        Ok(Ok((a, b, p)))
    })?;
    found.map_err(ConsistencyError::NotSigned)
}
