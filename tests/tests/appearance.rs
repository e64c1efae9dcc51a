//! A site's `[appearance]` (docs/site-policy.md, "Appearance"; W13): colours, position, radius,
//! logo and the reopen button's corner reach the real widget in Chromium through the loader's
//! boot data, a site that keeps the defaults gets nothing extra, and a combination visitors
//! could not read is refused by `site check` and by the dashboard.

use kelisim_tests::admin::{add_account, session};
use kelisim_tests::browser::Browser;
use kelisim_tests::{cli, demo_sites_copy, get, post_form, Kelisim};

const LOOK: &str = "[appearance]\nposition = \"center\"\nbackground = \"#10233f\"\ntext = \"#f4f6fa\"\naccent = \"#ffc857\"\naccent_text = \"#10233f\"\nradius = 2\nlogo = \"/logo.svg\"\nreopen_corner = \"right\"\n\n[operator]";

/// The loader's boot entry of `site`: `[scope, consent_days, floating_button, css?]`.
fn boot_entry(loader: &str, site: &str) -> serde_json::Value {
    let start = loader.find(&format!("\"{site}\":[")).expect("the site in the boot data") + site.len() + 3;
    let mut de = serde_json::Deserializer::from_str(&loader[start..]).into_iter::<serde_json::Value>();
    de.next().unwrap().unwrap()
}

#[tokio::test]
async fn a_sites_look_reaches_the_widget_and_the_defaults_cost_nothing() {
    let sites = demo_sites_copy();
    let file = sites.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("[operator]", LOOK, 1)).unwrap();
    let k = Kelisim::start_with(sites.path(), &["--demo", "--rate-limit", "0"]).unwrap();

    let loader = get(&k.url("/kelisim.js"), &[]).body;
    let styled = boot_entry(&loader, "webpulse");
    let css = styled[3].as_str().expect("the site's CSS in its boot entry");
    assert!(css.contains("--kelisim-bg:#10233f;") && css.contains(".k-reopen{left:auto;right:14px}"), "{css}");
    assert_eq!(boot_entry(&loader, "aimap").as_array().unwrap().len(), 3, "nothing for a site with the defaults");

    let b = Browser::start().await;
    b.goto(&k.url("/demo/webpulse/")).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    let look = b
        .js("const r = document.getElementById('kelisim').shadowRoot, el = r.querySelector('.k-banner'), s = getComputedStyle(el), box = el.getBoundingClientRect(), logo = r.querySelector('.k-title img.k-logo'), btn = getComputedStyle(r.querySelector('[data-action=accept-all]'));
             return [s.backgroundColor, s.color, s.borderTopLeftRadius, box.top, box.bottom, innerHeight, logo && logo.getAttribute('src'), logo && logo.alt, btn.backgroundColor, btn.color]")
        .await;
    let [bg, fg, radius, top, bottom, height, logo, alt, button, button_text] = look.as_array().unwrap().as_slice()
    else {
        panic!("{look}")
    };
    assert_eq!(
        (bg.as_str(), fg.as_str(), radius.as_str()),
        (Some("rgb(16, 35, 63)"), Some("rgb(244, 246, 250)"), Some("2px"))
    );
    assert_eq!((button.as_str(), button_text.as_str()), (Some("rgb(255, 200, 87)"), Some("rgb(16, 35, 63)")));
    let (top, bottom, height) = (top.as_f64().unwrap(), bottom.as_f64().unwrap(), height.as_f64().unwrap());
    assert!(
        (top + bottom) / 2.0 > height * 0.4 && (top + bottom) / 2.0 < height * 0.6,
        "centred: {top}..{bottom} of {height}"
    );
    assert_eq!((logo.as_str(), alt.as_str()), (Some("/logo.svg"), Some("webpulse.kz")));

    b.click("[data-action=\"accept-all\"]").await;
    b.widget("[data-action=\"reopen\"]").await;
    let side = b
        .js("const el = document.getElementById('kelisim').shadowRoot.querySelector('.k-reopen').getBoundingClientRect(); return el.left > innerWidth / 2")
        .await;
    assert_eq!(side, true, "the reopen button in the right corner");

    // The defaults: the stylesheet as built, nothing appended.
    b.goto(&k.url("/demo/aimap/")).await;
    b.widget(".k-banner").await; // aimap asks nothing: its first layer is a notice
    let plain = b
        .js("const r = document.getElementById('kelisim').shadowRoot; return [getComputedStyle(r.querySelector('.k-banner')).backgroundColor, !!r.querySelector('.k-logo'), r.querySelector('style').textContent.includes('--kelisim-bg:#fff;--kelisim-fg')]")
        .await;
    assert_eq!(plain, serde_json::json!(["rgb(255, 255, 255)", false, true]));
    b.close().await;
}

#[test]
fn an_unreadable_accent_is_refused_by_site_check_and_by_the_dashboard() {
    let sites = demo_sites_copy();
    let file = sites.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let yellow = text.replacen("[operator]", "[appearance]\naccent = \"#ffd400\"\n\n[operator]", 1);
    let line = yellow.lines().position(|l| l == "accent = \"#ffd400\"").unwrap() + 1;
    let draft = sites.path().join("draft.toml");
    std::fs::write(&draft, &yellow).unwrap();
    let out = cli(&["site", "check", draft.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("draft.toml:{line}:")) && said.contains("appearance.accent"), "{said}");
    assert!(said.contains("contrast 1.4:1, at least 4.5:1"), "{said}");
    std::fs::remove_file(&draft).unwrap();

    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    add_account(&k, "olga", "admin");
    let (cookie, csrf) = session(&k, "olga");
    let r = post_form(
        &k.url("/admin/sites/webpulse/policy"),
        &[("cookie", &cookie)],
        &[("csrf", &csrf), ("do", "publish"), ("text", &yellow)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains(&format!("data-line=\"{line}\"")) && r.body.contains("appearance.accent"), "{}", r.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "nothing written");
}
