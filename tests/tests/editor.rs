//! The site editor (`/admin/sites/{site}/edit`, issue 18): a demo site's file as a form, every
//! field of it shown; a changed title published through the same path as the raw file's page,
//! the file keeping its comments and changing only where the form did; "Check" names each
//! problem next to its field and writes nothing; the list buttons add, remove and move
//! categories; an auditor reads it and cannot publish; a form without the CSRF token is refused.

use kelisim_shared::policy::SitePolicy;
use kelisim_tests::admin::{add_account, session};
use kelisim_tests::{demo_sites_copy, get, post_form, Kelisim, Resp};

/// A browser's view of a page's form: each field's name and value as it would be sent
/// (checkboxes only when checked, a select's selected option, no disabled field), in order.
fn fields(page: &str) -> Vec<(String, String)> {
    let form = page.split("<form method=\"post\" action=\"/admin/sites/").nth(1).expect("the editor's form");
    let form = &form[..form.find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let tag = &rest[..rest.find('>').unwrap()];
        let name = tag.split_whitespace().next().unwrap_or("");
        let attr = |a: &str| tag.split(&format!(" {a}=\"")).nth(1).map(|v| unescape(&v[..v.find('"').unwrap()]));
        let flag = |a: &str| tag.split_whitespace().any(|w| w == a || w.starts_with(&format!("{a}=")));
        if flag("disabled") {
            continue;
        }
        match name {
            "input" if matches!(attr("type").as_deref(), Some("checkbox" | "radio")) && !flag("checked") => {}
            "input" => out.push((attr("name").unwrap(), attr("value").unwrap_or_default())),
            "textarea" => {
                let body = &rest[rest.find('>').unwrap() + 1..];
                out.push((attr("name").unwrap(), unescape(&body[..body.find("</textarea>").unwrap()])));
            }
            "select" => {
                let body = &rest[..rest.find("</select>").unwrap()];
                let chosen = body.split("<option ").find(|o| o.contains(" selected")).or(body.split("<option ").nth(1));
                let value =
                    chosen.and_then(|o| o.split("value=\"").nth(1)).map(|v| unescape(&v[..v.find('"').unwrap()]));
                out.push((attr("name").unwrap(), value.unwrap_or_default()));
            }
            _ => {}
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The value the form has for `name`.
fn value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The TOML text the form was built from (its hidden `source`).
fn source(page: &str) -> String {
    let v = page.split("name=\"source\" value=\"").nth(1).expect("the form's source");
    unescape(&v[..v.find('"').unwrap()])
}

/// The category ids of a TOML text, in order.
fn ids(text: &str) -> Vec<String> {
    text.split("[[category]]\nid = \"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).collect()
}

/// The markup of the element with id `f-NAME`, up to the next field's.
fn at<'a>(page: &'a str, name: &str) -> &'a str {
    let from = page.find(&format!("id=\"f-{name}\"")).unwrap_or_else(|| panic!("no field {name}"));
    let rest = &page[from + 4..];
    &rest[..rest.find("id=\"f-").unwrap_or(rest.len())]
}

struct Editor {
    k: Kelisim,
    sites: tempfile::TempDir,
    cookie: String,
}

impl Editor {
    fn start(role: &str) -> Editor {
        let sites = demo_sites_copy();
        let k = Kelisim::start_with(sites.path(), &["--rate-limit", "0"]).unwrap();
        add_account(&k, "olga", role);
        let cookie = session(&k, "olga").0;
        Editor { k, sites, cookie }
    }

    fn file(&self, site: &str) -> String {
        std::fs::read_to_string(self.sites.path().join(format!("{site}.toml"))).unwrap()
    }

    fn get(&self, path: &str) -> Resp {
        get(&self.k.url(path), &[("cookie", &self.cookie), ("accept-language", "ru")])
    }

    /// Sends `form` with the button `action`, as the browser would.
    fn send(&self, site: &str, form: &[(String, String)], action: &str) -> Resp {
        let mut fields: Vec<(&str, &str)> =
            form.iter().filter(|(k, _)| k != "do").map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fields.push(("do", action));
        let h = [("cookie", self.cookie.as_str()), ("accept-language", "ru")];
        post_form(&self.k.url(&format!("/admin/sites/{site}/edit")), &h, &fields)
    }

    /// Webpulse's file with `line` (services by catalogue id) in its analytics category, and
    /// its form once the server has taken the file (the page names `marker`).
    fn with_analytics_services(&self, line: &str, marker: &str) -> (String, Resp) {
        let text = self.file("webpulse");
        let from = text.find("id = \"analytics\"").expect("webpulse has an analytics category");
        let gpc =
            from + text[from..].find("gpc_off = true\n").expect("analytics has gpc_off") + "gpc_off = true\n".len();
        let changed = format!("{}{line}{}", &text[..gpc], &text[gpc..]);
        std::fs::write(self.sites.path().join("webpulse.toml"), &changed).unwrap();
        // The server takes the file within its watch interval.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let page = loop {
            let page = self.get("/admin/sites/webpulse/edit");
            if page.body.contains(marker) || std::time::Instant::now() > deadline {
                break page;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        assert_eq!(page.status, 200, "{}", page.body);
        (changed, page)
    }

    /// The site's form, as the page shows it.
    fn form(&self, site: &str) -> Vec<(String, String)> {
        let page = self.get(&format!("/admin/sites/{site}/edit"));
        assert_eq!(page.status, 200, "{}", page.body);
        fields(&page.body)
    }
}

fn with(mut form: Vec<(String, String)>, name: &str, to: &str) -> Vec<(String, String)> {
    let field = form.iter_mut().rev().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no field {name}"));
    field.1 = to.to_owned();
    form
}

#[test]
fn every_field_of_a_demo_site_is_in_the_form() {
    let e = Editor::start("admin");
    for site in ["webpulse", "neupusti"] {
        let text = e.file(site);
        let policy = SitePolicy::parse("x.toml", &text).unwrap();
        let page = e.get(&format!("/admin/sites/{site}/edit"));
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!("href=\"/admin/sites/{site}/policy\""))
                && page.body.contains("data-tab=\"file\"")
        );
        let form = fields(&page.body);
        let has = |name: &str, v: &str| assert_eq!(value(&form, name), Some(v), "{site}: {name}");
        has("name", &policy.name);
        has("origins", &policy.origins.join("\n"));
        has("policy_url", &policy.policy_url);
        has("policy_version", &policy.policy_version);
        has("languages", &policy.languages.iter().map(|l| l.code()).collect::<Vec<_>>().join(", "));
        has("consent_days", &policy.consent_days.to_string());
        has("retention_days", &policy.retention_days.to_string());
        has("ip_storage", "truncated");
        has("reload_on_revoke", if policy.reload_on_revoke { "1" } else { "0" });
        has("floating_button", if policy.floating_button { "1" } else { "0" });
        has("operator.storage_country", &policy.operator.storage_country);
        for l in ["kk", "ru", "en"] {
            let name = policy.operator.name.get(kelisim_shared::lang::Lang::from_tag(l).unwrap());
            has(&format!("operator.name.{l}"), name.map_or("", String::as_str));
        }
        for name in ["operator.bin", "operator.email", "operator.phone", "operator.address.kk"] {
            assert!(value(&form, name).is_some(), "{site}: {name}");
        }
        for (i, c) in policy.categories.iter().enumerate() {
            let p = format!("category.{i}");
            has(&format!("{p}.id"), &c.id);
            has(&format!("{p}.required"), if c.required { "1" } else { "0" });
            has(&format!("{p}.title.kk"), c.title.kk.as_deref().unwrap());
            has(&format!("{p}.description.ru"), c.description.ru.as_deref().unwrap());
            has(&format!("{p}.data.kk"), &c.data.kk.as_ref().unwrap().join("\n"));
            has(&format!("{p}.purposes.ru"), &c.purposes.ru.as_ref().unwrap().join("\n"));
            has(&format!("{p}.retention.en"), c.retention.en.as_deref().unwrap_or(""));
            has(&format!("{p}.cookies"), &c.cookies.join("\n"));
            has(&format!("{p}.gpc_off"), if c.gpc_off { "1" } else { "0" });
            has(&format!("{p}.cross_border.transfer"), if c.cross_border.transfer { "1" } else { "0" });
            has(&format!("{p}.cross_border.countries"), &c.cross_border.countries.join("\n"));
            let modes: Vec<&str> = form
                .iter()
                .filter(|(k, v)| *k == format!("{p}.consent_mode") && !v.is_empty())
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(modes.len(), c.consent_mode.len(), "{site}: {p}.consent_mode");
            for (j, t) in c.third_parties.iter().enumerate() {
                has(&format!("{p}.third_parties.{j}.name.ru"), t.name.ru.as_deref().unwrap());
                has(&format!("{p}.third_parties.{j}.country"), &t.country);
                has(&format!("{p}.third_parties.{j}.purpose.kk"), t.purpose.kk.as_deref().unwrap());
            }
            for (j, s) in c.services.iter().enumerate() {
                let q = format!("{p}.service.{j}");
                for (k, v) in [("id", &s.id), ("name", &s.name), ("provider", &s.provider), ("country", &s.country)] {
                    has(&format!("{q}.{k}"), v);
                }
                has(&format!("{q}.description.kk"), s.description.kk.as_deref().unwrap());
                has(&format!("{q}.cookies"), &s.cookies.join("\n"));
                has(&format!("{q}.policy_url"), s.policy_url.as_deref().unwrap_or(""));
            }
        }
    }
    // The raw file's page links back to the form, and the site's navigation to both.
    let raw = e.get("/admin/sites/webpulse/policy");
    assert!(raw.body.contains("href=\"/admin/sites/webpulse/edit\""), "{}", raw.body);
    // An unchanged form is checked valid, built from the very text on disk.
    let r = e.send("webpulse", &e.form("webpulse"), "check");
    assert!(r.status == 200 && r.body.contains("data-policy=\"valid\""), "{}", r.body);
    assert_eq!(source(&r.body), e.file("webpulse"), "an unchanged form changes nothing in the file");
}

#[test]
fn a_changed_title_is_published_and_the_file_keeps_its_comments() {
    let e = Editor::start("admin");
    let before = e.file("webpulse");
    let comment = before.lines().find(|l| l.starts_with('#')).unwrap().to_owned();
    let old = value(&e.form("webpulse"), "category.0.title.kk").unwrap().to_owned();
    let form = with(e.form("webpulse"), "category.0.title.kk", "Қатаң қажетті");
    let r = e.send("webpulse", &form, "publish");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("data-policy=\"published\""), "{}", r.body);
    assert!(r.body.contains("Прежний выбор посетителей остаётся в силе") || r.body.contains("спросят"), "{}", r.body);
    let config = get(&e.k.url("/api/v1/sites/webpulse/config"), &[]).json();
    assert_eq!(config["categories"][0]["title"]["kk"], "Қатаң қажетті");
    let after = e.file("webpulse");
    assert!(after.contains(&comment), "the comment {comment:?} survives");
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(b.len(), a.len());
    let differ: Vec<(&&str, &&str)> = b.iter().zip(&a).filter(|(x, y)| x != y).collect();
    assert_eq!(differ.len(), 1, "only the title's line changed: {differ:?}");
    assert_eq!(*differ[0].1, differ[0].0.replace(&format!("\"{old}\""), "\"Қатаң қажетті\""));
    let audit: String =
        e.k.db().query_row("SELECT detail FROM audit_log WHERE action = 'policy.publish'", [], |r| r.get(0)).unwrap();
    assert!(audit.contains("site webpulse") && audit.contains("necessary"), "{audit}");
}

