//! The same checks on both stores: each behaviour is a function over `&dyn Accounts`, run on
//! the SQLite file of a temporary data directory and on a PostgreSQL database of a throwaway
//! cluster.

use super::*;
use crate::store::{Store, DB_FILE};
use kelisim_pgcluster::Cluster;

/// A new SQLite data directory (migrated) and its accounts.
fn sqlite() -> (tempfile::TempDir, Arc<dyn Accounts>) {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let a = open_accounts(&Location::Sqlite(dir.path().join(DB_FILE))).unwrap();
    (dir, a)
}

/// A new database on `cluster` and its accounts (the constructor migrates it).
fn postgres(cluster: &Cluster, name: &str) -> Arc<dyn Accounts> {
    open_accounts(&Location::Postgres(cluster.create_database(name))).unwrap()
}

/// Runs `check` on a SQLite store, then on a PostgreSQL one.
fn on_both(check: fn(&dyn Accounts)) {
    let (_dir, a) = sqlite();
    check(&*a);
    let cluster = Cluster::start();
    check(&*postgres(&cluster, "accounts"));
}

fn note<'a>(at: &'a str, actor: &'a str, action: &'a str) -> Note<'a> {
    Note { at, actor, action }
}

/// The audit trail, oldest first, as (actor, action, detail).
fn trail(a: &dyn Accounts) -> Vec<(String, String, String)> {
    let mut t: Vec<_> = a.audit_trail(None, 1000).unwrap().into_iter().map(|e| (e.2, e.3, e.4)).collect();
    t.reverse();
    t
}

fn entry(actor: &str, action: &str, detail: &str) -> (String, String, String) {
    (actor.to_owned(), action.to_owned(), detail.to_owned())
}

const T0: &str = "2026-12-01T10:00:00.000Z";
const NOW: i64 = 1_800_000_000;

fn login(a: &dyn Accounts, name: &str, password: &str, token: &[u8]) -> Option<Role> {
    let verify = |stored: Option<&str>| stored == Some(&format!("hash:{password}"));
    let session = NewSession { token_hash: token, csrf: "csrf-1", now: NOW, expires_at: NOW + 3600 };
    a.login(name, &verify, session, note(T0, name, "login"), note(T0, name, "login.failed")).unwrap()
}

