//! "Verify now" in the dashboard: the full check of `kelisim log verify` (without `--quick`)
//! ([`crate::log::audit`]) run on the server's own database — every stored record re-hashed and
//! compared with its columns, the tree and its stored subtrees rebuilt and compared with every
//! signed checkpoint — and, when it passes, the verified size recorded so that the next start
//! of the server checks only what comes after.

use crate::log::audit::{self, Audited};
use crate::store::StoreError;
use kelisim_shared::checkpoint::VerifierKey;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("cannot open the database: {}", .0.detail())]
    Open(StoreError),
    /// The log is damaged: the first problem found.
    #[error(transparent)]
    Damaged(#[from] audit::AuditError),
}

/// Checks the log of `site`; `Err` names the first problem.
pub fn check(db_file: &Path, site: &str, key: &VerifierKey) -> Result<Audited, IntegrityError> {
    let db = crate::store::audit::connect(db_file).map_err(IntegrityError::Open)?;
    Ok(audit::verify_and_record(&db, site, key, true)?)
}