#[test]
fn check_names_each_problem_next_to_its_field_and_writes_nothing() {
    let e = Editor::start("admin");
    let before = e.file("webpulse");
    let form = with(e.form("webpulse"), "category.1.title.ru", "");
    let form = with(form, "origins", "https://webpulse.kz/\nhttps://www.webpulse.kz");
    for action in ["check", "publish"] {
        let r = e.send("webpulse", &form, action);
        assert_eq!(r.status, 422, "{action}: {}", r.body);
        assert!(r.body.contains("data-policy=\"invalid\""));
        let title = at(&r.body, "category.1.title.ru");
        assert!(title.contains("class=\"problem\"") && title.contains(">Не заполнено<"), "{title}");
        let origins = at(&r.body, "origins");
        assert!(origins.contains("class=\"problem\"") && origins.contains("— не адрес сайта"), "{origins}");
        assert!(!at(&r.body, "category.1.title.kk").contains("class=\"problem\""));
        assert_eq!(e.file("webpulse"), before, "{action} wrote nothing");
    }
    // A value of the wrong type: at its field too, and kept in the form as typed, to be fixed.
    let form = with(e.form("webpulse"), "consent_days", "a year");
    for action in ["check", "publish"] {
        let r = e.send("webpulse", &form, action);
        assert_eq!(r.status, 422, "{action}: {}", r.body);
        let days = at(&r.body, "consent_days");
        assert!(
            days.contains("class=\"problem\"") && days.contains("Значение неверного типа (<code>invalid type"),
            "{days}"
        );
        assert_eq!(value(&fields(&r.body), "consent_days"), Some("a year"));
        assert_eq!(e.file("webpulse"), before, "{action} wrote nothing");
    }
}

