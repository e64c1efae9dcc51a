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
mod export;
mod http;
mod import;
mod ingest;
mod log;
mod metrics;
mod minimize;
mod receipt;
mod scan;
mod sites;
mod store;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// See the `mimalloc` line in Cargo.toml: allocations cross threads on every consent POST.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kelisim", version, about = "Self-hosted consent banner and tamper-evident consent log")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the widget, the site configs and the consent API.
    Serve {
        /// Directory of site policy files (*.toml), one per site.
        #[arg(long, default_value = "sites")]
        sites: PathBuf,
        /// Data directory: the SQLite database lives here.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Address to listen on. Port 0 picks a free port (the chosen one is printed).
        #[arg(long, default_value = "127.0.0.1:8790")]
        listen: String,
        /// Serve the demo pages under /demo/ and accept consents from this server's own origin.
        #[arg(long)]
        demo: bool,
        /// Take client addresses from X-Forwarded-For (only behind your own reverse proxy).
        #[arg(long)]
        trust_proxy: bool,
        /// Consent POSTs allowed per second from one client address (0: no limit).
        #[arg(long, default_value_t = 10)]
        rate_limit: u32,
        /// Consent POSTs one client address may send at once before the rate applies.
        #[arg(long, default_value_t = 30)]
        rate_burst: u32,
        /// Seconds between signed checkpoints of each site's log (when it grew).
        #[arg(long, default_value_t = 60)]
        checkpoint_interval: u64,
        /// Events that may wait for the database; beyond it the server answers 503.
        #[arg(long, default_value_t = 8192)]
        queue: usize,
        /// Seconds a request body may take to arrive whole after its headers (then 408).
        #[arg(long, default_value_t = 10)]
        body_timeout: u64,
        /// Seconds an idle keep-alive connection stays open.
        #[arg(long, default_value_t = 5)]
        keep_alive: u64,
        /// Connections one client address may hold open (0: no cap); with --trust-proxy, requests
        /// in progress per forwarded client address.
        #[arg(long, default_value_t = 64)]
        connections_per_address: u32,
    },
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
        /// Data directory of the server.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Make a consistent copy of the database while the server runs (SQLite online backup).
    Backup {
        /// Data directory of the server.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// The copy to write; must not exist yet.
        #[arg(long)]
        out: PathBuf,
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
        #[arg(long, value_enum, default_value_t = Format::Toml)]
        format: Format,
        /// The draft's languages, default first, e.g. `ru,kk`. Default: the policy's language,
        /// the other of kk and ru, then en.
        #[arg(long, value_delimiter = ',')]
        languages: Option<Vec<String>>,
        /// Overwrite --out if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Toml,
    Json,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Sign a checkpoint of every site's log now, and print them.
    Checkpoint {
        #[arg(long, default_value = "data")]
        data: PathBuf,
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
        #[arg(long, default_value = "data")]
        data: PathBuf,
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
        #[arg(long, default_value = "data")]
        data: PathBuf,
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
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// List every API token: id, name, role, created, expires, last use, status.
    List {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Revoke an API token (by the id `token list` shows); it is refused from then on.
    Revoke {
        id: i64,
        #[arg(long, default_value = "data")]
        data: PathBuf,
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            sites,
            data,
            listen,
            demo,
            trust_proxy,
            rate_limit,
            rate_burst,
            checkpoint_interval,
            queue,
            body_timeout,
            keep_alive,
            connections_per_address,
        } => {
            let writer = log::WriterConfig {
                queue: queue.max(1),
                checkpoint_interval: std::time::Duration::from_secs(checkpoint_interval.max(1)),
                ..Default::default()
            };
            let limits = http::Limits {
                body_timeout: std::time::Duration::from_secs(body_timeout.max(1)),
                keep_alive: std::time::Duration::from_secs(keep_alive),
                connections_per_address,
            };
            serve(ServeArgs { sites, data, listen, demo, trust_proxy, rate_limit, rate_burst, writer, limits })
        }
        Command::Site(SiteCommand::Check { files }) => site_check(&files),
        Command::Admin(AdminCommand::Add { user, role, password_stdin, data }) => {
            admin_add(&user, &role, password_stdin, &data)
        }
        Command::Token(TokenCommand::Create { role, name, expires, data }) => {
            token_create(&role, &name, expires.as_deref(), &data)
        }
        Command::Token(TokenCommand::List { data }) => token_list(&data),
        Command::Token(TokenCommand::Revoke { id, data }) => token_revoke(id, &data),
        Command::Policy(PolicyCommand::Import { file, id, out, format, languages, force }) => {
            policy_import(&file, &id, out.as_deref(), format, languages, force)
        }
        Command::Verify { bundle } => match export::verify::verify(&bundle) {
            Ok(v) => {
                println!("{v}");
                Ok(())
            }
            Err(e) => Err(format!("NOT intact: {e}")),
        },
        Command::Log(LogCommand::Checkpoint { data }) => log_checkpoint(&data),
        Command::Log(LogCommand::Key { data }) => log_key(&data),
        Command::Log(LogCommand::Verify { data, site, quick }) => log_verify(&data, site.as_deref(), quick),
        Command::Backup { data, out } => backup(&data, &out),
        Command::Export { site, from, to, out, data } => export_cmd(&site, from.as_deref(), to.as_deref(), &out, &data),
        Command::Scan { url, site, sites, policy, pages, format, write_policy, timeout, chromium, data } => {
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
            }));
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kelisim: {message}");
            ExitCode::FAILURE
        }
    }
}

