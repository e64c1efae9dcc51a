//! Re-checking the stored consent log record by record: what `kelisim log verify`, the
//! dashboard's "Verify now" and every start of the server run, and what every record a receipt,
//! the history API or the dashboard shows goes through first.
//!
//! Why: the database file can be changed behind the server (someone with the file, a restored
//! copy, triggers dropped). The columns beside a record's canonical bytes exist for queries and
//! are not evidence: a record is what its canonical bytes say, if they hash to its leaf, and
//! the leaves are what the signed checkpoints cover. So a check re-hashes each record, compares
//! every column with its bytes, rebuilds the tree (and the stored subtrees proofs are made
//! from) and compares it with every signed checkpoint; a record whose personal fields are gone
//! must be older than the retention in force when it was made.

use crate::clock;
use crate::store::logdb::LogDb;
use crate::store::logread::LogRead;
use crate::store::read::StoredRow;
use crate::store::MIN_STORED_LEVEL;
use crate::store::{uuid_text, StoreError};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::checkpoint::{Checkpoint, VerifierKey};
use kelisim_shared::merkle::{leaf_hash, Frontier, Hash};
use std::fmt;

/// What a stored record is, checked against its own leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Its canonical bytes hash to its leaf and every column says what they say.
    Verified(Box<ConsentRecord>),
    /// The retention purge removed its canonical bytes: only its leaf (and the tree) remain,
    /// and its columns can no longer be checked.
    Purged,
    /// It disagrees with itself: what is wrong, and what its canonical bytes say if they still
    /// hash to its leaf (then only columns were changed, and the bytes are the truth).
    Mismatch(String, Option<Box<ConsentRecord>>),
}

/// Checks one stored record of `site` against its own leaf hash.
pub fn check_row(site: &str, row: &StoredRow) -> Checked {
    let Some(bytes) = &row.canonical else { return Checked::Purged };
    let Ok(leaf) = <[u8; 32]>::try_from(row.leaf.as_slice()) else {
        return Checked::Mismatch("its leaf hash is not 32 bytes".into(), None);
    };
    if leaf_hash(bytes) != leaf {
        return Checked::Mismatch("its canonical bytes do not hash to its leaf".into(), None);
    }
    let rec: ConsentRecord = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => return Checked::Mismatch(format!("its canonical bytes are not a consent record: {e}"), None),
    };
    if rec.canonical_bytes() != *bytes {
        return Checked::Mismatch("its stored bytes are not in canonical form".into(), None);
    }
    let id = |b: &[u8]| uuid_text(b).unwrap_or_default();
    let differs: &[(&str, bool)] = &[
        ("site", rec.site != site),
        ("seq", rec.seq != row.seq),
        ("event_id", rec.event_id != id(&row.event_id)),
        ("consent_id", rec.consent_id != id(&row.consent_id)),
        ("recorded_at", rec.recorded_at != row.recorded_at),
        ("config_version", rec.config_version != row.config_version),
        ("action", rec.action.as_str() != row.action),
        ("granted", rec.granted.join(" ") != row.granted),
        ("language", rec.language.code() != row.language),
        ("gpc", rec.gpc != row.gpc),
        ("sec_gpc", rec.sec_gpc != row.sec_gpc),
        ("origin", rec.origin != row.origin),
    ];
    let wrong: Vec<&str> = differs.iter().filter(|(_, d)| *d).map(|(name, _)| *name).collect();
    if !wrong.is_empty() {
        return Checked::Mismatch(
            format!("its stored {} disagree with its signed bytes", wrong.join(", ")),
            Some(Box::new(rec)),
        );
    }
    Checked::Verified(Box::new(rec))
}

/// A stored record as it may be shown (receipts, the history API, the dashboard): the values
/// of its signed bytes where they still hash to its leaf, else its columns; and what the check
/// found. A record that disagrees with itself carries its `problem` and is never shown as
/// verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub recorded_at: String,
    pub action: String,
    pub granted: Vec<String>,
    pub language: String,
    pub config_version: String,
    pub gpc: bool,
    /// Only in the canonical bytes: `None` once purged, or when the bytes cannot be trusted.
    pub page: Option<String>,
    /// The retention purge removed its canonical bytes: its fields can no longer be checked.
    pub purged: bool,
    /// Why the record does not match its own leaf, if it does not.
    pub problem: Option<String>,
}