#[test]
fn the_list_buttons_add_remove_and_move_categories_without_publishing() {
    let e = Editor::start("admin");
    let before = e.file("webpulse");
    let first = ids(&before);
    assert!(first.len() >= 3, "{first:?}");
    let step = |form: &[(String, String)], action: &str| {
        let r = e.send("webpulse", form, action);
        assert_eq!(r.status, 200, "{action}: {}", r.body);
        assert!(r.body.contains("data-editor=\"edited\""), "{action}");
        (source(&r.body), fields(&r.body))
    };
    let (text, form) = step(&e.form("webpulse"), "up:category.2");
    let mut want = first.clone();
    want.swap(1, 2);
    assert_eq!(ids(&text), want);
    let (text, form) = step(&form, "down:category.1");
    assert_eq!(text, before, "moved back, the file is as it was, comments and all");
    let (text, form) = step(&form, "remove:category.1");
    assert_eq!(ids(&text), [&first[..1], &first[2..]].concat());
    let (text, form) = step(&form, "add:category");
    assert_eq!(ids(&text).last().map(String::as_str), Some(""), "{text}");
    let n = ids(&text).len() - 1;
    // The new category, filled in from the form, with a service added to it.
    let (_, form) = step(&form, &format!("add:category.{n}.service"));
    let r = e.send("webpulse", &form, "check");
    assert_eq!(r.status, 422);
    assert!(at(&r.body, &format!("category.{n}.id")).contains("class=\"problem\""), "{}", r.body);
    assert!(at(&r.body, &format!("category.{n}.service.0.provider")).contains("class=\"problem\""));
    let mut form = fields(&r.body);
    for (name, v) in [
        ("id", "video"),
        ("title.kk", "Бейне"),
        ("title.ru", "Видео"),
        ("title.en", "Video"),
        ("description.kk", "YouTube бейнелері"),
        ("description.ru", "Видео с YouTube"),
        ("description.en", "YouTube videos"),
        ("data.kk", "cookie"),
        ("data.ru", "cookie"),
        ("data.en", "cookie"),
        ("purposes.kk", "бейне көрсету"),
        ("purposes.ru", "показывать видео"),
        ("purposes.en", "showing videos"),
        ("retention.kk", "2 жыл"),
        ("retention.ru", "2 года"),
        ("retention.en", "2 years"),
        ("cross_border.transfer", "1"),
        ("cross_border.countries", "US"),
        ("service.0.id", "youtube"),
        ("service.0.name", "YouTube"),
        ("service.0.provider", "Google LLC"),
        ("service.0.country", "US"),
        ("service.0.description.kk", "Бейне"),
        ("service.0.description.ru", "Видео"),
        ("service.0.description.en", "Video"),
    ] {
        let name = format!("category.{n}.{name}");
        match form.iter_mut().rev().find(|(k, _)| *k == name) {
            Some(f) => f.1 = v.to_owned(),
            None => form.push((name, v.to_owned())),
        }
    }
    let r = e.send("webpulse", &form, "check");
    assert!(r.status == 200 && r.body.contains("data-policy=\"valid\""), "{}", r.body);
    assert!(r.body.contains("Посетителей спросят о согласии заново"), "a new category asks again: {}", r.body);
    assert_eq!(e.file("webpulse"), before, "no button published anything");
}