fn site_check(files: &[PathBuf]) -> Result<(), String> {
    let mut bad = 0;
    for f in files {
        match sites::parse_file(f) {
            Ok(p) => {
                // `[[review]]` entries (from `kelisim scan --write-policy`) and visitor texts that
                // read like notes for the operator keep the file valid but are listed, each with
                // its line, until a person resolves them.
                let notes =
                    std::fs::read_to_string(f).map(|text| p.notes(&f.display().to_string(), &text)).unwrap_or_default();
                let review = match p.review.len() {
                    0 => String::new(),
                    1 => "; 1 item awaits review".into(),
                    n => format!("; {n} items await review"),
                };
                let texts = match notes.len() - p.review.len().min(notes.len()) {
                    0 => String::new(),
                    1 => "; 1 visitor text reads like a note".into(),
                    n => format!("; {n} visitor texts read like notes"),
                };
                println!(
                    "{}: ok (site `{}`, {} categories, config version {}{review}{texts})",
                    f.display(),
                    p.id,
                    p.categories.len(),
                    &p.config().version[..12]
                );
                for n in notes {
                    eprintln!("{n}");
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    match bad {
        0 => Ok(()),
        1 => Err("1 site policy file is invalid".into()),
        n => Err(format!("{n} site policy files are invalid")),
    }
}

fn accounts(data: &std::path::Path) -> Result<admin::auth::Accounts, String> {
    // Opening the store runs the migrations, so the admin tables exist.
    drop(store::Store::open(data).map_err(|e| e.to_string())?);
    admin::auth::Accounts::open(&data.join(store::DB_FILE)).map_err(|e| e.to_string())
}

fn admin_add(user: &str, role: &str, password_stdin: bool, data: &std::path::Path) -> Result<(), String> {
    let role = admin::auth::Role::parse(role).ok_or("the role must be admin or auditor")?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let p = rpassword::prompt_password(format!("Password for {user}: "))
            .map_err(|e| format!("cannot read the password: {e} (use --password-stdin)"))?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if p != again {
            return Err("the two passwords differ".into());
        }
        p
    };
    accounts(data)?.add(user, &password, role, "cli").map_err(|e| e.to_string())?;
    println!("added {user} ({})", role.as_str());
    Ok(())
}

fn token_create(role: &str, name: &str, expires: Option<&str>, data: &std::path::Path) -> Result<(), String> {
    let role = admin::auth::Role::parse(role).ok_or("the role must be admin or auditor")?;
    let expires_at = expires.map(|e| admin::auth::expiry(e, time::OffsetDateTime::now_utc())).transpose()?;
    let (id, token) =
        accounts(data)?.create_token(name, role, expires_at.as_deref(), "cli").map_err(|e| e.to_string())?;
    println!("{token}");
    let until = expires_at.map(|e| format!(", valid until {e}")).unwrap_or_default();
    eprintln!("Token #{id} ({name}, {}{until}). It is shown once; only its hash is stored. Send it as `Authorization: Bearer <token>`; `kelisim token revoke {id}` ends it.", role.as_str());
    Ok(())
}

fn token_list(data: &std::path::Path) -> Result<(), String> {
    let tokens = open_existing(data).and_then(|_| accounts(data))?.tokens().map_err(|e| e.to_string())?;
    if tokens.is_empty() {
        eprintln!("no API tokens (`kelisim token create` makes one)");
        return Ok(());
    }
    let day = |t: &Option<String>| {
        t.as_deref().map(|t| t.get(..16).unwrap_or(t).replace('T', " ")).unwrap_or_else(|| "-".into())
    };
    println!(
        "{:>4}  {:<20} {:<8} {:<16} {:<16} {:<16} STATUS",
        "ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST USED"
    );
    for t in tokens {
        let status = match (&t.revoked_at, &t.revoked_by) {
            (Some(at), Some(by)) => format!("revoked {} by {by}", day(&Some(at.clone()))),
            _ => t.status.as_str().to_owned(),
        };
        println!(
            "{:>4}  {:<20} {:<8} {:<16} {:<16} {:<16} {status}",
            t.id,
            t.name,
            t.role.as_str(),
            day(&Some(t.created_at.clone())),
            day(&t.expires_at),
            day(&t.last_used_at)
        );
    }
    Ok(())
}

fn token_revoke(id: i64, data: &std::path::Path) -> Result<(), String> {
    let accounts = open_existing(data).and_then(|_| accounts(data))?;
    if !accounts.revoke_token(id, "cli").map_err(|e| e.to_string())? {
        return Err(format!("there is no active token #{id} (`kelisim token list` shows them)"));
    }
    println!("revoked token #{id}");
    Ok(())
}

fn policy_import(
    file: &std::path::Path,
    id: &str,
    out: Option<&std::path::Path>,
    format: Format,
    languages: Option<Vec<String>>,
    force: bool,
) -> Result<(), String> {
    use kelisim_shared::lang::Lang;
    use std::io::{Read, Write};
    if !kelisim_shared::is_slug(id) {
        return Err(format!("`{id}` is not a site id: use 1–32 of a-z, 0-9, `_` and `-`, starting with a letter"));
    }
    let languages = match languages {
        None => None,
        Some(tags) => {
            let mut langs = Vec::new();
            for t in &tags {
                let l = Lang::from_tag(t)
                    .ok_or_else(|| format!("`{t}` is not a language Kelisim speaks: use kk, ru and en"))?;
                if !langs.contains(&l) {
                    langs.push(l);
                }
            }
            if !(langs.contains(&Lang::Kk) && langs.contains(&Lang::Ru)) {
                return Err("--languages must include kk and ru: a site's texts must be in Kazakh and Russian (Law on Languages Art. 21)".into());
            }
            Some(langs)
        }
    };
    let stdin = file.as_os_str() == "-";
    let shown = if stdin { "standard input".to_owned() } else { file.display().to_string() };
    let bytes = if stdin {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).map_err(|e| format!("cannot read standard input: {e}"))?;
        b
    } else {
        std::fs::read(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("cannot read {}: there is no such file", file.display()),
            _ => format!("cannot read {}: {e}", file.display()),
        })?
    };
    let source = if stdin {
        shown.clone()
    } else {
        file.file_name().map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned())
    };
    let imported = import::Import::read(&bytes, id, &source, languages).map_err(|e| format!("{shown} {e}"))?;
    let draft = imported.draft();
    let text = match format {
        Format::Toml => draft.text,
        Format::Json => imported.report_json() + "\n",
    };
    match out {
        Some(path) => {
            if path.exists() && !force {
                return Err(format!(
                    "{} already exists: choose another --out, or add --force to overwrite it",
                    path.display()
                ));
            }
            std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        None => std::io::stdout().write_all(text.as_bytes()).map_err(|e| format!("cannot write the draft: {e}"))?,
    }
    let categories: Vec<&str> = imported.categories().iter().map(|c| c.id()).collect();
    let check = out.map_or_else(|| "the saved draft".into(), |p| p.display().to_string());
    eprintln!(
        "kelisim: drafted site `{id}` from {source} ({}): categories {}; {} TODO{} left for a person to fill in (`kelisim site check {check}` lists them)",
        imported.language().code(),
        categories.join(", "),
        draft.todos.len(),
        if draft.todos.len() == 1 { "" } else { "s" },
    );
    for w in imported.warnings() {
        eprintln!("kelisim: warning: {w}");
    }
    Ok(())
}

struct ServeArgs {
    sites: PathBuf,
    data: PathBuf,
    listen: String,
    demo: bool,
    trust_proxy: bool,
    rate_limit: u32,
    rate_burst: u32,
    writer: log::WriterConfig,
    limits: http::Limits,
}

fn serve(a: ServeArgs) -> Result<(), String> {
    let mut sites = sites::Sites::load(&a.sites).map_err(|e| match e {
        sites::SitesError::Invalid(errors) => format!("refusing to start: invalid site policy file\n{errors}"),
        e => format!("refusing to start: {e}"),
    })?;
    let (store, conn) = store::Store::open(&a.data).map_err(|e| format!("refusing to start: {e}"))?;
    let key = log::key::load_or_create(&a.data).map_err(|e| format!("refusing to start: {e}"))?;
    let listener = std::net::TcpListener::bind(&a.listen).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("cannot listen on {}: the address is already in use (is another kelisim running?)", a.listen)
        }
        _ => format!("cannot listen on {}: {e}", a.listen),
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if a.demo {
        let mut own = vec![format!("http://{addr}")];
        if addr.ip().is_loopback() {
            own.push(format!("http://localhost:{}", addr.port()));
        }
        tracing::warn!(origins = ?own, "demo mode: serving /demo/ and accepting consents from this server's own origin for every site");
        sites.allow_extra_origins(&own);
    }
    let now = clock::now_rfc3339();
    for s in sites.iter() {
        store::record_config(&conn, &s.config, &s.config_json, &now).map_err(|e| format!("refusing to start: {e}"))?;
        tracing::info!(site = %s.config.site, version = %&s.config.version[..12], "serving site");
        if !s.policy.review.is_empty() {
            // What `kelisim scan --write-policy` found is neither gated nor deleted until a
            // person moves it into a category.
            tracing::warn!(site = %s.config.site, items = s.policy.review.len(), "the site policy has items awaiting review (`kelisim site check` lists them)");
        }
    }
    let metrics = Arc::new(metrics::Metrics::default());
    let ids: Vec<String> = sites.iter().map(|s| s.config.site.clone()).collect();
    let mut wcfg = a.writer;
    wcfg.retention = sites.iter().map(|s| (s.config.site.clone(), s.policy.retention_days)).collect();
    store.start_wal_checkpointer(&conn).map_err(|e| format!("refusing to start: {e}"))?;
    let writer =
        log::Writer::start(conn, key, &ids, wcfg, metrics.clone()).map_err(|e| format!("refusing to start: {e}"))?;
    let store = Arc::new(store);
    let ingest =
        ingest::Ingest::new(Arc::new(sites), store, writer, metrics).map_err(|e| format!("refusing to start: {e}"))?;
    // Printed on stdout so that scripts and tests can find the port when listening on :0.
    println!("kelisim listening on http://{addr}");
    let admin = admin::Admin::open(&a.data.join(store::DB_FILE)).map_err(|e| format!("refusing to start: {e}"))?;
    let opts = http::ServeOptions {
        listener,
        admin,
        demo: a.demo,
        trust_proxy: a.trust_proxy,
        rate_limit: a.rate_limit,
        rate_burst: a.rate_burst,
        limits: a.limits,
    };
    actix_web::rt::System::new()
        .block_on(http::serve(Arc::new(ingest), opts))
        .map_err(|e| format!("server stopped: {e}"))
}

