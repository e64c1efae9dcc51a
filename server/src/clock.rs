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

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_width_utc_with_milliseconds() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.6 UTC);
        assert_eq!(super::rfc3339(t), "2026-01-02T03:04:05.600Z");
    }
}
