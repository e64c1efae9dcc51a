//! "New site" takes the privacy policy as an uploaded file (issue 18): the real `kelisim` binary,
//! a signed-in admin, multipart uploads over real HTTP. The same real policy
//! (tests/fixtures/policies/webpulse.kz.ru.txt) as UTF-8 and Windows-1251 `.txt`, as a `.docx`
//! (python-docx) and as a PDF (Chromium's "Print to PDF") drafts the same site file as its text
//! pasted into the form; so does a Kazakh policy that names its operator and BIN. A file that
//! gives no text (a scan, a damaged PDF, an old .doc, a picture, an empty file) or one that is
//! too large is refused on the page, in its language, with nothing written; what a file says is
//! never logged. And Chromium itself posts a chosen file through the page.

use fantoccini::Locator;
use kelisim_tests::admin::{add_account, session, PASSWORD};
use kelisim_tests::browser::Browser;
use kelisim_tests::{demo_sites_copy, get, post_form, root, Kelisim, Resp};
use std::path::PathBuf;
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/policies").join(name)
}

fn document(name: &str) -> Vec<u8> {
    std::fs::read(fixture("documents").join(name)).unwrap()
}

/// One part of a multipart form: a text field, or a file with its name and bytes.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

/// The form as a browser sends it (`multipart/form-data`), posted over HTTP.
fn post_multipart(url: &str, headers: &[(&str, &str)], parts: &[Part]) -> Resp {
    let boundary = "----kelisim-test-7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut req = agent.post(url).header("content-type", format!("multipart/form-data; boundary={boundary}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.send(&body[..]).expect("the request reaches the server");
    let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    let status = r.status().as_u16();
    Resp { status, headers, body: r.body_mut().read_to_string().unwrap_or_default() }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The draft in the policy page's text area.
fn draft(page: &Resp) -> String {
    assert_eq!(page.status, 200, "{}", page.body);
    let area = page.body.split("<textarea name=\"text\"").nth(1).expect("the policy page's text area");
    let area = &area[area.find('>').unwrap() + 1..];
    unescape(&area[..area.find("</textarea>").unwrap()])
}

/// The draft with its comments' lines joined (a comment wraps at 100 columns).
fn unwrapped(draft: &str) -> String {
    draft.replace("\n# ", " ")
}

/// What a draft says about the site: its TOML without the comments (which quote the policy's
/// sentences, and name the file it came from).
fn facts(draft: &str) -> Vec<&str> {
    draft.lines().filter(|l| !l.trim_start().starts_with('#')).collect()
}

/// The text of the error on the New site page.
fn problem(page: &Resp) -> String {
    let p = page.body.split("<p class=\"error\" role=\"alert\">").nth(1).expect("an error on the page");
    unescape(&p[..p.find("</p>").unwrap()])
}

struct Admin {
    k: Kelisim,
    sites: tempfile::TempDir,
    cookie: String,
    csrf: String,
}

fn admin(lang: &str) -> Admin {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    add_account(&k, "olga", "admin");
    let cookie = format!("{}; kelisim_admin_lang={lang}", session(&k, "olga").0);
    let page = get(&k.url("/admin/sites/new"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let csrf = kelisim_tests::admin::csrf_of(&page.body);
    Admin { k, sites, cookie, csrf }
}

impl Admin {
    fn upload(&self, id: &str, file_name: &str, bytes: &[u8]) -> Resp {
        self.send(&[
            Part::Text("csrf", &self.csrf),
            Part::Text("id", id),
            Part::Text("text", ""),
            Part::File(file_name, bytes),
        ])
    }
    fn send(&self, parts: &[Part]) -> Resp {
        post_multipart(&self.k.url("/admin/sites/new"), &[("cookie", &self.cookie)], parts)
    }
    fn paste(&self, id: &str, text: &str) -> Resp {
        post_form(
            &self.k.url("/admin/sites/new"),
            &[("cookie", &self.cookie)],
            &[("csrf", &self.csrf), ("id", id), ("text", text)],
        )
    }
    fn site_files(&self) -> Vec<String> {
        let mut files: Vec<String> = std::fs::read_dir(self.sites.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    }
}

#[test]
fn a_policy_uploaded_as_txt_cp1251_docx_or_pdf_drafts_the_same_site_as_its_pasted_text() {
    let a = admin("ru");
    let before = a.site_files();
    let page = get(&a.k.url("/admin/sites/new"), &[("cookie", &a.cookie)]);
    assert!(page.body.contains("enctype=\"multipart/form-data\""), "{}", page.body);
    assert!(page.body.contains("<input id=\"policy-file\" type=\"file\" name=\"file\" accept=\".txt,.docx,.pdf\">"));
    assert!(page.body.contains("Или загрузите файл политики (.txt, .docx, .pdf)"));
    assert!(page.body.contains("Если выбран файл, черновик готовится по нему") && page.body.contains("до 5 МБ"));

    let text = std::fs::read_to_string(fixture("webpulse.kz.ru.txt")).unwrap();
    let pasted = draft(&a.paste("webpulse2", &text));
    let facts_pasted = facts(&pasted);
    for line in
        ["name = \"webpulse.kz\"", "email = \"sales@webpulse.kz\"", "policy_url = \"https://webpulse.kz/policy.pdf\""]
    {
        assert!(facts_pasted.contains(&line), "{line} in\n{pasted}");
    }
    // The policy names no legal entity and no BIN: the draft leaves both to a person, whatever
    // the file, saying what to write in the dashboard's language.
    assert!(pasted.contains("bin = \"TODO: БИН оператора (12 цифр)"), "{pasted}");
    // Its comments too, the header's word for where the policy came from included.
    assert!(
        unwrapped(&pasted).contains("командой `kelisim policy import` из текста, вставленного в панель управления"),
        "{pasted}"
    );

    let uploads = [
        ("webpulse.kz.ru.txt", std::fs::read(fixture("webpulse.kz.ru.txt")).unwrap()),
        ("webpulse.kz.ru.cp1251.txt", document("webpulse.kz.ru.cp1251.txt")),
        ("webpulse.kz.ru.docx", document("webpulse.kz.ru.docx")),
        ("webpulse.kz.ru.pdf", document("webpulse.kz.ru.pdf")),
    ];
    for (name, bytes) in &uploads {
        let drafted = draft(&a.upload("webpulse2", name, bytes));
        assert_eq!(facts(&drafted), facts_pasted, "{name}: the same site as the pasted text");
        assert!(
            unwrapped(&drafted).contains(&format!("из файла `{name}`, загруженного в панель управления")),
            "{name}: the draft names its source\n{drafted}"
        );
    }
    // A file and text: the file wins (the page says so).
    let both = a.send(&[
        Part::Text("csrf", &a.csrf),
        Part::Text("id", "webpulse2"),
        Part::Text("text", "Политика ТОО «Другое», БИН 190340018763."),
        Part::File("webpulse.kz.ru.pdf", &uploads[3].1),
    ]);
    assert_eq!(facts(&draft(&both)), facts_pasted);
    assert_eq!(a.site_files(), before, "a draft writes nothing");

    let log = a.k.stop();
    for said in ["sales@webpulse.kz", "Персональн", "webpulse.kz/policy.pdf"] {
        assert!(!log.contains(said), "the log quotes the policy ({said}):\n{log}");
    }
}

/// A Kazakh policy that names its operator and BIN: the same operator and BIN from its .docx
/// and its PDF (Kazakh letters through the PDF's ToUnicode map) as from its text.
#[test]
fn a_kazakh_policy_docx_and_pdf_give_its_operator_and_bin() {
    let a = admin("kk");
    let pasted = draft(&a.paste("zhibek", &std::fs::read_to_string(fixture("zhibek-shop.kk.txt")).unwrap()));
    for line in ["bin = \"190340018763\"", "email = \"privacy@zhibek-shop.kz\""] {
        assert!(facts(&pasted).contains(&line), "{line} in\n{pasted}");
    }
    assert!(pasted.contains("kk = \"«Жібек Жолы Сауда» ЖШС\""), "{pasted}");
    assert!(
        unwrapped(&pasted).contains("`kelisim policy import` командасы басқару тақтасына қойылған мәтін бойынша"),
        "{pasted}"
    );
    for name in ["zhibek-shop.kk.docx", "zhibek-shop.kk.pdf"] {
        let drafted = draft(&a.upload("zhibek", name, &document(name)));
        assert_eq!(facts(&drafted), facts(&pasted), "{name}");
        assert!(
            unwrapped(&drafted).contains(&format!("басқару тақтасына жүктелген `{name}` файлы бойынша")),
            "{drafted}"
        );
    }
}

/// What gives no text is refused on the New site page (422; 413 for too large), in the page's
/// language, with the id kept and nothing written.
#[test]
fn a_file_without_text_is_refused_on_the_page_in_its_language_and_nothing_is_written() {
    let a = admin("ru");
    let before = a.site_files();
    let pdf = document("webpulse.kz.ru.pdf");
    let refusals: [(&str, &str, Vec<u8>, u16, &str); 7] = [
        (
            "scan.pdf",
            "scan",
            document("scan.pdf"),
            422,
            "В этом PDF нет текстового слоя — вероятно, это скан. Вставьте текст политики в поле.",
        ),
        (
            "policy.pdf",
            "damaged",
            pdf[..1024].to_vec(),
            422,
            "Файл повреждён или на самом деле не является файлом PDF.",
        ),
        ("policy.docx", "renamed", b"just some bytes, not a zip".to_vec(), 422, "не является файлом .docx"),
        (
            "policy.doc",
            "oldword",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0".to_vec(),
            422,
            "старого формата Word (.doc)",
        ),
        (
            "photo.txt",
            "photo",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\0\0\0\x01\0\x08\x06\0\0\0".to_vec(),
            422,
            "Это не текстовый файл, не документ Word (.docx) и не PDF.",
        ),
        ("empty.txt", "empty", Vec::new(), 422, "В файле нет текста."),
        ("huge.pdf", "huge", vec![b' '; (5 << 20) + 1], 413, "Файл больше 5 МБ."),
    ];
    for (file, id, bytes, status, says) in &refusals {
        let r = a.upload(id, file, bytes);
        assert_eq!(r.status, *status, "{file}: {}", r.body);
        assert!(problem(&r).contains(says), "{file}: {}", problem(&r));
        assert!(r.body.contains(&format!("name=\"id\" value=\"{id}\"")), "{file}: the id is kept");
    }
    // Neither text nor a file (a browser sends an empty, unnamed file part).
    let none = a.send(&[
        Part::Text("csrf", &a.csrf),
        Part::Text("id", "nothing"),
        Part::Text("text", " \r\n"),
        Part::File("", b""),
    ]);
    assert_eq!(none.status, 422);
    assert_eq!(problem(&none), "Вставьте текст политики или выберите её файл.");
    // Pasted text over 1 MB.
    let long = "Политика. ".repeat(60_000);
    let text = a.send(&[Part::Text("csrf", &a.csrf), Part::Text("id", "long"), Part::Text("text", &long)]);
    assert_eq!(text.status, 413);
    assert_eq!(problem(&text), "Текст больше 1 МБ — для политики конфиденциальности это слишком много.");
    assert_eq!(a.site_files(), before, "nothing written");

    // In Kazakh and English too.
    let kk = format!("{}; kelisim_admin_lang=kk", a.cookie.split(';').next().unwrap());
    let scan = post_multipart(
        &a.k.url("/admin/sites/new"),
        &[("cookie", &kk)],
        &[Part::Text("csrf", &a.csrf), Part::Text("id", "scan"), Part::File("scan.pdf", &document("scan.pdf"))],
    );
    assert_eq!(scan.status, 422);
    assert!(problem(&scan).starts_with("Бұл PDF-те мәтіндік қабат жоқ"), "{}", problem(&scan));
    let en = format!("{}; kelisim_admin_lang=en", a.cookie.split(';').next().unwrap());
    let huge = post_multipart(
        &a.k.url("/admin/sites/new"),
        &[("cookie", &en)],
        &[Part::Text("csrf", &a.csrf), Part::Text("id", "huge"), Part::File("huge.docx", &vec![0u8; (5 << 20) + 1])],
    );
    assert_eq!(huge.status, 413);
    assert!(problem(&huge).starts_with("The file is larger than 5 MB."), "{}", problem(&huge));

    // Without the CSRF token, or as an auditor: refused before anything is read.
    let forged = a.send(&[Part::Text("id", "forged"), Part::File("webpulse.kz.ru.pdf", &pdf)]);
    assert_eq!(forged.status, 403);
    add_account(&a.k, "ivan", "auditor");
    let ivan = session(&a.k, "ivan");
    let auditor = post_multipart(
        &a.k.url("/admin/sites/new"),
        &[("cookie", &ivan.0)],
        &[Part::Text("csrf", &ivan.1), Part::Text("id", "auditor"), Part::File("webpulse.kz.ru.pdf", &pdf)],
    );
    assert_eq!(auditor.status, 403);
    assert_eq!(a.site_files(), before, "nothing written");
}

/// Chromium fills the page: a file chosen in the file field, the form posted as the browser
/// encodes it, and the policy page opens on the draft. `KELISIM_SCREENSHOTS=DIR` keeps the page.
#[tokio::test]
async fn chromium_posts_a_chosen_policy_file_through_the_page() {
    let sites = demo_sites_copy();
    let k = Kelisim::start_with(sites.path(), &[]).unwrap();
    add_account(&k, "olga", "admin");
    let b = Browser::start_with(&["--window-size=1200,1000"]).await;
    let wait = |css: &'static str| b.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css));
    b.goto(&k.url("/admin/login")).await;
    b.client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("olga").await.unwrap();
    b.client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    b.client.find(Locator::Css("[data-action=login]")).await.unwrap().click().await.unwrap();
    wait("span.who").await.expect("signed in");
    b.goto(&k.url("/admin/lang?to=kk")).await;
    b.goto(&k.url("/admin/sites/new")).await;
    b.client.find(Locator::Css("input[name=id]")).await.unwrap().send_keys("zhibek").await.unwrap();
    let file = fixture("documents/zhibek-shop.kk.pdf");
    b.client.find(Locator::Css("input[type=file]")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    if let Ok(dir) = std::env::var("KELISIM_SCREENSHOTS") {
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join("new-site-upload.png"), png).unwrap();
    }
    b.client.find(Locator::Css("[data-action=draft]")).await.unwrap().click().await.unwrap();
    wait("[data-todos]").await.expect("the draft with its TODOs");
    let draft = b.js("return document.querySelector('textarea[name=text]').value").await;
    let draft = draft.as_str().unwrap();
    assert!(draft.contains("bin = \"190340018763\""), "{draft}");
    assert!(
        unwrapped(draft).contains("командасы басқару тақтасына жүктелген `zhibek-shop.kk.pdf` файлы бойынша"),
        "{draft}"
    );
    assert!(!sites.path().join("zhibek.toml").exists(), "a draft writes nothing");
    b.close().await;
}