/// Opens the data directory of an existing installation (never creates one).
fn open_existing(data: &std::path::Path) -> Result<(store::Store, rusqlite::Connection), String> {
    if !data.join(store::DB_FILE).exists() {
        return Err(format!("{} holds no Kelisim database ({})", data.display(), store::DB_FILE));
    }
    store::Store::open(data).map_err(|e| e.to_string())
}

fn log_checkpoint(data: &std::path::Path) -> Result<(), String> {
    let (store, conn) = open_existing(data)?;
    let key = log::key::load_or_create(data).map_err(|e| e.to_string())?;
    for cp in log::checkpoint_all(&store, conn, key).map_err(|e| e.to_string())? {
        println!("{}", cp.note);
    }
    Ok(())
}

fn log_verify(data: &std::path::Path, only: Option<&str>, quick: bool) -> Result<(), String> {
    let (_store, conn) = open_existing(data)?;
    let key = log::key::load_or_create(data).map_err(|e| e.to_string())?.verifier();
    let mut sites: Vec<String> = {
        let mut st = conn.prepare("SELECT site FROM log_sites ORDER BY site").map_err(|e| e.to_string())?;
        let rows = st.query_map([], |r| r.get(0)).map_err(|e| e.to_string())?;
        rows.collect::<Result<_, _>>().map_err(|e| e.to_string())?
    };
    if let Some(site) = only {
        if !sites.iter().any(|s| s == site) {
            return Err(format!("the log holds no site `{site}` (it has: {})", sites.join(", ")));
        }
        sites.retain(|s| s == site);
    }
    for site in &sites {
        match log::audit::verify_and_record(&conn, site, &key, !quick) {
            Ok(a) => println!("site {site}: intact, {a}"),
            Err(e) => return Err(format!("NOT intact: {e}")),
        }
    }
    if sites.is_empty() {
        println!("the log is empty");
    }
    Ok(())
}

