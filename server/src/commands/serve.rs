//! `kelisim serve`: loads the sites, opens the store and the log (refusing to start over a
//! damaged one), and runs the HTTP server.

use crate::{admin, clock, http, ingest, log, metrics, reload, sites, store};
use anyhow::{anyhow, Context};
use std::path::PathBuf;
use std::sync::Arc;

pub struct ServeArgs {
    pub sites: PathBuf,
    pub data: PathBuf,
    pub listen: String,
    pub demo: bool,
    pub trust_proxy: bool,
    pub rate_limit: u32,
    pub rate_burst: u32,
    pub writer: log::WriterConfig,
    pub limits: http::Limits,
    /// How often `--sites` is looked at for changes (zero: only on SIGHUP).
    pub watch: std::time::Duration,
}

const REFUSING: &str = "refusing to start";

pub fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let mut sites = sites::Sites::load(&a.sites).map_err(|e| match e {
        sites::SitesError::Invalid(errors) => anyhow!("{REFUSING}: invalid site policy file\n{errors}"),
        e => anyhow!(e).context(REFUSING),
    })?;
    let (store, conn) = store::Store::open(&a.data).context(REFUSING)?;
    let key = log::key::load_or_create(&a.data).context(REFUSING)?;
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
    record_configs(&sites, &conn)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let ids: Vec<String> = sites.iter().map(|s| s.config.site.clone()).collect();
    let mut wcfg = a.writer;
    wcfg.retention = sites.iter().map(|s| (s.config.site.clone(), s.policy.retention_days)).collect();
    store.start_wal_checkpointer(&conn).context(REFUSING)?;
    let writer = log::Writer::start(conn, key, &ids, wcfg, metrics.clone()).context(REFUSING)?;
    let ingest = Arc::new(
        ingest::Ingest::new(Arc::new(sites), a.sites.clone(), Arc::new(store), writer, metrics).context(REFUSING)?,
    );
    // Printed on stdout so that scripts and tests can find the port when listening on :0.
    println!("kelisim listening on http://{addr}");
    let admin = admin::Admin::open(ingest.clone(), a.trust_proxy).context(REFUSING)?;
    let opts = http::ServeOptions {
        listener,
        admin,
        demo: a.demo,
        trust_proxy: a.trust_proxy,
        rate_limit: a.rate_limit,
        rate_burst: a.rate_burst,
        limits: a.limits,
    };
    if !a.watch.is_zero() {
        reload::watch(ingest.clone(), a.watch).context(REFUSING)?;
    }
    actix_web::rt::System::new()
        .block_on(async move {
            actix_web::rt::spawn(reload::on_hangup(ingest.clone()));
            http::serve(ingest, opts).await
        })
        .context("server stopped")
}

/// Every site's current config version, recorded (once) so that events can name it.
fn record_configs(sites: &sites::Sites, conn: &rusqlite::Connection) -> anyhow::Result<()> {
    let now = clock::now_rfc3339();
    for s in sites.iter() {
        store::record_config(conn, &s.config, &s.config_json, &now).context(REFUSING)?;
        tracing::info!(site = %s.config.site, version = %&s.config.version[..12], "serving site");
        if !s.policy.review.is_empty() {
            // What `kelisim scan --write-policy` found is neither gated nor deleted until a
            // person moves it into a category.
            tracing::warn!(site = %s.config.site, items = s.policy.review.len(), "the site policy has items awaiting review (`kelisim site check` lists them)");
        }
    }
    Ok(())
}
