//! Text versions as the visitor saw them (issue 19): each version of a site is named by its
//! number in publish order and the day it was first served («v2 · 6 декабря 2026»), shows the
//! real widget of that version in each of its languages (frames of
//! `/admin/sites/{site}/configs/{version}/preview`), and what changed since the version before,
//! counted with the plural the language wants.

use kelisim_tests::admin::{add_account, session};
use kelisim_tests::browser::Browser;
use kelisim_tests::dashboard::{shoot, sign_in};
use kelisim_tests::{demo_sites_copy, get, post_form, Kelisim};
use std::time::{Duration, Instant};

const SITE: &str = "webpulse";
const OLD: &str = "title = { kk = \"Талдау\", ru = \"Аналитика\", en = \"Analytics\" }";
const NEW: &str = "title = { kk = \"Келу статистикасы\", ru = \"Статистика посещений\", en = \"Visit statistics\" }";
/// The analytics category's title in v1 and v2, per language (the frames' order: the site's
/// `languages`, ru, kk, en).
const TITLES: [(&str, &str, &str); 3] = [
    ("ru", "Аналитика", "Статистика посещений"),
    ("kk", "Талдау", "Келу статистикасы"),
    ("en", "Analytics", "Visit statistics"),
];

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

/// The day a UTC timestamp falls on in Almaty (UTC+5, the site's zone), as each language writes
/// it.
fn almaty_day(at: &str) -> (String, String) {
    let n = |r: std::ops::Range<usize>| at[r].parse::<u32>().unwrap();
    let date =
        time::Date::from_calendar_date(n(0..4) as i32, time::Month::try_from(n(5..7) as u8).unwrap(), n(8..10) as u8)
            .unwrap();
    let date = if n(11..13) + 5 >= 24 { date.next_day().unwrap() } else { date };
    let m = u8::from(date.month()) as usize - 1;
    (
        format!("{} {} {}", date.day(), RU_MONTHS[m], date.year()),
        format!("{} ж. {} {}", date.year(), date.day(), KK_MONTHS[m]),
    )
}

fn get_as(k: &Kelisim, path: &str, cookie: &str, lang: &str) -> String {
    let c = format!("{cookie}; kelisim_admin_lang={lang}");
    let r = get(&k.url(path), &[("cookie", &c)]);
    assert_eq!(r.status, 200, "{path} in {lang}: {}", r.body);
    r.body
}

