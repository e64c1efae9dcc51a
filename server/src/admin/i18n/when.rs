//! Times on the dashboard: a stored UTC timestamp (RFC 3339, as `clock` writes it) shown in the
//! site's time zone (`timezone` in its policy; `Asia/Almaty` for pages of no one site), the way
//! the page's language writes a date: ru «4 декабря 2026, 19:42», kk «2026 ж. 4 желтоқсан,
//! 19:42», en "4 Dec 2026, 19:42". Exports, CSV and the JSON API keep UTC.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use kelisim_shared::lang::Lang;

const RU_MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const KK_MONTHS: [&str; 12] = [
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
];
const EN_MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A calendar day as the language writes it: «4 декабря 2026», «2026 ж. 4 желтоқсан», "4 Dec 2026".
pub fn date(l: Lang, d: jiff::civil::Date) -> String {
    let (y, m, day) = (d.year(), usize::try_from(d.month() - 1).unwrap_or(0), d.day());
    match l {
        Lang::Ru => format!("{day} {} {y}", RU_MONTHS[m]),
        Lang::Kk => format!("{y} ж. {day} {}", KK_MONTHS[m]),
        Lang::En => format!("{day} {} {y}", EN_MONTHS[m]),
    }
}

/// A `YYYY-MM-DD` day (a due date, a day of the log) as the language writes it; anything else
/// as it is.
pub fn day(l: Lang, ymd: &str) -> String {
    ymd.parse::<jiff::civil::Date>().map_or_else(|_| ymd.to_owned(), |d| date(l, d))
}

/// How a stored timestamp is shown: the text, and a title with the zone, its offset then and
/// the instant in UTC. A string that is not a timestamp is shown as it is (and `None`).
pub fn shown(l: Lang, tz: &TimeZone, at: &str) -> (String, Option<String>) {
    let Ok(ts) = at.trim().parse::<Timestamp>() else {
        return (at.to_owned(), None);
    };
    let z = ts.to_zoned_datetime(tz.clone());
    let text = format!("{}, {:02}:{:02}", date(l, z.date()), z.hour(), z.minute());
    let offset = z.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    let name = tz.iana_name().unwrap_or("UTC");
    let title = format!("{name}, UTC{sign}{h:02}:{m:02} · {} UTC", ts.strftime("%Y-%m-%d %H:%M:%S"));
    (text, Some(title))
}

/// How long before `now` a stored timestamp was, in whole minutes, hours or days: «3 дня
/// назад», «3 күн бұрын», "3 days ago"; `None` for what is not a timestamp or is in the future.
pub fn ago(l: Lang, at: &str, now: Timestamp) -> Option<String> {
    use super::count::{count, DAY, HOUR, MINUTE};
    let secs = now.as_second() - at.trim().parse::<Timestamp>().ok()?.as_second();
    if secs < 0 {
        return None;
    }
    if secs < 60 {
        return Some(
            match l {
                Lang::Kk => "жаңа ғана",
                Lang::Ru => "только что",
                Lang::En => "just now",
            }
            .to_owned(),
        );
    }
    let n = if secs < 3_600 {
        count(l, secs / 60, &MINUTE)
    } else if secs < 86_400 {
        count(l, secs / 3_600, &HOUR)
    } else {
        count(l, secs / 86_400, &DAY)
    };
    Some(match l {
        Lang::Kk => format!("{n} бұрын"),
        Lang::Ru => format!("{n} назад"),
        Lang::En => format!("{n} ago"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_time_is_shown_in_the_zone_in_each_language() {
        let tz = kelisim_shared::policy::time_zone(None);
        let at = "2026-12-04T14:42:15.190Z";
        assert_eq!(shown(Lang::Ru, &tz, at).0, "4 декабря 2026, 19:42");
        assert_eq!(shown(Lang::Kk, &tz, at).0, "2026 ж. 4 желтоқсан, 19:42");
        assert_eq!(shown(Lang::En, &tz, at).0, "4 Dec 2026, 19:42");
        assert_eq!(shown(Lang::En, &tz, at).1.as_deref(), Some("Asia/Almaty, UTC+05:00 · 2026-12-04 14:42:15 UTC"));
        let moscow = kelisim_shared::policy::time_zone(Some("Europe/Moscow"));
        assert_eq!(shown(Lang::Ru, &moscow, "2026-12-31T22:30:00Z").0, "1 января 2027, 01:30");
        assert_eq!(shown(Lang::Ru, &tz, "soon"), ("soon".to_owned(), None));
        assert_eq!(day(Lang::Kk, "2026-03-09"), "2026 ж. 9 наурыз");
        let now: Timestamp = "2026-12-07T15:00:00Z".parse().unwrap();
        assert_eq!(ago(Lang::Ru, at, now).as_deref(), Some("3 дня назад"));
        assert_eq!(ago(Lang::Kk, at, now).as_deref(), Some("3 күн бұрын"));
        assert_eq!(ago(Lang::En, "2026-12-07T14:59:00Z", now).as_deref(), Some("1 minute ago"));
        assert_eq!(ago(Lang::Ru, "2026-12-07T10:00:00Z", now).as_deref(), Some("5 часов назад"));
        assert_eq!(ago(Lang::Ru, "2026-12-07T14:59:30Z", now).as_deref(), Some("только что"));
        assert_eq!(ago(Lang::Ru, "2026-12-08T00:00:00Z", now), None);
    }
}
