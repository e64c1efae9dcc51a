//! Timestamps as the log writes them: RFC 3339, UTC, milliseconds, `Z`. One fixed width, so
//! that comparing two of them as strings (as SQLite does) compares the times.

use time::OffsetDateTime;

pub fn rfc3339(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&f).expect("UTC time always formats")
}

pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// `now`, or a millisecond after `last` when `last` is not before `now`: the time of something
/// that must come after `last` (a site's next retention: the database takes one only after the
/// last, migration 8), even when `last` was written by another instance whose clock is ahead of
/// this one's, or before this machine's clock stepped back.
pub fn after(now: &str, last: Option<&str>) -> String {
    use time::format_description::well_known::Rfc3339;
    match last.filter(|l| *l >= now).and_then(|l| OffsetDateTime::parse(l, &Rfc3339).ok()) {
        Some(t) => rfc3339(t + time::Duration::milliseconds(1)),
        None => now.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_width_utc_with_milliseconds() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.6 UTC);
        assert_eq!(super::rfc3339(t), "2026-01-02T03:04:05.600Z");
    }

    #[test]
    fn after_is_now_unless_the_last_time_is_not_before_it() {
        let now = "2026-01-02T03:04:05.600Z";
        assert_eq!(super::after(now, None), now);
        assert_eq!(super::after(now, Some("2026-01-02T03:04:05.599Z")), now);
        assert_eq!(super::after(now, Some(now)), "2026-01-02T03:04:05.601Z");
        assert_eq!(super::after(now, Some("2026-01-02T03:59:59.999Z")), "2026-01-02T04:00:00.000Z");
    }
}
