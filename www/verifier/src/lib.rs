//! The auditor's verifier in the browser.
