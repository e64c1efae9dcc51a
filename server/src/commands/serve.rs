//! `kelisim serve`: loads the sites, opens the store and the log (refusing to start over a
//! damaged one), and runs the HTTP server.

use crate::{admin, clock, http, ingest, log, metrics, reload, sites, store};
use anyhow::{anyhow, Context};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `kelisim serve`'s options.
#[derive(clap::Args)]
pub struct ServeOpts {
    /// Directory of site policy files (*.toml), one per site.
    #[arg(long, default_value = "sites")]
    pub sites: PathBuf,
    /// Data directory: the SQLite database (unless --database), the log's signing key.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Keep the data in this PostgreSQL database instead of the data directory's SQLite file
    /// (`postgres://user@host:port/db`): several instances with the same database and the same
    /// log key (`--log-key`, or the same data directory's key) write one log per site.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// The log's signing key file (default: `DATA/log-signing.key`, created if missing). Give
    /// every instance of one PostgreSQL database the same key.
    #[arg(long, value_name = "FILE")]
    pub log_key: Option<PathBuf>,
    /// Address to listen on. Port 0 picks a free port (the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8790")]
    pub listen: String,
    /// Serve the demo pages under /demo/ and accept consents from this server's own origin.
    #[arg(long)]
    pub demo: bool,
    /// Take client addresses from X-Forwarded-For (only behind your own reverse proxy).
    #[arg(long)]
    pub trust_proxy: bool,
    /// Consent POSTs allowed per second from one client address (0: no limit).
    #[arg(long, default_value_t = 10)]
    pub rate_limit: u32,
    /// Consent POSTs one client address may send at once before the rate applies.
    #[arg(long, default_value_t = 30)]
    pub rate_burst: u32,
    /// Seconds between signed checkpoints of each site's log (when it grew).
    #[arg(long, default_value_t = 60)]
    pub checkpoint_interval: u64,
    /// Events that may wait for the database; beyond it the server answers 503.
    #[arg(long, default_value_t = 8192)]
    pub queue: usize,
    /// Seconds a request body may take to arrive whole after its headers (then 408).
    #[arg(long, default_value_t = 10)]
    pub body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, default_value_t = 5)]
    pub keep_alive: u64,
    /// Connections one client address may hold open (0: no cap); with --trust-proxy, requests
    /// in progress per forwarded client address.
    #[arg(long, default_value_t = 64)]
    pub connections_per_address: u32,
    /// Seconds between looks at --sites for changed, added or removed files, served without a
    /// restart (0: only on SIGHUP).
    #[arg(long, default_value_t = 1)]
    pub watch_interval: u64,
    /// The Chromium the dashboard's "Check my site" scans with (default: $KELISIM_CHROMIUM,
    /// then /usr/bin/chromium and the usual places).
    #[arg(long)]
    pub chromium: Option<PathBuf>,
    /// Seconds between looks at the sites' scan schedules (for tests; a schedule is daily or
    /// weekly).
    #[arg(long, default_value_t = 60, hide = true)]
    pub scan_tick: u64,
    /// The most records one page of the dashboard's log looks through for a filter checked
    /// row by row (for tests, which cannot fill 200,000 records).
    #[arg(long, default_value_t = crate::admin::queries::SCAN, hide = true)]
    pub log_scan_window: i64,
}

const REFUSING: &str = "refusing to start";

