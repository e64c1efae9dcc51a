//! A throwaway PostgreSQL cluster for the tests and benchmarks of the PostgreSQL store: `initdb`
//! in a temporary directory, `postgres` on a free port of 127.0.0.1 (and a Unix socket in the
//! same directory), stopped with `pg_ctl stop -m immediate` when dropped — the same as a crash,
//! which PostgreSQL recovers from with its write-ahead log. No mock: the real server of the
//! machine's `postgresql` package, which `cargo xtask test` installs from apt when it is missing.
//!
//! PostgreSQL refuses to run as root; as root, `initdb`, `pg_ctl` and `psql` run as the
//! `postgres` user (`runuser -u postgres --`, the user the Debian package creates), in a
//! directory that user owns.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running cluster of its own. Trust authentication for the `postgres` superuser, on
/// 127.0.0.1 only.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    running: bool,
}

/// The directory of PostgreSQL's programs: `$KELISIM_PG_BIN` (set by `cargo xtask test`), else
/// [`installed_bin_dir`].
pub fn bin_dir() -> Option<PathBuf> {
    match std::env::var_os("KELISIM_PG_BIN") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => installed_bin_dir(),
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` (Debian's layout).
pub fn installed_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false)
}

impl Cluster {
    /// Starts a new cluster; panics with what to do when PostgreSQL is not installed.
    pub fn start() -> Cluster {
        let bin = bin_dir().expect(
            "PostgreSQL is not installed: `cargo xtask test` installs it (apt-get install -y postgresql), \
             or set KELISIM_PG_BIN to the directory of its initdb",
        );
        let as_postgres = is_root();
        let dir = tempfile::Builder::new().prefix("kelisim-pg-").tempdir().expect("a temporary directory");
        if as_postgres {
            let out = Command::new("chown").arg("postgres:").arg(dir.path()).output().expect("chown runs");
            assert!(out.status.success(), "chown postgres: {}", String::from_utf8_lossy(&out.stderr));
        }
        let mut c = Cluster { dir, bin, port: 0, as_postgres, running: false };
        let data = c.data();
        c.run_ok(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        );
        c.start_server(None);
        c
    }

    /// A streaming-replication standby of `primary` on a free port of its own: a base backup
    /// of the primary (`pg_basebackup -R`, which makes it a standby; `-c fast`: without it the
    /// backup waits for a spread checkpoint, about a minute and a half), connecting back as
    /// `application_name = name` — the name the primary's `synchronous_standby_names` lists —
    /// as role `user` (one with the REPLICATION attribute), with `password` from a password
    /// file of the standby's (`passfile`, as `~postgres/.pgpass` would be) when the primary asks
    /// for one ([`Cluster::hba_first`]). It takes read-only connections until
    /// [`Cluster::promote`].
    pub fn standby_of(primary: &Cluster, name: &str, user: &str, password: &str) -> Cluster {
        let dir = tempfile::Builder::new().prefix("kelisim-pg-standby-").tempdir().expect("a temporary directory");
        let mut c =
            Cluster { dir, bin: primary.bin.clone(), port: 0, as_postgres: primary.as_postgres, running: false };
        let port = primary.port.to_string();
        let passfile = c.dir.path().join("pgpass");
        std::fs::write(&passfile, format!("127.0.0.1:{port}:*:{user}:{password}\n")).expect("the password file");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
        if primary.as_postgres {
            let out = Command::new("chown").args(["-R", "postgres:"]).arg(c.dir.path()).output().expect("chown runs");
            assert!(out.status.success(), "chown postgres: {}", String::from_utf8_lossy(&out.stderr));
        }
        let data = c.data();
        let conninfo = format!("host=127.0.0.1 port={port} user={user} passfile={}", passfile.display());
        c.run_ok("pg_basebackup", &["-d", &conninfo, "-D", &data, "-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        // -R wrote standby.signal and a primary_conninfo; this one, later in the same file, wins
        // and names the standby.
        let auto = c.dir.path().join("data/postgresql.auto.conf");
        let mut conf = std::fs::read_to_string(&auto).expect("pg_basebackup -R wrote postgresql.auto.conf");
        conf.push_str(&format!("primary_conninfo = '{conninfo} application_name={name}'\n"));
        std::fs::write(&auto, conf).expect("postgresql.auto.conf is written");
        c.start_server(None);
        c
    }

    /// Puts `line` first in the cluster's `pg_hba.conf` (the first line that matches a
    /// connection decides) and reloads the configuration.
    pub fn hba_first(&self, line: &str) {
        let hba = self.dir.path().join("data/pg_hba.conf");
        let rest = std::fs::read_to_string(&hba).expect("pg_hba.conf");
        std::fs::write(&hba, format!("{line}\n{rest}")).expect("pg_hba.conf is written");
        self.psql("postgres", "SELECT pg_reload_conf()");
    }

    /// Makes a standby the primary (`pg_ctl promote`, waiting until it takes writes).
    pub fn promote(&self) {
        self.run_ok("pg_ctl", &["-D", &self.data(), "-w", "-t", "60", "promote"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// A program of the cluster's installation, as the `postgres` user when this is root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run_ok(&self, program: &str, args: &[&str]) -> Output {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{program} could not start: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts the server on `port` (a new free one when `None` or taken) and waits until it
    /// takes connections (`pg_ctl -w`).
    fn start_server(&mut self, port: Option<u16>) {
        self.port = match port.filter(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok()) {
            Some(p) => p,
            None => TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port(),
        };
        let opts = format!(
            "-p {} -h 127.0.0.1 -k {} -c max_connections=200 -c shared_buffers=64MB",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let out = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-l", &log, "-o", &opts, "-w", "-t", "60", "start"])
            .current_dir(self.dir.path())
            .output()
            .expect("pg_ctl runs");
        if !out.status.success() {
            panic!(
                "PostgreSQL did not start: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        self.running = true;
    }

    /// The cluster's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL through `psql` on database `db` (stops at the first error) and returns its
    /// output, unaligned, tuples only.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self.run_ok(
            "psql",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Like [`Cluster::psql`], but the database's error message when a statement fails.
    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let out = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ])
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("psql could not start: {e}"));
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A new empty database; its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Stops the server the way a crash does (`pg_ctl stop -m immediate`: no checkpoint, every
    /// process gone; the next start replays the write-ahead log).
    pub fn stop_immediate(&mut self) {
        if self.running {
            self.run_ok("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
            self.running = false;
        }
    }

    /// Starts it again after [`Cluster::stop_immediate`], on the same port when it is still free.
    pub fn restart(&mut self) {
        assert!(!self.running, "the cluster is running");
        self.start_server(Some(self.port));
    }

    /// Turns TLS on with this certificate chain and key (PEM files; copied into the cluster's
    /// directory, owned by the server's user) and reloads the configuration.
    pub fn enable_tls(&self, cert: &Path, key: &Path) {
        for (from, name) in [(cert, "server.crt"), (key, "server.key")] {
            let to = self.dir.path().join(name);
            std::fs::copy(from, &to).expect("the certificate is copied");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
            if self.as_postgres {
                let out = Command::new("chown").arg("postgres:").arg(&to).output().expect("chown runs");
                assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        let dir = self.dir.path().display();
        // ALTER SYSTEM cannot share a transaction: one statement per call.
        for sql in [
            format!("ALTER SYSTEM SET ssl_cert_file = '{dir}/server.crt'"),
            format!("ALTER SYSTEM SET ssl_key_file = '{dir}/server.key'"),
            "ALTER SYSTEM SET ssl = on".into(),
            "SELECT pg_reload_conf()".into(),
        ] {
            self.psql("postgres", &sql);
        }
        // The reload is asynchronous: wait until a new session sees it.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.psql("postgres", "SHOW ssl").trim() != "on" {
            assert!(std::time::Instant::now() < until, "PostgreSQL did not turn TLS on");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// The cluster's directory (its data in `data/`, its log in `server.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
        }
    }
}