fn accounts_sessions_and_disabling(a: &dyn Accounts) {
    assert!(a.add("zeynep", "hash:pw-zeynep", Role::Admin, note(T0, "cli", "account.add"), "zeynep (admin)").unwrap());
    assert!(a.add("Aruzhan", "hash:pw-aruzhan", Role::Auditor, note(T0, "zeynep", "account.add"), "x").unwrap());
    assert!(
        !a.add("zeynep", "hash:other", Role::Auditor, note(T0, "cli", "account.add"), "again").unwrap(),
        "a taken name is refused"
    );
    let list = a.list().unwrap();
    let names: Vec<(&str, Role, bool)> = list.iter().map(|(n, r, _, d)| (n.as_str(), *r, *d)).collect();
    assert_eq!(names, [("Aruzhan", Role::Auditor, false), ("zeynep", Role::Admin, false)], "bytewise order");
    assert_eq!(list[1].2, T0);
    assert_eq!(a.credentials("zeynep").unwrap(), Some(("hash:pw-zeynep".to_owned(), Role::Admin, false)));
    assert_eq!(a.credentials("nobody").unwrap(), None);

    // Logins: a wrong password, an unknown name, then the right one.
    assert_eq!(login(a, "zeynep", "wrong", b"t0"), None);
    assert_eq!(login(a, "nobody", "pw-zeynep", b"t0"), None);
    assert_eq!(login(a, "zeynep", "pw-zeynep", b"t1"), Some(Role::Admin));
    assert_eq!(a.session(b"t1", NOW + 10).unwrap(), Some(("zeynep".to_owned(), Role::Admin, "csrf-1".to_owned())));
    assert_eq!(a.session(b"t1", NOW + 3600).unwrap(), None, "expired");
    assert_eq!(a.session(b"t0", NOW).unwrap(), None, "a failed login opens nothing");
    // A second login drops sessions that had expired by then.
    let later = NewSession { token_hash: b"t2", csrf: "csrf-2", now: NOW + 7200, expires_at: NOW + 9000 };
    let verify = |s: Option<&str>| s == Some("hash:pw-zeynep");
    let role = a.login("zeynep", &verify, later, note(T0, "zeynep", "login"), note(T0, "zeynep", "login.failed"));
    assert_eq!(role.unwrap(), Some(Role::Admin));
    assert_eq!(a.session(b"t2", NOW + 7300).unwrap().map(|s| s.2), Some("csrf-2".to_owned()));
    a.logout(b"t2", note(T0, "zeynep", "logout")).unwrap();
    assert_eq!(a.session(b"t2", NOW + 7300).unwrap(), None, "logged out");

    // Disabling ends the sessions and refuses logins; enabling lets the account in again.
    assert_eq!(login(a, "Aruzhan", "pw-aruzhan", b"t3"), Some(Role::Auditor));
    assert!(a.set_disabled("Aruzhan", true, note(T0, "zeynep", "account.disable")).unwrap());
    assert_eq!(a.session(b"t3", NOW).unwrap(), None, "a disabled account's session ends");
    assert_eq!(a.credentials("Aruzhan").unwrap().map(|c| c.2), Some(true));
    assert_eq!(login(a, "Aruzhan", "pw-aruzhan", b"t4"), None, "a disabled account cannot log in");
    assert!(!a.set_disabled("nobody", true, note(T0, "zeynep", "account.disable")).unwrap());
    assert!(a.set_disabled("Aruzhan", false, note(T0, "zeynep", "account.enable")).unwrap());
    assert_eq!(login(a, "Aruzhan", "pw-aruzhan", b"t5"), Some(Role::Auditor));

    // The account is read again in the login's transaction: a check that passed for a name
    // with no account (or a different hash) opens nothing.
    let racing = |_: Option<&str>| true;
    let s = NewSession { token_hash: b"t6", csrf: "c", now: NOW, expires_at: NOW + 10 };
    assert_eq!(
        a.login("ghost", &racing, s, note(T0, "ghost", "login"), note(T0, "ghost", "login.failed")).unwrap(),
        None,
        "no account, whatever the check said"
    );

    assert_eq!(
        trail(a),
        [
            entry("cli", "account.add", "zeynep (admin)"),
            entry("zeynep", "account.add", "x"),
            entry("zeynep", "login.failed", ""),
            entry("nobody", "login.failed", ""),
            entry("zeynep", "login", ""),
            entry("zeynep", "login", ""),
            entry("zeynep", "logout", ""),
            entry("Aruzhan", "login", ""),
            entry("zeynep", "account.disable", "Aruzhan"),
            entry("Aruzhan", "login.failed", ""),
            entry("zeynep", "account.enable", "Aruzhan"),
            entry("Aruzhan", "login", ""),
            entry("ghost", "login.failed", ""),
        ],
        "every change with its entry, nothing for a refused one"
    );
}

#[test]
fn accounts_sessions_and_disabling_on_both_stores() {
    on_both(accounts_sessions_and_disabling);
}

