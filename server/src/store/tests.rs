use super::*;
use kelisim_shared::event::Action;
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::SitePolicy;

fn store_with_config() -> (tempfile::TempDir, Store, Config) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let config = SitePolicy::parse("example.toml", include_str!("../../../shared/testdata/example.toml")).unwrap().config();
    store.record_config(&config, "{}", "2026-01-01T00:00:00.000Z").unwrap();
    (dir, store, config)
}

fn event(config: &Config, event_id: &str) -> NewEvent {
    NewEvent {
        receipt_id: uuid::Uuid::new_v4().to_string(),
        record: ConsentRecord {
            site: config.site.clone(),
            seq: 0,
            event_id: event_id.into(),
            consent_id: "0b6f7c1e-8c1a-4d2b-9f3e-2a1b3c4d5e6f".into(),
            recorded_at: "2026-01-01T00:00:00.000Z".into(),
            config_version: config.version.clone(),
            action: Action::RejectAll,
            granted: vec!["necessary".into()],
            language: Lang::Kk,
            gpc: false,
            sec_gpc: false,
            page: None,
            origin: None,
            ip: None,
            user_agent: None,
        },
    }
}

#[test]
fn appends_in_sequence_and_is_idempotent() {
    let (_d, store, config) = store_with_config();
    let (a, new_a) = store.append(event(&config, "e1")).unwrap();
    let (b, new_b) = store.append(event(&config, "e2")).unwrap();
    let (a2, new_a2) = store.append(event(&config, "e1")).unwrap();
    assert_eq!((a.seq, b.seq), (1, 2));
    assert!(new_a && new_b && !new_a2);
    assert_eq!(a, a2, "a repeated event_id returns the first receipt");
}

#[test]
fn database_refuses_update_and_delete_of_events() {
    let (d, store, config) = store_with_config();
    store.append(event(&config, "e1")).unwrap();
    let c = Connection::open(d.path().join(DB_FILE)).unwrap();
    let upd = c.execute("UPDATE events SET action = 'accept_all'", []).unwrap_err();
    assert!(upd.to_string().contains("append-only"), "{upd}");
    let del = c.execute("DELETE FROM events", []).unwrap_err();
    assert!(del.to_string().contains("append-only"), "{del}");
    let cfg = c.execute("DELETE FROM config_versions", []).unwrap_err();
    assert!(cfg.to_string().contains("immutable"), "{cfg}");
}

#[test]
fn event_for_unknown_config_version_is_refused_by_the_schema() {
    let (_d, store, config) = store_with_config();
    let mut e = event(&config, "e1");
    e.record.config_version = "f".repeat(64);
    assert!(store.append(e).is_err());
}

#[test]
fn reopening_keeps_the_log_and_schema() {
    let (d, store, config) = store_with_config();
    store.append(event(&config, "e1")).unwrap();
    drop(store);
    let store = Store::open(d.path()).unwrap();
    let (r, created) = store.append(event(&config, "e1")).unwrap();
    assert_eq!((r.seq, created), (1, false));
    store.check_writable().unwrap();
}