impl Shown {
    pub fn of(site: &str, row: &StoredRow) -> Shown {
        let mut shown = Shown {
            recorded_at: row.recorded_at.clone(),
            action: row.action.clone(),
            granted: row.granted_ids(),
            language: row.language.clone(),
            config_version: row.config_version.clone(),
            gpc: row.gpc,
            page: None,
            purged: false,
            problem: None,
        };
        let signed = match check_row(site, row) {
            Checked::Verified(rec) => Some(rec),
            Checked::Purged => {
                shown.purged = true;
                None
            }
            Checked::Mismatch(why, rec) => {
                tracing::error!(site, seq = row.seq, problem = %why, "a stored record does not match its leaf");
                shown.problem = Some(why);
                rec
            }
        };
        if let Some(rec) = signed {
            shown.recorded_at = rec.recorded_at;
            shown.action = rec.action.as_str().to_owned();
            shown.granted = rec.granted;
            shown.language = rec.language.code().to_owned();
            shown.config_version = rec.config_version;
            shown.gpc = rec.gpc;
            shown.page = rec.page;
        }
        shown
    }
}

/// A site's retention history (`log_retention`, migration 8): from each `since`, `days`.
#[derive(Clone, Debug, Default)]
pub struct Retention(Vec<(String, u32)>);

impl Retention {
    pub fn load(r: &mut dyn LogRead, site_no: i64) -> Result<Retention, StoreError> {
        Ok(Retention(r.retention(site_no)?))
    }

    /// Records `days` as the site's retention from now on, unless it already is. A change
    /// applies to records made from now (the database refuses anything else).
    pub fn register(db: &mut dyn LogDb, site_no: i64, days: u32) -> Result<(), StoreError> {
        let mut last = None;
        db.read(&mut |r| {
            last = Retention::load(r, site_no)?.0.pop();
            Ok(())
        })?;
        if last.as_ref().map(|(_, d)| *d) == Some(days) {
            return Ok(());
        }
        // From now, or just after the last one if that is not before now (`clock::after`).
        db.insert_retention(site_no, &clock::after(&clock::now_rfc3339(), last.as_ref().map(|(s, _)| s.as_str())), days)
    }

    /// The retention (days) of a record made at `recorded_at`: the row in force then, or the
    /// first row for records older than the history.
    pub fn days_for(&self, recorded_at: &str) -> Option<u32> {
        self.0.iter().rev().find(|(since, _)| since.as_str() <= recorded_at).or(self.0.first()).map(|(_, d)| *d)
    }

    /// Whether a record made at `recorded_at` may have lost its personal fields by `now`.
    pub fn expired(&self, recorded_at: &str, now: time::OffsetDateTime) -> bool {
        self.days_for(recorded_at)
            .is_some_and(|d| recorded_at < clock::rfc3339(now - time::Duration::days(i64::from(d))).as_str())
    }

    /// The time before which every record is past its own retention at `now`: the log is in
    /// time order and purged oldest first, so the purge takes the records before it. `None`
    /// when the site has no retention recorded (it is never purged).
    pub fn purge_cutoff(&self, now: time::OffsetDateTime) -> Option<String> {
        let mut cutoff = None;
        for (i, (since, days)) in self.0.iter().enumerate() {
            let limit = clock::rfc3339(now - time::Duration::days(i64::from(*days)));
            // This row's records start at its `since` (the first row also takes older ones) and
            // end where the next row starts.
            let start = if i == 0 { "" } else { since.as_str() };
            if limit.as_str() <= start {
                break;
            }
            match self.0.get(i + 1) {
                Some((next, _)) if limit.as_str() >= next.as_str() => cutoff = Some(next.clone()),
                _ => return Some(limit),
            }
        }
        cutoff
    }
}

/// Where the check of a site's log stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("site {site}, record {seq}: {why}")]
    Record { site: String, seq: u64, why: String },
    #[error("site {site}: {why}")]
    Log { site: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a check of a site's log found (all of it intact).
#[derive(Clone, Debug, Default)]
pub struct Audited {
    /// Records in the log.
    pub records: u64,
    /// Records whose personal fields the retention purge removed.
    pub purged: u64,
    /// Records checked this time: all of them, or those after the last verified size.
    pub checked: u64,
    /// Signed checkpoints of the site.
    pub checkpoints: u64,
    /// The log's frontier at its full size, to resume from next time.
    pub frontier: Frontier,
}

impl fmt::Display for Audited {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} records ({} purged), {} signed checkpoints", self.records, self.purged, self.checkpoints)?;
        if self.checked < self.records {
            write!(
                f,
                "; checked records {}–{} against the state verified before",
                self.records - self.checked + 1,
                self.records
            )?;
        }
        Ok(())
    }
}