/// The text of the widget's shadow root in frame `i` once it holds `want` (or the frame's text).
async fn frame_text(b: &Browser, i: u16, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        b.client.enter_parent_frame().await.unwrap();
        b.client.enter_frame(i).await.unwrap();
        let got = b
            .client
            .execute(
                "var h = document.getElementById('kelisim'), r = h && h.shadowRoot;
                 var p = r && r.querySelector('[data-kelisim=preferences]');
                 return p ? document.documentElement.lang + '|' + p.textContent : '';",
                vec![],
            )
            .await
            .unwrap_or_default();
        let text = got.as_str().unwrap_or("").to_owned();
        if text.contains(want) {
            b.client.enter_parent_frame().await.unwrap();
            return text;
        }
        assert!(Instant::now() < deadline, "frame {i} never showed `{want}`: {text}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn each_version_shows_its_short_name_its_widget_in_every_language_and_what_changed() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap();
    add_account(&k, "alice", "admin");
    let (cookie, csrf) = session(&k, "alice");
    let file = std::fs::read_to_string(sites.path().join("webpulse.toml")).unwrap();
    assert!(file.contains(OLD));
    let r = post_form(
        &k.url(&format!("/admin/sites/{SITE}/policy")),
        &[("cookie", cookie.as_str())],
        &[("csrf", &csrf), ("do", "publish"), ("text", &file.replacen(OLD, NEW, 1))],
    );
    assert!(r.status == 200 || r.status == 303, "{}", r.body);
    let versions: Vec<(String, String)> = {
        let db = k.db();
        let mut st =
            db.prepare("SELECT version, first_seen FROM config_versions WHERE site = ?1 ORDER BY first_seen").unwrap();
        st.query_map([SITE], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(versions.len(), 2, "{versions:?}");
    let (v1, v2) = (&versions[0], &versions[1]);
    let s = format!("/admin/sites/{SITE}");

    // The list: short names, newest first, and each one's changes.
    let (ru1, kk1) = almaty_day(&v1.1);
    let (ru2, kk2) = almaty_day(&v2.1);
    let list = get_as(&k, &format!("{s}/configs"), &cookie, "ru");
    let (at2, at1) = (list.find(&format!("v2 · {ru2}")), list.find(&format!("v1 · {ru1}")));
    assert!(at2.is_some() && at1.is_some() && at2 < at1, "v2 then v1 by name and day: {list}");
    assert!(list.contains(&format!("compare?a={}&amp;b={}", v1.0, v2.0)), "v2's changes link: {list}");
    assert!(list.contains("первая версия"), "{list}");
    let list = get_as(&k, &format!("{s}/configs"), &cookie, "kk");
    assert!(list.contains(&format!("v2 · {kk2}")) && list.contains(&format!("v1 · {kk1}")), "{list}");

    // v2: its name and day, three texts changed (one title in three languages), v1 before it.
    let page = get_as(&k, &format!("{s}/configs/{}", v2.0), &cookie, "ru");
    assert!(page.contains(&format!("<title>webpulse.kz — v2 · {ru2} — Kelisim</title>")), "{page}");
    assert!(page.contains("data-differ=\"3\"") && page.contains("3 текста изменены"), "{page}");
    assert!(page.contains("Аналитика") && page.contains("Статистика посещений"), "the diff's texts: {page}");
    assert!(page.contains(&format!("v1 · {ru1}")) && page.contains("rel=\"prev\""), "{page}");
    for (lang, _, _) in TITLES {
        assert!(page.contains(&format!("/configs/{}/preview?lang={lang}&amp;layer=banner", v2.0)), "{lang}: {page}");
    }
    let page = get_as(&k, &format!("{s}/configs/{}", v2.0), &cookie, "kk");
    assert!(page.contains(&format!("v2 · {kk2}")) && page.contains("3 мәтін өзгерді"), "{page}");
    let page = get_as(&k, &format!("{s}/configs/{}", v1.0), &cookie, "ru");
    assert!(page.contains("data-differ=\"none\"") && page.contains("Это первая версия"), "{page}");
    assert!(page.contains("rel=\"next\"") && !page.contains("rel=\"prev\""), "{page}");
    // A version of another site, or none, is not found.
    let none = get(&k.url(&format!("{s}/configs/{}/preview?lang=ru", "0".repeat(64))), &[("cookie", &cookie)]);
    assert_eq!(none.status, 404);

    // In the browser: each version's frames show that version's widget, in each language.
    let b = Browser::start_with(&["--window-size=1280,1000"]).await;
    sign_in(&b, &k, "alice").await;
    for ui in ["ru", "kk"] {
        b.goto(&k.url(&format!("/admin/lang?to={ui}"))).await;
        for (v, new) in [(v1, false), (v2, true)] {
            b.goto(&k.url(&format!("{s}/configs/{}?layer=preferences", v.0))).await;
            for (i, (lang, old_title, new_title)) in TITLES.iter().enumerate() {
                let (want, not) = if new { (new_title, old_title) } else { (old_title, new_title) };
                let text = frame_text(&b, i as u16, want).await;
                assert!(text.starts_with(&format!("{lang}|")), "frame {i} is in {lang}: {text}");
                assert!(!text.contains(not), "{ui}, {} frame {lang}: {text}", if new { "v2" } else { "v1" });
            }
            shoot(&b, &format!("version-{ui}-{}", if new { "v2" } else { "v1" })).await;
        }
    }
    // The first layer, as a first visit shows it.
    b.goto(&k.url(&format!("{s}/configs/{}", v2.0))).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        b.client.enter_frame(1).await.unwrap();
        let shown = b
            .js("var h = document.getElementById('kelisim'); return !!(h && h.shadowRoot.querySelector('[data-kelisim=banner] [data-action=accept-all]'))")
            .await;
        b.client.enter_parent_frame().await.unwrap();
        if shown == serde_json::json!(true) {
            break;
        }
        assert!(Instant::now() < deadline, "the first layer never showed in the kk frame");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    b.close().await;
}
