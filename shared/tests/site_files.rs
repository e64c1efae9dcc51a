//! Every site policy file shipped in `www/sites/` is valid and `site check` has no note on it
//! (they are the demo sites and the examples site developers copy).

use kelisim_shared::policy::SitePolicy;

#[test]
fn every_shipped_site_file_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/sites");
    let mut n = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("www/sites exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        n += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        match SitePolicy::parse(&path.display().to_string(), &text) {
            Ok(p) => {
                assert_eq!(Some(p.id.as_str()), path.file_stem().and_then(|s| s.to_str()), "file name is the site id");
                // Texts for visitors, notes for the operator: `site check` lists no note.
                failures.extend(p.notes(&path.display().to_string(), &text).iter().map(|n| n.to_string()));
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "invalid site files, or notes in them:\n{}", failures.join("\n"));
    assert!(n >= 5, "expected the five demo site files, found {n}");
}
