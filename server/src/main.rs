//! # kelisim — the Kelisim server
//!
//! One binary: serves the consent widget and each site's config, and logs every consent
//! decision, append-only and durably, in one SQLite file on the operator's own server
//! (Law 94-V Art. 12 p.2: personal data stored in Kazakhstan; no third-party calls).
//!
//! It never acknowledges an event it has not committed, and never writes personal data
//! (IP addresses, user agents, consent ids) to its own logs.
//!
//! ```text
//! kelisim serve --sites www/sites --data ./data --listen 127.0.0.1:8790
//! kelisim site check www/sites/*.toml
//! kelisim policy import privacy.txt --id example --out sites/example.toml
//! kelisim backup --data ./data --out backup.sqlite
//! kelisim log checkpoint --data ./data
//! kelisim scan https://example.kz/ --site example --sites www/sites
//! ```

// One `unsafe` in the server, allowed where it is: `http::limits::shutdown` (a borrowed socket).
#![deny(unsafe_code)]

mod admin;
mod clock;
mod commands;
mod export;
mod http;
mod import;
mod ingest;
mod log;
mod metrics;
mod minimize;
mod peer;
mod problem;
mod receipt;
mod reload;
mod scan;
mod sites;
mod store;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// See the `mimalloc` line in Cargo.toml: allocations cross threads on every consent POST.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kelisim",
    version,
    about = "Self-hosted consent banner and tamper-evident consent log",
    after_help = commands::EXIT_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the widget, the site configs and the consent API.
    Serve(commands::ServeOpts),
    /// Site policy files.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Dashboard accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// API tokens for automation (`Authorization: Bearer …` on /admin/api/…).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check an export bundle offline: signatures, Merkle roots, every record.
    Verify { bundle: PathBuf },
    /// The signed consent log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Export a site's consent log for an audit: a zip bundle checked offline with
    /// `kelisim verify` (signs a fresh checkpoint first; safe beside a running server).
    Export {
        #[arg(long)]
        site: String,
        /// First day, inclusive (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: Option<String>,
        /// Last day, inclusive (YYYY-MM-DD, UTC).
        #[arg(long)]
        to: Option<String>,
        /// The bundle to write; must not exist yet.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        db: commands::DataOpts,
    },
    /// Make a consistent copy of the database while the server runs (SQLite online backup; a
    /// PostgreSQL database is backed up with pg_dump or your cluster's own backups).
    Backup {
        /// The copy to write; must not exist yet.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        db: commands::DataOpts,
    },
    /// Copy a server's SQLite data into an empty PostgreSQL database and prove the copy (the
    /// same Merkle roots, every signed checkpoint matching): then serve with --database.
    Migrate {
        /// Data directory of the SQLite server (stop it first).
        #[arg(long, value_name = "DIR")]
        from_data: PathBuf,
        /// The PostgreSQL database to copy into (`postgres://…`); it must hold no log yet.
        #[arg(long, value_name = "URL")]
        to: String,
        /// The log's signing key, to check the checkpoints (default: DIR/log-signing.key).
        #[arg(long, value_name = "FILE")]
        log_key: Option<PathBuf>,
    },
    /// A site's own privacy policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Scan a site with the machine's Chromium: what it stores and calls before any choice,
    /// after Accept all and after Reject all, checked against its site policy.
    #[command(after_help = SCAN_HELP)]
    Scan {
        /// The first page to scan (http:// or https://).
        url: String,
        /// Check against this site's policy, read from --sites DIR.
        #[arg(long, value_name = "ID")]
        site: Option<String>,
        /// Directory of site policy files, for --site.
        #[arg(long, value_name = "DIR", default_value = "sites")]
        sites: PathBuf,
        /// Check against this site policy file (instead of --site).
        #[arg(long, value_name = "FILE", conflicts_with = "sites")]
        policy: Option<PathBuf>,
        /// Pages to scan at most, the first one included (same-origin links, breadth first).
        #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
        pages: u16,
        /// `text` for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = scan::Format::Text)]
        format: scan::Format,
        /// Write the site policy with every undeclared item added as a `[[review]]` entry for a
        /// person to decide on, never into a category (may be the policy file itself).
        #[arg(long, value_name = "FILE")]
        write_policy: Option<PathBuf>,
        /// Seconds each page may take to load and settle, per pass.
        #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
        /// The Chromium binary (else $KELISIM_CHROMIUM, else /usr/bin/chromium).
        #[arg(long, value_name = "PATH")]
        chromium: Option<PathBuf>,
        /// Keep the report in this data directory's database, for the dashboard.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Keep the report in this PostgreSQL database (`postgres://…`), for the dashboard of a
        /// server started with `serve --database` (instead of --data's SQLite file).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

const SCAN_HELP: &str = "\
Exit status:
  0  no violation
  1  violations: something non-required set, or a third party called, before any choice or
     still after Reject all; or a cookie set by a script enabled for another category
  2  the scan could not run: no Chromium, the URL does not answer, an invalid policy, bad
     arguments
  3  no violation seen, but the scan is incomplete: the banner never appeared, or a page did
     not load

Progress goes to standard error, the report to standard output. Cookie and storage values are
never read. Documentation: docs/scan.md.

Cookie descriptions come from the Open Cookie Database by jkwakman
(https://github.com/jkwakman/Open-Cookie-Database), shipped inside this binary under the
Apache License 2.0 (server/data/open-cookie-database/LICENSE).";

#[derive(Subcommand)]
enum PolicyCommand {
    /// Draft a site policy file from a privacy policy in Russian or Kazakh (plain text): every
    /// fact cites its clause; what the policy does not say is left as a TODO.
    Import {
        /// The policy as plain UTF-8 text; `-` reads standard input.
        file: PathBuf,
        /// The site id of the draft (a slug such as `example`).
        #[arg(long)]
        id: String,
        /// Write to this file instead of standard output (an existing file is kept unless --force).
        #[arg(long)]
        out: Option<PathBuf>,
        /// `toml`: the draft site policy file; `json`: the findings, for tools.
        #[arg(long, value_enum, default_value_t = commands::ImportFormat::Toml)]
        format: commands::ImportFormat,
        /// The draft's languages, default first, e.g. `ru,kk`. Default: the policy's language,
        /// the other of kk and ru, then en.
        #[arg(long, value_delimiter = ',')]
        languages: Option<Vec<String>>,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Sign a checkpoint of every site's log now, and print them.
    Checkpoint {
        #[command(flatten)]
        db: commands::DataOpts,
    },
    /// Print the public key that checks this server's checkpoints.
    Key {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Re-check every site's log: every record re-hashed and compared with its stored columns,
    /// each tree rebuilt and compared with every signed checkpoint. Exits non-zero naming the
    /// first bad record. Safe beside a running server.
    Verify {
        #[command(flatten)]
        db: commands::DataOpts,
        /// Only this site.
        #[arg(long)]
        site: Option<String>,
        /// Check only what was logged since the last verification (what `serve` does at start).
        #[arg(long)]
        quick: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add a dashboard account. The password is asked for (or read from stdin).
    Add {
        user: String,
        #[arg(long, value_parser = ["admin", "auditor"])]
        role: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: commands::DataOpts,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; it is printed once and only its hash is stored.
    Create {
        #[arg(long, value_parser = ["admin", "auditor"])]
        role: String,
        /// A name to recognise the token by in the audit trail.
        #[arg(long, default_value = "automation")]
        name: String,
        /// Valid for this many days, or through this date (YYYY-MM-DD, UTC); default: until
        /// revoked.
        #[arg(long, value_name = "DAYS|DATE")]
        expires: Option<String>,
        #[command(flatten)]
        db: commands::DataOpts,
    },
    /// List every API token: id, name, role, created, expires, last use, status.
    List {
        #[command(flatten)]
        db: commands::DataOpts,
    },
    /// Revoke an API token (by the id `token list` shows); it is refused from then on.
    Revoke {
        id: i64,
        #[command(flatten)]
        db: commands::DataOpts,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Check site policy files: prints each problem as FILE:LINE:COLUMN: FIELD MESSAGE.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("KELISIM_LOG").unwrap_or_else(|_| "info".into());
    if !std::env::var("KELISIM_LOG").unwrap_or_default().contains("tungstenite") {
        // The DevTools protocol's traffic carries what the scanned pages store (cookie
        // values): its crates never log unless named in KELISIM_LOG.
        for quiet in ["chromiumoxide=off", "async_tungstenite=off", "tungstenite=off"] {
            filter = filter.add_directive(quiet.parse().expect("a valid directive"));
        }
    }
    if !std::env::var("KELISIM_LOG").unwrap_or_default().contains("tokio_postgres") {
        // tokio-postgres logs each statement's parameters at debug level: the consent records'
        // bytes (addresses, user agents), password hashes, session tokens. Not unless named.
        filter = filter.add_directive("tokio_postgres=info".parse().expect("a valid directive"));
    }
    // lopdf's warnings can quote the PDF they are about (the "New site" wizard's uploads).
    filter = filter.add_directive("lopdf=off".parse().expect("a valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(opts) => commands::serve(opts),
        Command::Site(SiteCommand::Check { files }) => commands::site_check(&files),
        Command::Admin(AdminCommand::Add { user, role, password_stdin, db }) => {
            commands::admin_add(&user, &role, password_stdin, &db)
        }
        Command::Token(TokenCommand::Create { role, name, expires, db }) => {
            commands::token_create(&role, &name, expires.as_deref(), &db)
        }
        Command::Token(TokenCommand::List { db }) => commands::token_list(&db),
        Command::Token(TokenCommand::Revoke { id, db }) => commands::token_revoke(id, &db),
        Command::Policy(PolicyCommand::Import { file, id, out, format, languages, force }) => {
            commands::policy_import(&file, &id, out.as_deref(), format, languages, force)
        }
        Command::Verify { bundle } => commands::verify_bundle(&bundle),
        Command::Log(LogCommand::Checkpoint { db }) => commands::log_checkpoint(&db),
        Command::Log(LogCommand::Key { data }) => commands::log_key(&data),
        Command::Log(LogCommand::Verify { db, site, quick }) => commands::log_verify(&db, site.as_deref(), quick),
        Command::Backup { db, out } => commands::backup(&db, &out),
        Command::Migrate { from_data, to, log_key } => commands::migrate(&from_data, &to, log_key.as_deref()),
        Command::Export { site, from, to, out, db } => {
            commands::export(&site, from.as_deref(), to.as_deref(), &out, &db)
        }
        Command::Scan { url, site, sites, policy, pages, format, write_policy, timeout, chromium, data, database } => {
            // Its own exit statuses (docs/scan.md): 1 means violations, not a failure to run.
            return ExitCode::from(scan::run(scan::Options {
                url,
                site,
                sites,
                policy,
                pages: usize::from(pages),
                format,
                write_policy,
                timeout: std::time::Duration::from_secs(timeout),
                chromium,
                data,
                database,
            }));
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kelisim: {}", commands::message(&e));
            ExitCode::from(commands::exit_code(&e))
        }
    }
}
