use super::*;
use kelisim_shared::policy::SitePolicy;

pub fn open_with_config() -> (tempfile::TempDir, Store, Connection, Config) {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn) = Store::open(dir.path()).unwrap();
    let config = SitePolicy::parse("example.toml", include_str!("../../../shared/testdata/example.toml")).unwrap().config();
    record_config(&conn, &config, "{}", "2026-01-01T00:00:00.000Z").unwrap();
    (dir, store, conn, config)
}

#[test]
fn database_refuses_update_and_delete_of_the_log() {
    let (_d, _store, conn, _config) = open_with_config();
    conn.execute_batch(
        "INSERT INTO merkle_nodes VALUES ('s', 1, 0, x'00');
         INSERT INTO checkpoints (site, tree_size, root_hash, signed_at, key_id, note) VALUES ('s', 1, x'00', 't', 'k', 'n');",
    )
    .unwrap();
    for (sql, msg) in [
        ("UPDATE merkle_nodes SET hash = x'01'", "append-only"),
        ("DELETE FROM merkle_nodes", "append-only"),
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
}
