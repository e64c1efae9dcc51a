//! A new owner's first hour, in Chromium, end to end (issue 18): sign in, create a site from a
//! real privacy policy (tests/fixtures/policies/zhibek-shop.kk.txt), carry the importer's draft
//! into the form editor, fix its TODOs where the Check puts them, watch the live preview in each
//! language, publish, check the site's page with "Check my site", open it and see the published
//! texts; then change a title, publish, and see the same page ask again.
//! `KELISIM_SCREENSHOTS=DIR` keeps what the owner saw.

use fantoccini::Locator;
use kelisim_tests::admin::add_account;
use kelisim_tests::browser::Browser;
use kelisim_tests::dashboard::{frame_shows, set, shoot, sign_in};
use kelisim_tests::pages::PageServer;
use kelisim_tests::{demo_sites_copy, root, Kelisim};
use std::time::Duration;

/// What an owner types over each TODO the importer left in the draft, by field.
fn fix(name: &str) -> &'static str {
    match name {
        "policy_url" => "https://zhibek-shop.kz/privacy",
        "operator.name.en" => "Zhibek Zholy Sauda LLP",
        "operator.address.ru" => "Республика Казахстан, г. Алматы, пр. Абая, 52, офис 4",
        "operator.address.en" => "Office 4, 52 Abai Avenue, Almaty, Kazakhstan",
        n if n.ends_with(".country") => "KZ",
        other => panic!("a TODO this test does not know how to fix: {other}"),
    }
}

