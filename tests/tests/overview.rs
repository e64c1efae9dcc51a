//! The overview an owner opens every week (issue 19): a period of the site's own days with the
//! period before beside it, acceptance per category as bars that mean something on the first
//! day, the share of each kind of decision per day, and the same numbers as CSV — read from
//! the counts the log writer keeps, in kk and ru, in a real Chromium.

use fantoccini::Locator;
use kelisim_tests::admin::{add_account, session};
use kelisim_tests::browser::Browser;
use kelisim_tests::dashboard::{shoot, sign_in};
use kelisim_tests::{demo_sites_copy, get, seed, Kelisim};
use serde_json::json;

const SITE: &str = "webpulse";

/// Today in Almaty (the demo sites keep the default zone), as the page and the CSV write it.
fn today_in_almaty() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+5));
    format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
}

#[test]
fn a_one_day_old_site_has_bars_a_period_and_a_csv_of_its_own_days() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();
    add_account(&k, "alice", "admin");
    // 40 decisions today: 10 each of accept all, reject all, custom (analytics), withdraw.
    seed(&k, 40);
    let (cookie, _) = session(&k, "alice");
    let page = |q: &str, lang: &str| {
        let c = format!("{cookie}; kelisim_admin_lang={lang}");
        let r = get(&k.url(&format!("/admin/sites/{SITE}/{q}")), &[("cookie", &c)]);
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.body
    };
    let ru = page("", "ru");
    let today = today_in_almaty();
    assert!(ru.contains(r#"<b data-stat="total">40</b> решений"#), "{ru}");
    assert!(ru.contains(&format!(r#"data-range-to="{today}""#)), "the period ends today in Almaty: {ru}");
    assert!(ru.contains(r#"<span data-stat="previous">0</span>"#), "nothing before: {ru}");
    // Each optional category's share of the day's decisions: analytics is granted by accept
    // all and custom (20 of 40), the others by accept all only (10 of 40).
    for (title, share) in [("Аналитика", "50.0"), ("Функциональные", "25.0"), ("Реклама", "25.0")]
    {
        assert!(ru.contains(&format!(r#"data-share="{share}""#)) && ru.contains(title), "{title} {share}: {ru}");
    }
    assert!(ru.contains(r#"aria-current="page" data-days="30""#), "30 days by default");
    // Every decision was under the demo's one text version: named by its number and day.
    assert!(ru.contains(">v1 · "), "a short name instead of the hash: {ru}");
    assert!(ru.contains("Предыдущий период"));
    let kk = page("?days=7", "kk");
    assert!(kk.contains(r#"<b data-stat="total">40</b> шешім"#), "{kk}");
    assert!(kk.contains(r#"aria-current="page" data-days="7""#) && kk.contains("Соңғы 7 күн"), "{kk}");
    assert!(kk.contains("Алдыңғы кезең"));
    // A period that cannot be read says so and shows the default.
    let bad = page("?from=2026-12-03&to=2026-11-01", "ru");
    assert!(bad.contains("data-bad-range") && bad.contains(r#"aria-current="page" data-days="30""#), "{bad}");
    // A period before the site had decisions: none, and the page says so.
    let empty = page("?from=2020-01-01&to=2020-01-31", "ru");
    assert!(
        empty.contains(r#"<b data-stat="total">0</b>"#) && empty.contains("За этот период решений нет."),
        "{empty}"
    );

    // The CSV: a row per day of the site's zone, today's holding the 40 decisions.
    let r = get(&k.url(&format!("/admin/sites/{SITE}/overview.csv?days=7")), &[("cookie", &cookie)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.header("content-disposition").unwrap().contains(&format!("{SITE}-")),
        "{:?}",
        r.header("content-disposition")
    );
    let mut csv = csv::Reader::from_reader(r.body.as_bytes());
    let head: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        head[..10],
        [
            "day (Asia/Almaty)",
            "decisions",
            "accept_all",
            "reject_all",
            "custom",
            "withdraw",
            "granted functional",
            "granted analytics",
            "granted marketing",
            "language ru"
        ]
    );
    let rows: Vec<Vec<String>> = csv.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 7, "one row per day");
    let last = rows.last().unwrap();
    assert_eq!(last[..9], [today.as_str(), "40", "10", "10", "10", "10", "10", "20", "10"]);
    assert!(rows[..6].iter().all(|r| r[1] == "0"), "{rows:?}");
    let mine: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    assert_eq!(mine, 40);
    // Someone signed out gets no numbers.
    assert_eq!(get(&k.url(&format!("/admin/sites/{SITE}/overview.csv")), &[]).status, 303);

    // In the browser: the bars are painted and as wide as their share, in both languages.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        sign_in(&b, &k, "alice").await;
        for lang in ["ru", "kk"] {
            b.goto(&k.url(&format!("/admin/lang?to={lang}"))).await;
            b.goto(&k.url(&format!("/admin/sites/{SITE}/"))).await;
            b.client.find(Locator::Css("svg.chart.bars")).await.expect("the category bars");
            let widths = b
                .js("return Array.from(document.querySelectorAll('svg.bars rect.bar')).map(function (r) { return [r.dataset.share, Math.round(r.getBoundingClientRect().width)]; })")
                .await;
            let widths: Vec<(String, i64)> = widths
                .as_array()
                .unwrap()
                .iter()
                .map(|w| (w[0].as_str().unwrap().to_owned(), w[1].as_i64().unwrap()))
                .collect();
            assert_eq!(widths.len(), 3, "{widths:?}");
            let of = |s: &str| widths.iter().find(|w| w.0 == s).map(|w| w.1).unwrap();
            assert!(of("25.0") > 10, "a bar on day one: {widths:?}");
            assert!((of("50.0") - 2 * of("25.0")).abs() <= 2, "as wide as the share: {widths:?}");
            // The trend has a point per action for the one day.
            let dots = b.js("return document.querySelectorAll('svg.trend circle').length").await;
            assert_eq!(dots, json!(3));
            assert_eq!(b.js("return document.documentElement.lang").await, json!(lang));
            shoot(&b, &format!("overview-{lang}")).await;
            b.js("document.querySelector('svg.trend').scrollIntoView(); return true").await;
            shoot(&b, &format!("overview-{lang}-trend")).await;
        }
        b.close().await;
    });
}
