use super::*;
use kelisim_shared::policy::SitePolicy;

pub fn open_with_config() -> (tempfile::TempDir, Store, Connection, Config) {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn) = Store::open(dir.path()).unwrap();
    let config =
        SitePolicy::parse("example.toml", include_str!("../../../shared/testdata/example.toml")).unwrap().config();
    record_config(&conn, &config, "{}", "2026-01-01T00:00:00.000Z").unwrap();
    (dir, store, conn, config)
}

#[test]
fn database_refuses_update_and_delete_of_the_log() {
    let (_d, _store, conn, _config) = open_with_config();
    conn.execute_batch(
        "INSERT INTO merkle_subtrees VALUES (1, x'00');
         INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES ('s', 1, x'00', 't', 'k', 'n');",
    )
    .unwrap();
    for (sql, msg) in [
        ("UPDATE merkle_subtrees SET hash = x'01'", "append-only"),
        ("DELETE FROM merkle_subtrees", "append-only"),
        ("UPDATE checkpoints SET tree_size = 2", "append-only"),
        ("DELETE FROM checkpoints", "append-only"),
        ("DELETE FROM config_versions", "immutable"),
    ] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains(msg), "{sql}: {e}");
    }
}

#[test]
fn reopening_runs_no_migration_twice() {
    let (d, store, conn, _config) = open_with_config();
    drop((store, conn));
    let (_store, conn) = Store::open(d.path()).unwrap();
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v as usize, migrations::MIGRATIONS.len());
}

#[test]
fn backup_is_a_standalone_readable_copy() {
    let (d, store, _conn, _config) = open_with_config();
    let out = d.path().join("copy.sqlite");
    store.backup(&out).unwrap();
    let c = Connection::open(&out).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM config_versions", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    assert!(!d.path().join("copy.sqlite-wal").exists());
    assert!(store.backup(&out).is_err(), "a backup never overwrites a file");
}