/// The names of the form's fields whose value still holds a TODO.
async fn todos(b: &Browser) -> Vec<String> {
    let v = b
        .js("return Array.from(document.querySelectorAll('form.editor input:not([type=hidden]), form.editor textarea')).filter(e => e.value.includes('TODO')).map(e => e.name)")
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn a_new_owner_sets_up_a_site_from_its_policy_and_changes_it_in_the_browser() {
    let sites = demo_sites_copy();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0", "--chromium", &chromium]).unwrap();
    let shop = PageServer::start(vec![]);
    shop.set(
        "/",
        format!(
            "<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\"><title>Жібек</title>\
             <script src=\"{}/kelisim.js\" data-site=\"zhibek\"></script></head><body><h1>Жібек Жолы</h1></body></html>",
            k.base
        ),
    );
    shop.set("/style.css", "body{}".into());
    add_account(&k, "aliya", "admin");
    let b = Browser::start_with(&["--window-size=1400,1000"]).await;
    let wait = |css: &'static str| b.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css));
    sign_in(&b, &k, "aliya").await;
    b.goto(&k.url("/admin/lang?to=kk")).await;

    // New site: its id and the policy's text (set as pasting ends up; typing 10 KB is slow).
    b.goto(&k.url("/admin/")).await;
    b.client.find(Locator::Css("[data-action=new-site]")).await.unwrap().click().await.unwrap();
    wait("textarea[name=text]").await.expect("the new site page");
    b.client.find(Locator::Css("input[name=id]")).await.unwrap().send_keys("zhibek").await.unwrap();
    let policy = std::fs::read_to_string(root().join("tests/fixtures/policies/zhibek-shop.kk.txt")).unwrap();
    set(&b, "textarea[name=text]", &serde_json::to_string(&policy).unwrap()).await;
    b.client.find(Locator::Css("[data-action=draft]")).await.unwrap().click().await.unwrap();
    // The draft, its TODOs listed; over to the form.
    wait("[data-todos]").await.expect("the draft with its TODOs");
    shoot(&b, "owner-1-draft").await;
    b.client.find(Locator::Css("[data-tab=form]")).await.unwrap().click().await.unwrap();
    wait("form.editor [name=policy_url]").await.expect("the draft in the form");
    let left = todos(&b).await;
    assert_eq!(left.len(), 6, "the importer's TODOs are in the form's fields: {left:?}");
    // Check: each TODO is a problem shown at its field.
    b.client.find(Locator::Css("[data-action=check]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=invalid]").await.expect("the check lists the TODOs");
    for name in &left {
        let shown = b
            .js(&format!(
                "return !!document.querySelector('[data-problem=\"{name}\"], [name=\"{name}\"][aria-invalid=true]')"
            ))
            .await;
        assert!(shown == true, "{name}'s problem is not shown at the field");
    }
    shoot(&b, "owner-2-todos").await;
    // Fix each where it is, as typing would; the site's address gets the shop's origin.
    for name in todos(&b).await {
        set(&b, &format!("[name=\"{name}\"]"), &serde_json::to_string(fix(&name)).unwrap()).await;
    }
    set(&b, "[name=origins]", &serde_json::to_string(&format!("https://zhibek-shop.kz\n{}", shop.origin)).unwrap())
        .await;
    assert!(todos(&b).await.is_empty());

    // The live preview follows the form, in each language.
    set(&b, "select[name=layer]", "'preferences'").await;
    set(&b, "[name=\"category.0.title.kk\"]", "'Қажетті cookie'").await;
    frame_shows(&b, "[data-kelisim=preferences]", "Қажетті cookie").await;
    shoot(&b, "owner-3-preview-kk").await;
    set(&b, "select[name=lang]", "'ru'").await;
    frame_shows(&b, "[data-kelisim=preferences]", "Обязательные").await;
    set(&b, "select[name=lang]", "'en'").await;
    frame_shows(&b, "[data-kelisim=preferences]", "Necessary").await;
    set(&b, "select[name=lang]", "'kk'").await;

    // Check, then publish: the site goes live and its file is written.
    b.client.find(Locator::Css("[data-action=check]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=valid]").await.expect("the fixed draft passes the check");
    b.client.find(Locator::Css("[data-action=publish]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=published]").await.expect("published");
    shoot(&b, "owner-4-published").await;
    let file = std::fs::read_to_string(sites.path().join("zhibek.toml")).unwrap();
    let todo_values = file.lines().filter(|l| !l.trim_start().starts_with('#') && l.contains("TODO")).count();
    assert!(file.contains("Қажетті cookie") && todo_values == 0, "{file}");
    assert!(file.contains("# 1.1-тармақ"), "the importer's comments, citing the policy, are kept");

    // Check my site: the loader is first in <head>, nothing runs before a choice.
    b.goto(&k.url("/admin/sites/zhibek/install")).await;
    set(&b, "input[name=url]", &serde_json::to_string(&format!("{}/", shop.origin)).unwrap()).await;
    b.client.find(Locator::Css("[data-action=check-site]")).await.unwrap().click().await.unwrap();
    b.client
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css("[data-check=result], [data-check=failed]"))
        .await
        .expect("the check's result");
    assert!(b.js("return !!document.querySelector('[data-loader=first]') && !!document.querySelector('[data-trackers=\"0\"]')").await == true);
    shoot(&b, "owner-5-check").await;
    // The check is the site's latest scan.
    b.goto(&k.url("/admin/sites/zhibek/scan")).await;
    wait("[data-scan-violations=\"0\"]").await.expect("the scan page shows the check");
    shoot(&b, "owner-6-scan").await;

    // The site's page shows the published texts (the page is in Kazakh).
    b.goto(&format!("{}/", shop.origin)).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.click("[data-action=\"customize\"]").await;
    let text = b.widget("[data-kelisim=\"preferences\"]").await.text().await.unwrap();
    assert!(text.contains("Қажетті cookie"), "{text}");
    b.click("[data-action=\"accept-all\"]").await;
    b.widget("[data-action=\"reopen\"]").await;
    let decision = b.cookie("kelisim").await.expect("the decision");

    // A new title, published from the form: the same page asks again.
    b.goto(&k.url("/admin/sites/zhibek/edit")).await;
    wait("form.editor [name=\"category.0.title.kk\"]").await.expect("the form");
    set(&b, "[name=\"category.0.title.kk\"]", "'Міндетті cookie файлдары'").await;
    b.client.find(Locator::Css("[data-action=publish]")).await.unwrap().click().await.unwrap();
    wait("[data-policy=published]").await.expect("published again");
    b.close().await;
    // The visitor's browser once its copy of the loader (cached 5 minutes) has expired: a fresh
    // cache, the same `kelisim` cookie.
    let b = Browser::start().await;
    b.goto(&format!("{}/style.css", shop.origin)).await;
    b.js(&format!("document.cookie = 'kelisim={decision}; path=/'; return true")).await;
    b.goto(&format!("{}/", shop.origin)).await;
    b.widget("[data-kelisim=\"banner\"]").await;
    b.click("[data-action=\"customize\"]").await;
    let text = b.widget("[data-kelisim=\"preferences\"]").await.text().await.unwrap();
    assert!(text.contains("Міндетті cookie файлдары"), "{text}");
    b.close().await;
}