#[test]
fn an_auditor_reads_the_form_and_cannot_change_or_publish_it() {
    let e = Editor::start("auditor");
    let page = e.get("/admin/sites/webpulse/edit");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("value=\"publish\"") && !page.body.contains("value=\"add:category\""));
    let form = page.body.split("class=\"editor with-preview\"").nth(1).unwrap();
    // The live preview's controls (language, layer, width) are the auditor's to use too.
    let form = &form[..form.find("<section class=\"preview\"").unwrap()];
    let inputs: usize = ["<input", "<textarea", "<select"].iter().map(|t| form.matches(t).count()).sum();
    let disabled = form.matches(" disabled>").count() + form.matches(" disabled ").count();
    assert!(
        inputs > 50 && disabled == inputs - 2,
        "every field but csrf and source is disabled: {disabled} of {inputs}"
    );
    // What a browser sends: the hidden fields, the preview's controls and the button.
    let sent = fields(&page.body);
    assert_eq!(sent.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["csrf", "source", "lang", "layer", "device"]);
    let r = e.send("webpulse", &sent, "check");
    assert!(r.status == 200 && r.body.contains("data-policy=\"valid\""), "{}", r.body);
    let before = e.file("webpulse");
    let mut changed = sent.clone();
    changed.push(("category.0.title.kk".into(), "Өзгерген".into()));
    for action in ["publish", "add:category", "remove:category.1"] {
        assert_eq!(e.send("webpulse", &changed, action).status, 403, "{action}");
    }
    assert_eq!(e.file("webpulse"), before);
}