fn log_key(data: &std::path::Path) -> Result<(), String> {
    let key = log::key::load_or_create(data).map_err(|e| e.to_string())?;
    println!("{}", key.verifier().to_text());
    Ok(())
}

fn export_cmd(
    site: &str,
    from: Option<&str>,
    to: Option<&str>,
    out: &std::path::Path,
    data: &std::path::Path,
) -> Result<(), String> {
    if out.exists() {
        return Err(format!("{} already exists; choose a new file for the bundle", out.display()));
    }
    let (store, conn) = open_existing(data)?;
    let key = log::key::load_or_create(data).map_err(|e| e.to_string())?;
    // A second handle on the same key: the first goes to the checkpoint writer; this one signs files.sig.
    let signer = log::key::load_or_create(data).map_err(|e| e.to_string())?;
    // The bundle proves the log up to this moment: every export signs a checkpoint first
    // (docs/architecture.md §1, "Export and verification").
    log::checkpoint_all(&store, conn, key).map_err(|e| format!("cannot sign a checkpoint for the export: {e}"))?;
    let summary = export::run(store.path(), site, from, to, &signer, out).map_err(|e| e.to_string())?;
    admin::auth::Accounts::open(store.path())
        .and_then(|a| a.record("cli", "export", &export::describe(site, from, to, &summary)))
        .map_err(|e| format!("the bundle is written but the audit trail entry failed: {e}"))?;
    println!(
        "exported {} records of site {site} (seq {}–{}, log of {} records, {} checkpoints) to {}",
        summary.events,
        summary.first_seq.unwrap_or(0),
        summary.last_seq.unwrap_or(0),
        summary.tree_size,
        summary.checkpoints,
        out.display()
    );
    Ok(())
}

fn backup(data: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    if out.exists() {
        return Err(format!("{} already exists; choose a new file for the backup", out.display()));
    }
    let (store, _conn) = open_existing(data)?;
    store.backup(out).map_err(|e| format!("backup failed: {e}"))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!("backed up {} to {} ({size} bytes)", store.path().display(), out.display());
    println!(
        "the checkpoint signing key ({}) is not in the backup: keep a copy of it somewhere safe",
        log::key::KEY_FILE
    );
    Ok(())
}
