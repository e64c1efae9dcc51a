//! Which database a server under test keeps its log in, so the log, crash and export suites run
//! once on each store (`on_both_stores!`): SQLite, the file in the server's data directory, and
//! PostgreSQL, a throwaway cluster of the test's own (tests/pgcluster; `cargo xtask test`
//! installs PostgreSQL) with one database.

use kelisim_pgcluster::Cluster;
use std::sync::Arc;

/// The store of a server under test. Cloning shares the PostgreSQL cluster: a restarted server
/// finds the same database.
#[derive(Clone)]
pub enum Store {
    Sqlite,
    Postgres(Arc<Postgres>),
}

pub struct Postgres {
    pub cluster: Cluster,
    pub url: String,
}

/// The database of every PostgreSQL store the harness makes.
const DB: &str = "kelisim";

impl Store {
    /// A fresh cluster with an empty database (the server migrates it at its first start).
    pub fn postgres() -> Store {
        let cluster = Cluster::start();
        let url = cluster.create_database(DB);
        Store::Postgres(Arc::new(Postgres { cluster, url }))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// `sqlite` or `postgres`, whichever is this store's: for SQL that differs between them.
    pub fn pick<'a>(&self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self {
            Store::Sqlite => sqlite,
            Store::Postgres(_) => postgres,
        }
    }

    /// `--database URL` for a command that reads the data, none on SQLite.
    pub fn args(&self) -> Vec<String> {
        match self {
            Store::Sqlite => vec![],
            Store::Postgres(pg) => vec!["--database".into(), pg.url.clone()],
        }
    }

    /// Runs `sql` (one or more statements) with the database owner's rights; the database's
    /// error message when it refuses.
    pub fn execute(&self, data: &std::path::Path, sql: &str) -> Result<(), String> {
        match self {
            Store::Sqlite => rusqlite::Connection::open(data.join("kelisim.sqlite"))
                .and_then(|db| db.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Store::Postgres(pg) => pg.cluster.try_psql(DB, sql).map(|_| ()),
        }
    }

    /// The rows `sql` selects, each as its columns' text joined by `|` (SQLite: integers and text
    /// as they are, blobs as lowercase hex; PostgreSQL: psql's unaligned output, so select blobs
    /// with `encode(x, 'hex')`).
    pub fn query(&self, data: &std::path::Path, sql: &str) -> Vec<String> {
        match self {
            Store::Sqlite => {
                let db = rusqlite::Connection::open_with_flags(
                    data.join("kelisim.sqlite"),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut st = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = st.column_count();
                st.query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => String::new(),
                                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                                rusqlite::types::ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
                            })
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map(|v| v.join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            Store::Postgres(pg) => pg.cluster.psql(DB, sql).lines().map(str::to_owned).collect(),
        }
    }
}

/// Runs each named test, a `fn(Store)`, once on SQLite (in `mod sqlite`) and once on a
/// PostgreSQL of its own (in `mod postgres`).
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::store::Store::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::store::Store::postgres()) } )*
        }
    };
}

/// Every record of the demo site `webpulse` in the PostgreSQL database `db` of `cluster`, as the
/// database holds it: seq → receipt id (hex).
pub fn webpulse_log(cluster: &Cluster, db: &str) -> std::collections::BTreeMap<u64, String> {
    cluster
        .psql(
            db,
            "SELECT e.seq, encode(e.receipt_id, 'hex') FROM events e JOIN log_sites s USING (site_no)
             WHERE s.site = 'webpulse' ORDER BY e.seq",
        )
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (seq, receipt) = l.split_once('|').expect("seq|receipt");
            (seq.parse().expect("a seq"), receipt.to_owned())
        })
        .collect()
}