pub fn serve(a: ServeOpts) -> anyhow::Result<()> {
    let writer = log::WriterConfig {
        queue: a.queue.max(1),
        checkpoint_interval: Duration::from_secs(a.checkpoint_interval.max(1)),
        ..Default::default()
    };
    let limits = http::Limits {
        body_timeout: Duration::from_secs(a.body_timeout.max(1)),
        keep_alive: Duration::from_secs(a.keep_alive),
        connections_per_address: a.connections_per_address,
    };
    let watch = Duration::from_secs(a.watch_interval);
    let mut sites = sites::Sites::load(&a.sites).map_err(|e| match e {
        sites::SitesError::Invalid(errors) => anyhow!("{REFUSING}: invalid site policy file\n{errors}"),
        e => anyhow!(e).context(REFUSING),
    })?;
    let (store, db) = open_database(&a.data, a.database.as_deref()).context(REFUSING)?;
    let key = match &a.log_key {
        Some(file) => log::key::load_file(file).context(REFUSING)?,
        None => log::key::load_or_create(&a.data).context(REFUSING)?,
    };
    let listener = std::net::TcpListener::bind(&a.listen).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            anyhow!("cannot listen on {}: the address is already in use (is another kelisim running?)", a.listen)
        }
        _ => anyhow!(e).context(format!("cannot listen on {}", a.listen)),
    })?;
    let addr = listener.local_addr()?;
    if a.demo {
        let mut own = vec![format!("http://{addr}")];
        if addr.ip().is_loopback() {
            own.push(format!("http://localhost:{}", addr.port()));
        }
        tracing::warn!(origins = ?own, "demo mode: serving /demo/ and accepting consents from this server's own origin for every site");
        sites.allow_extra_origins(&own);
    }
    let mut db = db;
    record_configs(&sites, &mut *db)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let ids: Vec<String> = sites.iter().map(|s| s.config.site.clone()).collect();
    let mut wcfg = writer;
    wcfg.retention = sites.iter().map(|s| (s.config.site.clone(), s.policy.retention_days)).collect();
    let writer = log::Writer::start(db, key, &ids, wcfg, metrics.clone()).context(REFUSING)?;
    let ingest = Arc::new(
        ingest::Ingest::new(Arc::new(sites), a.sites.clone(), Arc::new(store), writer, metrics).context(REFUSING)?,
    );
    // Printed on stdout so that scripts and tests can find the port when listening on :0.
    println!("kelisim listening on http://{addr}");
    let loc = ingest.store.location();
    let mut admin =
        admin::Admin::open(ingest.clone(), &loc, a.trust_proxy, a.log_scan_window.max(1), a.chromium.clone())
            .context(REFUSING)?;
    admin.widget = http::assets::widget_paths();
    let served = ingest.clone();
    let site = move |id: &str| served.sites().get(id).map(|s| (s.policy.clone(), s.path.display().to_string()));
    crate::scan::jobs::spawn_schedule(admin.scans.clone(), site, Duration::from_secs(a.scan_tick.max(1)));
    let opts = http::ServeOptions {
        listener,
        admin,
        demo: a.demo,
        trust_proxy: a.trust_proxy,
        rate_limit: a.rate_limit,
        rate_burst: a.rate_burst,
        limits,
    };
    if !watch.is_zero() {
        reload::watch(ingest.clone(), watch).context(REFUSING)?;
    }
    actix_web::rt::System::new()
        .block_on(async move {
            actix_web::rt::spawn(reload::on_hangup(ingest.clone()));
            http::serve(ingest, opts).await
        })
        .context("server stopped")
}

/// Every site's current config version, recorded (once) so that events can name it.
fn record_configs(sites: &sites::Sites, db: &mut dyn store::logdb::LogDb) -> anyhow::Result<()> {
    let now = clock::now_rfc3339();
    for s in sites.iter() {
        db.record_config(&s.config, &s.config_json, &now).context(REFUSING)?;
        tracing::info!(site = %s.config.site, version = %&s.config.version[..12], "serving site");
        if !s.policy.review.is_empty() {
            // What `kelisim scan --write-policy` found is neither gated nor deleted until a
            // person moves it into a category.
            tracing::warn!(site = %s.config.site, items = s.policy.review.len(), "the site policy has items awaiting review (`kelisim site check` lists them)");
        }
    }
    Ok(())
}

/// The store and the log writer's database: the SQLite file in `data` (with its WAL copied back
/// by a thread of its own), or the PostgreSQL database at `url` (its schema brought up to date).
pub fn open_database(
    data: &std::path::Path,
    url: Option<&str>,
) -> anyhow::Result<(store::Store, Box<dyn store::logdb::LogDb>)> {
    Ok(match url {
        None => {
            let (store, conn) = store::Store::open(data)?;
            store.start_wal_checkpointer(&conn)?;
            (store, Box::new(store::logdb::SqliteLogDb::new(conn)))
        }
        Some(url) => {
            let (store, client) = store::Store::open_postgres(url)
                .with_context(|| format!("cannot use the PostgreSQL database {}", store::pg::redacted(url)))?;
            (store, Box::new(store::pg::PgLogDb::new(client, url)))
        }
    })
}
