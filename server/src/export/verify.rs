//! `kelisim verify FILE.zip`: checks an export bundle offline, trusting nothing in it but the
//! public key (which the auditor compares with one obtained from the operator separately).
//! The checks are `kelisim-verify`'s ([`kelisim_verify::verify()`]), the very code the browser
//! verifier runs; this opens the file for it.

pub use kelisim_verify::{Verified, VerifyError};
use std::path::Path;

pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    let file = std::fs::File::open(path)
        .map_err(|e| VerifyError { place: path.display().to_string(), why: format!("cannot open: {e}") })?;
    kelisim_verify::verify(file, &path.display().to_string(), &mut |_| {})
}
