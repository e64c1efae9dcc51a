//! The `kelisim` command line: `site check`, and the clear start-up errors of `serve`.

use kelisim_tests::{cli, demo_sites_copy, root, Kelisim};

#[test]
fn site_check_passes_on_the_five_demo_sites() {
    let files: Vec<String> = ["aimap", "callprikol", "neupusti", "protorg", "webpulse"]
        .iter()
        .map(|s| root().join(format!("www/sites/{s}.toml")).display().to_string())
        .collect();
    let mut args = vec!["site", "check"];
    args.extend(files.iter().map(String::as_str));
    let out = cli(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().filter(|l| l.contains(": ok")).count(), 5, "{stdout}");
}

#[test]
fn site_check_names_the_line_and_field_of_a_broken_copy() {
    let dir = demo_sites_copy();
    let path = dir.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Drop the Kazakh title of the analytics category.
    let start = text.find("id = \"analytics\"").expect("webpulse has an analytics category");
    let title_at = start + text[start..].find("title = {").unwrap();
    let line_no = text[..title_at].matches('\n').count() + 1;
    let line_end = title_at + text[title_at..].find('\n').unwrap();
    let line = &text[title_at..line_end];
    let kk_start = line.find("kk = \"").unwrap();
    let kk_end = kk_start + line[kk_start + 6..].find('"').unwrap() + 7;
    let mut broken_line = line.to_owned();
    broken_line.replace_range(kk_start..kk_end, "");
    let broken_line = broken_line.replace("{ ,", "{").replace(",  ", ", ").replace("{ , ", "{ ");
    let broken = format!("{}{}{}", &text[..title_at], broken_line, &text[line_end..]);
    std::fs::write(&path, broken).unwrap();
    let out = cli(&["site", "check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("webpulse.toml:{line_no}:"))
            && stderr.contains("category `analytics`: `title.kk` is missing"),
        "expected line {line_no} and the field to be named:\n{stderr}"
    );
    assert!(stderr.contains("kelisim: 1 site policy file is invalid"), "{stderr}");
}

#[test]
fn site_check_shows_what_the_services_catalogue_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("shared/testdata/example.toml")).unwrap();
    // The example's Yandex.Metrica table becomes its catalogue id, and the category forgets
    // its cross-border line: the catalogue brings both back.
    let start = text.find("[[category.service]]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let text = format!("{}{}", &text[..start], &text[end + 2..])
        .replace("cross_border = { transfer = true, countries = [\"RU\"] }\n", "")
        .replacen("gpc_off = true\n", "gpc_off = true\nservice = \"yandex-metrica\"\n", 1);
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &text).unwrap();
    let out = cli(&["site", "check", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains(
            "category `analytics`, service `yandex-metrica`: name, title, provider, country, description, cookies ("
        ) && stdout.contains("cross_border += RU from the services catalogue"),
        "{stdout}"
    );
    // An id the catalogue does not know is refused on its line.
    std::fs::write(&path, text.replace("service = \"yandex-metrica\"", "service = \"yandex-metrika\"")).unwrap();
    let out = cli(&["site", "check", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("`yandex-metrika` is not in the services catalogue: did you mean `yandex-metrica`?"),
        "{stderr}"
    );
}

#[test]
fn server_refuses_to_start_without_a_kazakh_text() {
    let dir = demo_sites_copy();
    let path = dir.path().join("aimap.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Rename every Kazakh key of the operator's name: the Kazakh text is then missing.
    let at = text.find("[operator]").unwrap();
    let name_at = at + text[at..].find("name = {").unwrap();
    let kk = name_at + text[name_at..].find("kk = ").unwrap();
    let broken = format!("{}kz_ = {}", &text[..kk], &text[kk + 5..]);
    std::fs::write(&path, broken).unwrap();
    let err = Kelisim::start_with(dir.path(), &[]).err().expect("the server must refuse to start");
    assert!(err.contains("refusing to start"), "{err}");
    assert!(err.contains("aimap.toml:"), "names the file and line: {err}");
    assert!(err.contains("operator"), "names the field: {err}");
}

#[test]
fn server_says_why_when_the_data_directory_is_unusable() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let data = file.path().join("data");
    let out = cli(&["serve", "--sites", "www/sites", "--listen", "127.0.0.1:0", "--data", data.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to start: cannot create the data directory"), "{stderr}");
}

#[test]
fn server_says_why_when_the_port_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = cli(&["serve", "--sites", "www/sites", "--listen", &addr, "--data", data.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot listen on {addr}: the address is already in use")), "{stderr}");
}

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["serve", "--help"], &["site", "check", "--help"]] {
        let out = cli(args);
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn token_commands_say_what_is_wrong() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let none = cli(&["token", "list", "--data", d]);
    assert!(!none.status.success(), "no database here yet");
    let out = cli(&["token", "create", "--role", "auditor", "--expires", "soon", "--data", d]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a number of days or a date (YYYY-MM-DD)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["token", "create", "--role", "auditor", "--expires", "7", "--data", d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim().len(), 64, "only the token on stdout");
    let list = cli(&["token", "list", "--data", d]);
    assert!(String::from_utf8_lossy(&list.stdout)
        .lines()
        .nth(1)
        .is_some_and(|l| l.trim_start().starts_with("1 ") && l.ends_with("active")));
    let missing = cli(&["token", "revoke", "42", "--data", d]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no active token #42"));
    for args in [&["token", "list", "--help"][..], &["token", "revoke", "--help"], &["token", "create", "--help"]] {
        let out = cli(args);
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

/// A visitor text that reads like a note for the operator is a note: file, line and field on
/// stderr, counted on the `ok` line; the file stays valid.
#[test]
fn site_check_notes_a_visitor_text_that_reads_like_an_auditor_s_note() {
    let dir = demo_sites_copy();
    let path = dir.path().join("webpulse.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let retention = "ru = \"Храним, только пока это нужно для этих целей.\"";
    let line_no = text[..text.find(retention).expect("webpulse's necessary retention")].matches('\n').count() + 1;
    std::fs::write(&path, text.replacen(retention, "ru = \"Срок не указан в политике.\"", 1)).unwrap();
    let out = cli(&["site", "check", path.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "a note keeps the file valid: {stderr}");
    assert!(stdout.contains(": ok (") && stdout.contains("; 1 visitor text reads like a note)"), "{stdout}");
    let note = stderr
        .lines()
        .find(|l| l.contains(&format!("webpulse.toml:{line_no}:")))
        .unwrap_or_else(|| panic!("line {line_no}: {stderr}"));
    assert!(
        note.contains("category `necessary`: `retention.ru` reads like a note for the operator («не указан»)"),
        "{note}"
    );
}