/// Rows read at a time by a check (memory stays bounded whatever the log's size).
const ROWS_PER_READ: usize = 4096;

/// Checks a site's log. With `full`, every record and every checkpoint; otherwise the records
/// after the size verified before (`LogRead::verified_state`) and the checkpoints from that size on,
/// starting from the frontier verified then. Reads in one snapshot; writes nothing (the caller
/// saves [`Audited::frontier`] (`Store::save_verified`, `LogDb::save_verified`) if it wants the next check to start there).
pub fn verify_site(r: &mut dyn LogRead, site: &str, key: &VerifierKey, full: bool) -> Result<Audited, AuditError> {
    let log_err = |why: String| AuditError::Log { site: site.to_owned(), why };
    let Some(site_no) = r.site_no(site)? else {
        let n = r.checkpoint_count(site, true)?;
        if n > 0 {
            return Err(log_err(format!("{n} signed checkpoints cover records, but the log holds none")));
        }
        return Ok(Audited::default());
    };
    let start = if full { None } else { r.verified_state(site_no)? };
    let mut frontier = start.unwrap_or_default();
    let from = frontier.size();

    // The signed checkpoints from the starting size on, oldest first.
    let mut checkpoints: Vec<(i64, Checkpoint)> = Vec::new();
    let total_checkpoints = r.checkpoint_count(site, false)?;
    {
        for (id, size, note) in r.checkpoints_from(site, from)? {
            let cp = key.verify(&note).map_err(|e| {
                log_err(format!("checkpoint {id}: its signature does not verify with the log key: {e}"))
            })?;
            if cp.site() != Some(site) || cp.size != size as u64 {
                return Err(log_err(format!(
                    "checkpoint {id}: it is signed for another log or size ({}, {})",
                    cp.origin, cp.size
                )));
            }
            if checkpoints.last().is_some_and(|(_, last)| last.size > cp.size) {
                return Err(log_err(format!("checkpoint {id}: it signs a smaller log than the checkpoint before it")));
            }
            checkpoints.push((id, cp));
        }
    }
    let mut next = 0;
    let check_roots = |f: &Frontier, next: &mut usize| -> Result<(), AuditError> {
        while let Some((id, cp)) = checkpoints.get(*next) {
            if cp.size != f.size() {
                break;
            }
            if f.root() != cp.root {
                return Err(AuditError::Log {
                    site: site.to_owned(),
                    why: format!(
                        "the stored log no longer has the root signed in checkpoint {id} ({} records, {})",
                        cp.size, cp.time
                    ),
                });
            }
            *next += 1;
        }
        Ok(())
    };
    check_roots(&frontier, &mut next)?;

    let retention = Retention::load(r, site_no)?;
    let now = time::OffsetDateTime::now_utc();
    let mut last_time = String::new();
    let mut checked = 0u64;
    let mut after = from;
    loop {
        let rows = r.rows_after(site_no, after, ROWS_PER_READ)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in rows {
            let expected = frontier.size() + 1;
            let bad = |why: String| AuditError::Record { site: site.to_owned(), seq: expected, why };
            if row.seq != expected {
                return Err(bad(format!("it is missing (the next stored record is {})", row.seq)));
            }
            match check_row(site, &row) {
                Checked::Verified(_) => {}
                Checked::Purged => {
                    if !retention.expired(&row.recorded_at, now) {
                        let days = retention.days_for(&row.recorded_at).map_or("no".into(), |d| d.to_string());
                        return Err(bad(format!(
                        "its personal fields were removed, but it was recorded at {} and its retention ({days} days) has not ended",
                        row.recorded_at
                    )));
                    }
                }
                Checked::Mismatch(why, _) => return Err(bad(why)),
            }
            if row.recorded_at < last_time {
                return Err(bad(format!("it is recorded at {}, before the record preceding it", row.recorded_at)));
            }
            last_time = row.recorded_at.clone();
            let leaf = Hash::try_from(row.leaf.as_slice()).map_err(|_| bad("its leaf hash is not 32 bytes".into()))?;
            let mut wrong_subtree = None;
            frontier.append(leaf, |level, index, hash| {
                if level >= MIN_STORED_LEVEL && wrong_subtree.is_none() {
                    match r.stored_subtree(site_no, level, index) {
                        Ok(Some(h)) if h.as_slice() == hash.as_slice() => {}
                        Ok(Some(_)) => {
                            wrong_subtree = Some(format!(
                                "the stored Merkle subtree (level {level}, index {index}) that ends here is wrong"
                            ))
                        }
                        Ok(None) => {
                            wrong_subtree = Some(format!(
                                "the Merkle subtree (level {level}, index {index}) that ends here is not stored"
                            ))
                        }
                        Err(e) => {
                            wrong_subtree = Some(format!(
                                "cannot read the Merkle subtree (level {level}, index {index}): {}",
                                e.detail()
                            ))
                        }
                    }
                }
            });
            if let Some(why) = wrong_subtree {
                return Err(bad(why));
            }
            checked += 1;
            check_roots(&frontier, &mut next)?;
        }
    }
    if let Some((id, cp)) = checkpoints.get(next) {
        return Err(log_err(format!(
            "checkpoint {id} signs {} records, but the log holds {}",
            cp.size,
            frontier.size()
        )));
    }
    let purged = r.purged_count(site_no)?;
    Ok(Audited {
        records: frontier.size(),
        purged: purged.min(frontier.size()),
        checked,
        checkpoints: total_checkpoints as u64,
        frontier,
    })
}