#[test]
fn a_form_without_the_csrf_token_is_refused() {
    let e = Editor::start("admin");
    let before = e.file("webpulse");
    let form = with(e.form("webpulse"), "category.0.title.kk", "Өзгерген");
    let no_csrf: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    assert_eq!(e.send("webpulse", &no_csrf, "publish").status, 403);
    let wrong = with(form, "csrf", "not-the-token");
    assert_eq!(e.send("webpulse", &wrong, "publish").status, 403);
    assert_eq!(e.file("webpulse"), before);
}

/// `timezone` in the form: an unknown zone is named at its field, a known one is written into
/// the file.
#[test]
fn the_time_zone_is_checked_at_its_field_and_written_to_the_file() {
    let e = Editor::start("admin");
    let form = e.form("webpulse");
    assert_eq!(value(&fields(&e.get("/admin/sites/webpulse/edit").body), "timezone"), Some(""));
    let r = e.send("webpulse", &with(form.clone(), "timezone", "Asia/Almata"), "check");
    assert_eq!(r.status, 422, "{}", r.body);
    let zone = at(&r.body, "timezone");
    assert!(zone.contains("class=\"problem\"") && zone.contains("`Asia/Almata` — не часовой пояс"), "{zone}");
    let r = e.send("webpulse", &with(form, "timezone", "Asia/Aqtobe"), "publish");
    assert!(r.status < 400, "{}", r.body);
    assert!(e.file("webpulse").contains("timezone = \"Asia/Aqtobe\""), "{}", e.file("webpulse"));
}

#[test]
fn a_service_named_by_its_catalogue_id_is_edited_and_kept() {
    let e = Editor::start("admin");
    let (with_ref, page) = e.with_analytics_services("service = \"yandex-metrica\"\n", "yandex-metrica");
    let form = fields(&page.body);
    let n = ids(&with_ref).iter().position(|i| i == "analytics").unwrap();
    // Shown by its catalogue name, with no button to add a table beside it.
    let list = at(&page.body, &format!("category.{n}.service"));
    assert!(
        list.contains("data-catalogue-refs=\"yandex-metrica\"")
            && list.contains("<b>Yandex.Metrica</b>, Yandex LLC (RU)"),
        "{list}"
    );
    assert!(!list.contains(&format!("value=\"add:category.{n}.service\"")), "{list}");
    // A title changed in the form and published: the reference stays as the file wrote it.
    let title = format!("category.{n}.title.ru");
    let r = e.send("webpulse", &with(form, &title, "Статистика посещений"), "publish");
    assert!(r.status == 200 || r.status == 303, "{}", r.body);
    let after = e.file("webpulse");
    assert!(after.contains("Статистика посещений"), "{after}");
    assert!(after.contains("gpc_off = true\nservice = \"yandex-metrica\"\n"), "kept as written: {after}");
    SitePolicy::parse("webpulse.toml", &after).unwrap_or_else(|e| panic!("{e}\n{after}"));
}

