//! "Verify now" in the dashboard: the full check of `kelisim log verify` (without `--quick`)
//! ([`crate::log::audit`]) run on the server's own database — every stored record re-hashed and
//! compared with its columns, the tree and its stored subtrees rebuilt and compared with every
//! signed checkpoint — and, when it passes, the verified size recorded so that the next start
//! of the server checks only what comes after.

use crate::log::audit::{self, Audited};
use crate::store::{Store, StoreError};
use kelisim_shared::checkpoint::VerifierKey;

#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("cannot read the database: {}", .0.detail())]
    Open(StoreError),
    /// The log is damaged: the first problem found.
    #[error(transparent)]
    Damaged(#[from] audit::AuditError),
}

/// Checks the log of `site`; `Err` names the first problem.
pub fn check(store: &Store, site: &str, key: &VerifierKey) -> Result<Audited, IntegrityError> {
    let audited = store.snapshot(|r| Ok(audit::verify_site(r, site, key, true))).map_err(IntegrityError::Open)??;
    store.save_verified(site, &audited.frontier, &crate::clock::now_rfc3339()).map_err(IntegrityError::Open)?;
    Ok(audited)
}
