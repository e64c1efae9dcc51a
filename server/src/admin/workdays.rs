//! Working days in Kazakhstan, for Art. 8 p.7 of Law 94-V (the operator acts on a withdrawal
//! within 15 working days).
//!
//! Counts Monday–Friday minus the fixed-date public holidays that are days off (Law "On
//! holidays", Labour Code Art. 84): 1–2 January, 7 January, 8 March, 21–23 March, 1, 7 and 9 May,
//! 6 July, 30 August, 25 October, 16 December. Kurban Ait (lunar) and the government's yearly
//! day transfers are not known in advance and are not subtracted, so an age may be overstated
//! by a day or two — the safe side for a deadline.

use time::{Date, Duration, Month, Weekday};

const HOLIDAYS: &[(Month, u8)] = &[
    (Month::January, 1),
    (Month::January, 2),
    (Month::January, 7),
    (Month::March, 8),
    (Month::March, 21),
    (Month::March, 22),
    (Month::March, 23),
    (Month::May, 1),
    (Month::May, 7),
    (Month::May, 9),
    (Month::July, 6),
    (Month::August, 30),
    (Month::October, 25),
    (Month::December, 16),
];

pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !HOLIDAYS.contains(&(d.month(), d.day()))
}

/// Working days after `from` up to and including `to`.
pub fn between(from: Date, to: Date) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d += Duration::days(1);
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// The date `days` working days after `from`.
pub fn add(from: Date, days: i64) -> Date {
    let mut d = from;
    let mut left = days;
    while left > 0 {
        d += Duration::days(1);
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn weekends_and_holidays_do_not_count() {
        // Fri 2026-03-20 → Tue 2026-03-24: Sat, Sun, and Nauryz (21–23 March) are off.
        assert_eq!(between(date!(2026 - 03 - 20), date!(2026 - 03 - 24)), 1);
        assert_eq!(between(date!(2026 - 11 - 16), date!(2026 - 11 - 23)), 5);
        assert_eq!(between(date!(2026 - 11 - 23), date!(2026 - 11 - 23)), 0);
    }

    #[test]
    fn fifteen_working_days() {
        // Withdrawal on Mon 2026-12-07: 16 December is Independence Day.
        assert_eq!(add(date!(2026 - 12 - 07), 15), date!(2026 - 12 - 29));
        assert_eq!(between(date!(2026 - 12 - 07), add(date!(2026 - 12 - 07), 15)), 15);
    }
}