#[cfg(test)]
mod tests {
    use super::Retention;
    use time::macros::datetime;

    fn r(rows: &[(&str, u32)]) -> Retention {
        Retention(rows.iter().map(|(s, d)| (s.to_string(), *d)).collect())
    }

    #[test]
    fn a_record_keeps_the_retention_in_force_when_it_was_made() {
        let h = r(&[("2026-01-01T00:00:00.000Z", 365), ("2026-06-01T00:00:00.000Z", 30)]);
        assert_eq!(h.days_for("2025-05-01T00:00:00.000Z"), Some(365), "older than the history: the first row");
        assert_eq!(h.days_for("2026-03-01T00:00:00.000Z"), Some(365));
        assert_eq!(h.days_for("2026-06-01T00:00:00.000Z"), Some(30));
        let now = datetime!(2026-07-15 00:00 UTC);
        assert!(!h.expired("2026-03-01T00:00:00.000Z", now), "made under 365 days: not expired after 136");
        assert!(h.expired("2026-06-02T00:00:00.000Z", now), "made under 30 days: expired after 43");
        assert!(!h.expired("2026-07-01T00:00:00.000Z", now));
        assert!(!Retention::default().expired("2000-01-01T00:00:00.000Z", now), "no retention recorded: never");
    }

    #[test]
    fn the_purge_cutoff_stops_at_the_first_record_still_kept() {
        let h = r(&[("2026-01-01T00:00:00.000Z", 365), ("2026-06-01T00:00:00.000Z", 30)]);
        // A year on, everything made under the 365 days before 2026-01-01 + … has expired only
        // up to 2025-07-15; the shorter retention of later records does not reach back.
        assert_eq!(h.purge_cutoff(datetime!(2026-07-15 00:00 UTC)).as_deref(), Some("2025-07-15T00:00:00.000Z"));
        // Once the whole first period has expired, the second row's limit applies.
        assert_eq!(h.purge_cutoff(datetime!(2027-08-01 00:00 UTC)).as_deref(), Some("2027-07-02T00:00:00.000Z"));
        // A longer retention later: the first period is over up to the second row's start, and
        // the records made after it are kept although older ones (made before) are gone.
        let longer = r(&[("2026-01-01T00:00:00.000Z", 30), ("2026-06-01T00:00:00.000Z", 365)]);
        assert_eq!(longer.purge_cutoff(datetime!(2026-08-01 00:00 UTC)).as_deref(), Some("2026-06-01T00:00:00.000Z"));
        assert_eq!(longer.purge_cutoff(datetime!(2026-05-01 00:00 UTC)).as_deref(), Some("2026-04-01T00:00:00.000Z"));
        assert_eq!(Retention::default().purge_cutoff(datetime!(2027-06-15 00:00 UTC)), None);
    }
}