fn tokens(a: &dyn Accounts) {
    let t = |hash: &'static [u8], name: &'static str, role, expires_at| NewToken {
        token_hash: hash,
        name,
        role,
        expires_at,
    };
    let create = |tok: NewToken<'_>| {
        let role = tok.role.as_str();
        a.create_token(tok, note(T0, "zeynep", "token.create"), &|id| format!("#{id} {} ({role})", tok.name)).unwrap()
    };
    let ci = create(t(b"h-ci", "ci", Role::Auditor, None));
    let deploy = create(t(b"h-deploy", "deploy", Role::Admin, Some("2026-12-31T00:00:00.000Z")));
    assert!(deploy > ci, "ids grow");
    // The same token hash twice is refused (a unique violation) and leaves no trace.
    let err = a
        .create_token(t(b"h-ci", "again", Role::Auditor, None), note(T0, "zeynep", "token.create"), &|id| {
            format!("#{id}")
        })
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err}");

    let listed = a.tokens("2026-12-15T00:00:00.000Z").unwrap();
    let shown: Vec<(i64, &str, Role, TokenStatus, &str)> =
        listed.iter().map(|t| (t.id, t.name.as_str(), t.role, t.status, t.created_by.as_str())).collect();
    assert_eq!(
        shown,
        [
            (deploy, "deploy", Role::Admin, TokenStatus::Active, "zeynep"),
            (ci, "ci", Role::Auditor, TokenStatus::Active, "zeynep")
        ],
        "newest first"
    );
    assert_eq!(listed[0].expires_at.as_deref(), Some("2026-12-31T00:00:00.000Z"));
    assert_eq!(listed[0].created_at, T0);
    let later = a.tokens("2027-01-01T00:00:00.000Z").unwrap();
    assert_eq!(later[0].status, TokenStatus::Expired, "past its end");

    // Bearer look-up and its use noted.
    let row = a.token_by_hash(b"h-ci").unwrap().unwrap();
    assert_eq!((row.id, row.name.as_str(), row.role), (ci, "ci", Role::Auditor));
    assert_eq!((row.revoked_at, row.last_used_at, row.expires_at), (None, None, None));
    a.touch_token(ci, "2026-12-02T08:00:00.000Z").unwrap();
    assert_eq!(a.token_by_hash(b"h-ci").unwrap().unwrap().last_used_at.as_deref(), Some("2026-12-02T08:00:00.000Z"));
    assert!(a.token_by_hash(b"h-none").unwrap().is_none());

    // Revoking: once; the second time finds nothing to revoke and writes nothing.
    let revoke =
        |id| a.revoke_token(id, note("2026-12-03T00:00:00.000Z", "zeynep", "token.revoke"), &|n| format!("#{id} {n}"));
    assert!(revoke(ci).unwrap());
    assert!(!revoke(ci).unwrap(), "revoked already");
    assert!(!revoke(9999).unwrap(), "no such token");
    let row = a.token_by_hash(b"h-ci").unwrap().unwrap();
    assert_eq!(row.revoked_at.as_deref(), Some("2026-12-03T00:00:00.000Z"));
    let listed = a.tokens("2026-12-04T00:00:00.000Z").unwrap();
    assert_eq!((listed[1].status, listed[1].revoked_by.as_deref()), (TokenStatus::Revoked, Some("zeynep")));
    // Its use is still noted (the bearer check refuses it), and it stays revoked.
    a.touch_token(ci, "2026-12-04T00:00:00.000Z").unwrap();
    assert_eq!(a.token_by_hash(b"h-ci").unwrap().unwrap().revoked_at.as_deref(), Some("2026-12-03T00:00:00.000Z"));

    assert_eq!(
        trail(a),
        [
            entry("zeynep", "token.create", &format!("#{ci} ci (auditor)")),
            entry("zeynep", "token.create", &format!("#{deploy} deploy (admin)")),
            entry("zeynep", "token.revoke", &format!("#{ci} ci")),
        ]
    );
}

#[test]
fn tokens_on_both_stores() {
    on_both(tokens);
}

fn audit_trail_pages(a: &dyn Accounts) {
    for i in 0..25 {
        a.record(note(T0, "cli", "export"), &format!("export {i}")).unwrap();
    }
    let first = a.audit_trail(None, 10).unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].4, "export 24", "newest first");
    let mut seen: Vec<String> = first.iter().map(|e| e.4.clone()).collect();
    let mut before = first.last().map(|e| e.0);
    loop {
        let page = a.audit_trail(before, 10).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.windows(2).all(|w| w[0].0 > w[1].0), "seq descending");
        seen.extend(page.iter().map(|e| e.4.clone()));
        before = page.last().map(|e| e.0);
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("export {i}")).collect();
    assert_eq!(seen, expected, "every entry once, by keyset pages");
    assert_eq!(a.audit_trail(None, 1).unwrap()[0].1, T0);
}

#[test]
fn audit_trail_pages_on_both_stores() {
    on_both(audit_trail_pages);
}

/// The database itself refuses to change the audit trail or to un-revoke a token, whichever
/// store holds them.
#[test]
fn the_audit_trail_is_append_only_and_a_revoked_token_stays_revoked_in_both_databases() {
    let (dir, a) = sqlite();
    a.record(note(T0, "cli", "x"), "").unwrap();
    let id = a
        .create_token(
            NewToken { token_hash: b"h", name: "n", role: Role::Admin, expires_at: None },
            note(T0, "cli", "token.create"),
            &|_| String::new(),
        )
        .unwrap();
    assert!(a.revoke_token(id, note(T0, "cli", "token.revoke"), &|_| String::new()).unwrap());
    let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
    assert!(c.execute("DELETE FROM audit_log", []).is_err());
    assert!(c.execute("UPDATE api_tokens SET revoked_at = NULL", []).is_err());

    let cluster = Cluster::start();
    let a = postgres(&cluster, "ao");
    a.record(note(T0, "cli", "x"), "").unwrap();
    let id = a
        .create_token(
            NewToken { token_hash: b"h", name: "n", role: Role::Admin, expires_at: None },
            note(T0, "cli", "token.create"),
            &|_| String::new(),
        )
        .unwrap();
    assert!(a.revoke_token(id, note(T0, "cli", "token.revoke"), &|_| String::new()).unwrap());
    let mut c = crate::store::pg::connect(&cluster.url("ao")).unwrap();
    assert!(c.batch_execute("DELETE FROM audit_log").is_err());
    assert!(c.batch_execute("UPDATE api_tokens SET revoked_at = NULL").is_err());
}