/// The consent log is personal data: nobody but the server's user reads it or its copies.
#[test]
fn the_data_directory_the_database_and_backups_are_the_owners_only() {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    let (store, conn) = Store::open(&data).unwrap();
    conn.execute_batch("CREATE TEMP TABLE t (x)").unwrap();
    assert_eq!(mode(&data), 0o700);
    for f in [DB_FILE.to_owned(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm")] {
        assert_eq!(mode(&data.join(&f)), 0o600, "{f}");
    }
    let out = dir.path().join("backup.sqlite");
    store.backup(&out).unwrap();
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn migrations_5_and_6_move_the_old_log_into_the_compact_tables_unchanged() {
    use kelisim_shared::merkle::{leaf_hash, root_of, Frontier};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    // A database as version 3 left it: two sites, one purged record, all Merkle levels.
    let mut leaves: Vec<(String, Vec<[u8; 32]>)> = Vec::new();
    {
        let c = Connection::open(&path).unwrap();
        for sql in &migrations::MIGRATIONS[..3] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", 3).unwrap();
        for (site, n) in [("alpha", 20u64), ("beta", 3)] {
            c.execute("INSERT INTO config_versions VALUES (?1, ?2, '{}', 't')", params![site, "ab".repeat(32)])
                .unwrap();
            let mut f = Frontier::default();
            let mut ls = Vec::new();
            for seq in 1..=n {
                let r = old_record(site, seq);
                let canonical = r.canonical_bytes();
                let leaf = leaf_hash(&canonical);
                let purged = site == "beta" && seq == 1;
                c.execute(
                    "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                    params![
                        site, seq as i64, r.event_id, format!("00000000-0000-4000-8000-{seq:012x}"), r.consent_id,
                        r.recorded_at, r.config_version, "custom", "necessary analytics", "ru", true, false,
                        (!purged).then_some("https://x.kz/p"), r.origin, (!purged).then_some("203.0.113.0/24"),
                        (!purged).then_some("UA"), (!purged).then_some(canonical), leaf.as_slice()
                    ],
                )
                .unwrap();
                f.append(leaf, |level, idx, h| {
                    c.execute(
                        "INSERT INTO merkle_nodes VALUES (?1, ?2, ?3, ?4)",
                        params![site, level, idx as i64, h.as_slice()],
                    )
                    .unwrap();
                });
                ls.push(leaf);
            }
            leaves.push((site.to_owned(), ls));
        }
    }
    let (store, conn) = Store::open(dir.path()).unwrap();
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v as usize, migrations::MIGRATIONS.len());
    for (site, ls) in &leaves {
        let site_no = site_no(&conn, site).unwrap().expect("every site with events has a number");
        let frontier =
            crate::store::logread::load_frontier(&mut crate::store::logread::SqliteRead(&conn), site, site_no).unwrap();
        assert_eq!((frontier.size(), frontier.root()), (ls.len() as u64, root_of(ls)), "{site}");
        let r = old_record(site, 2);
        let h = store.read(|rd| crate::log::proofs::history(rd, site, &r.consent_id)).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].seq, h[0].receipt_id.as_str()), (2, "00000000-0000-4000-8000-000000000002"));
        assert_eq!((h[0].action.as_str(), h[0].granted.join(" ")), ("custom", "necessary analytics".to_owned()));
        let dup = write::logged_in_gen(
            &conn,
            site_no,
            0,
            &uuid_bytes(&r.consent_id).unwrap(),
            &uuid_bytes(&r.event_id).unwrap(),
        )
        .unwrap()
        .unwrap();
        assert_eq!((dup.seq, dup.receipt(r.consent_id.clone()).receipt_id), (2, h[0].receipt_id.clone()));
        // The look-up is by the pair as migrated: the same event id under another consent id
        // is not that record.
        let other = old_record(site, 3);
        assert!(write::logged_in_gen(
            &conn,
            site_no,
            0,
            &uuid_bytes(&other.consent_id).unwrap(),
            &uuid_bytes(&r.event_id).unwrap()
        )
        .unwrap()
        .is_none());
    }
    let readable: (String, String, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT event_id, consent_id, ip, page FROM events_readable WHERE site = 'alpha' AND seq = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let r3 = old_record("alpha", 3);
    assert_eq!(readable, (r3.event_id, r3.consent_id, r3.ip, r3.page));
    let purged: Option<Vec<u8>> = conn
        .query_row("SELECT canonical FROM events_readable WHERE site = 'beta' AND seq = 1", [], |r| r.get(0))
        .unwrap();
    assert!(purged.is_none(), "a purged record stays purged");
    // Only subtrees of level 4 and up are kept, keyed in the order they were made: alpha's 20
    // events make one (level 4, index 0), complete at 16 events.
    let kept: Vec<i64> = conn
        .prepare("SELECT id FROM merkle_subtrees ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let alpha = site_no(&conn, "alpha").unwrap().unwrap();
    assert_eq!(kept, [subtree_key(alpha, 4, 0)]);
    assert_eq!(kept[0], (((alpha << 40) + 16) << 6) + 4);
    // Migration 11 counted the old log for the dashboard.
    assert_counts_match_the_log(&conn);
    for sql in ["UPDATE events SET action = 'withdraw'", "DELETE FROM events", "DELETE FROM log_sites"] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

/// A record of `site` at `seq` as version 3 stored it, with ids derived from both.
fn old_record(site: &str, seq: u64) -> kelisim_shared::canonical::ConsentRecord {
    let s = if site == "alpha" { 0xa } else { 0xb };
    kelisim_shared::canonical::ConsentRecord {
        site: site.into(),
        seq,
        event_id: format!("5d0c3c9a-21d4-4f0e-8a55-{s:x}{seq:011x}"),
        consent_id: format!("0b6f7c1e-8c1a-4d2b-9f3e-{s:x}{seq:011x}"),
        recorded_at: format!("2026-01-01T00:00:{:02}.000Z", seq % 60),
        config_version: "ab".repeat(32),
        action: kelisim_shared::event::Action::Custom,
        granted: vec!["necessary".into(), "analytics".into()],
        language: kelisim_shared::lang::Lang::Ru,
        gpc: true,
        sec_gpc: false,
        page: Some("https://x.kz/p".into()),
        origin: Some("https://x.kz".into()),
        ip: Some("203.0.113.0/24".into()),
        user_agent: Some("UA".into()),
    }
}

/// The dashboard's counts (`log_counts`, migration 11) are exactly what the log holds: every
/// (site, hour, dimension, key) recomputed from `events`.
pub(crate) fn assert_counts_match_the_log(c: &Connection) {
    let read = |sql: &str| -> Vec<(i64, String, String, String, i64)> {
        let mut st = c.prepare(sql).unwrap();
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).unwrap();
        let mut v: Vec<_> = rows.map(Result::unwrap).collect();
        v.sort();
        v
    };
    let kept = read("SELECT site_no, hour, dim, key, n FROM log_counts");
    let mut recomputed = read(
        "SELECT id >> 40, substr(recorded_at, 1, 13), 'all', '', COUNT(*) FROM events GROUP BY 1, 2
         UNION ALL SELECT id >> 40, substr(recorded_at, 1, 13), 'action', action, COUNT(*) FROM events GROUP BY 1, 2, 4
         UNION ALL SELECT id >> 40, substr(recorded_at, 1, 13), 'language', language, COUNT(*) FROM events GROUP BY 1, 2, 4
         UNION ALL SELECT id >> 40, substr(recorded_at, 1, 13), 'version', config_version, COUNT(*) FROM events GROUP BY 1, 2, 4",
    );
    // Categories one by one, in Rust: not the migration's SQL again.
    let mut cats: std::collections::BTreeMap<(i64, String, String), i64> = Default::default();
    let mut st = c.prepare("SELECT id >> 40, substr(recorded_at, 1, 13), granted FROM events").unwrap();
    for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))).unwrap()
    {
        let (site_no, hour, granted) = row.unwrap();
        for g in granted.split_whitespace() {
            *cats.entry((site_no, hour.clone(), g.to_owned())).or_default() += 1;
        }
    }
    recomputed.extend(cats.into_iter().map(|((s, h, k), n)| (s, h, "category".to_owned(), k, n)));
    recomputed.sort();
    assert!(!kept.is_empty(), "no counts at all");
    assert_eq!(kept, recomputed);
}

#[test]
fn the_writer_page_cache_is_small_below_the_lock_byte_page_and_large_from_it() {
    // With 4 KiB pages the lock-byte page (byte 2^30) is page 262,145; with 64 KiB, 16,385.
    assert!(!past_lock_page(1, 4096));
    assert!(!past_lock_page(262_144, 4096));
    assert!(past_lock_page(262_145, 4096));
    assert!(!past_lock_page(16_384, 65_536));
    assert!(past_lock_page(16_385, 65_536));
    // A new log's writer gets the small cache (a size in KiB is negative).
    let (_d, _store, conn, _config) = open_with_config();
    let size: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0)).unwrap();
    assert_eq!(size, WRITER_CACHE_SMALL_KIB);
    assert!(!size_writer_cache(&conn).unwrap());
}