/// A list of catalogue ids (`service = ["yandex-metrica", "google-analytics"]`) is a list of
/// names, not of tables: the form shows no empty service boxes for it, and no list button of the
/// form, on that category or another, turns the ids into tables that the check then finds empty.
#[test]
fn a_list_of_catalogue_ids_stays_ids_through_the_form_s_buttons() {
    let e = Editor::start("admin");
    let ids_line = "service = [\"yandex-metrica\", \"google-analytics\"]\n";
    let (with_refs, page) = e.with_analytics_services(ids_line, "google-analytics");
    let n = ids(&with_refs).iter().position(|i| i == "analytics").unwrap();
    let list = at(&page.body, &format!("category.{n}.service"));
    assert!(list.contains("data-catalogue-refs=\"yandex-metrica google-analytics\""), "{list}");
    assert!(!page.body.contains(&format!("id=\"f-category.{n}.service.0\"")), "no empty service boxes: {list}");
    // A recipient added to another category, then a check: its empty fields are problems, the
    // ids are not.
    let r = e.send("webpulse", &fields(&page.body), "add:category.0.third_parties");
    assert_eq!(r.status, 200, "{}", r.body);
    let r = e.send("webpulse", &fields(&r.body), "check");
    assert_eq!(r.status, 422, "the new recipient is empty");
    let services = at(&r.body, &format!("category.{n}.service"));
    assert!(!services.contains("class=\"problem\""), "{services}");
    // A recipient added to the same category and removed again, then a check: valid, and the
    // ids are as the file wrote them.
    let r = e.send("webpulse", &fields(&page.body), &format!("add:category.{n}.third_parties"));
    assert_eq!(r.status, 200, "{}", r.body);
    let added = source(&r.body);
    let k = added[added.find("id = \"analytics\"").unwrap()..].matches("[[category.third_parties]]").count();
    let r = e.send("webpulse", &fields(&r.body), &format!("remove:category.{n}.third_parties.{}", k.max(1) - 1));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = e.send("webpulse", &fields(&r.body), "check");
    assert!(r.status == 200 && r.body.contains("data-policy=\"valid\""), "{}", source(&r.body));
    assert!(source(&r.body).contains(ids_line), "{}", source(&r.body));
    // A misspelt id: its problem is shown with the list (it has no box of its own).
    let typo = source(&r.body).replace(ids_line, "service = [\"yandex-metrika\", \"google-analytics\"]\n");
    let r = e.send("webpulse", &with(fields(&r.body), "source", &typo), "check");
    assert_eq!(r.status, 422);
    let services = at(&r.body, &format!("category.{n}.service"));
    let src = source(&r.body);
    assert!(
        services.contains("возможно, вы имели в виду `yandex-metrica`"),
        "{services}\n{}",
        &src[src.find("id = \"analytics\"").unwrap()..]
    );
}

/// «+ Add a service» with only a catalogue id typed in: the catalogue fills in the rest, as it
/// does for the same id written in the file.
#[test]
fn a_service_added_in_the_form_with_a_catalogue_id_alone_is_filled_from_the_catalogue() {
    let e = Editor::start("admin");
    let text = e.file("webpulse");
    let n = ids(&text).iter().position(|i| i == "analytics").unwrap();
    let r = e.send("webpulse", &e.form("webpulse"), &format!("add:category.{n}.service"));
    assert_eq!(r.status, 200, "{}", r.body);
    let added = source(&r.body);
    let k = added.split("[[category]]").nth(n + 1).unwrap().matches("[[category.service]]").count() - 1;
    let form = with(fields(&r.body), &format!("category.{n}.service.{k}.id"), "jivo");
    let r = e.send("webpulse", &form, "check");
    let src = source(&r.body);
    assert!(
        r.status == 200 && r.body.contains("data-policy=\"valid\""),
        "{}",
        &src[src.rfind("[[category.service]]").unwrap_or(0)..]
    );
}
