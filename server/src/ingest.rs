//! Taking in a consent decision: the business rules between an HTTP request and the log.
//! Knows nothing of actix: the HTTP layer extracts [`RequestFacts`], calls [`Ingest::submit`],
//! awaits the [`PendingReceipt`] (answered by the log writer once the event is committed) and
//! maps [`IngestError`] to `problem+json`.

use crate::log::{AppendResult, Appended, Mailbox, SubmitError, Writer};
use crate::metrics::Metrics;
use crate::minimize;
use crate::sites::{Refusal, Sites};
use crate::store::{write::NewEvent, Receipt, Store, StoreError};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::config::Config;
use kelisim_shared::event::{ConsentRequest, EventError};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::oneshot;

/// What the server itself knows about a request, beyond its body.
pub struct RequestFacts {
    pub origin: Option<String>,
    pub peer_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub sec_gpc: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no site `{0}` on this server")]
    UnknownSite(String),
    #[error("origin {0} is not allowed to post consents for this site")]
    OriginNotAllowed(String),
    #[error("the request has no Origin header; consents are accepted from the site's pages only")]
    NoOrigin,
    #[error("the body is not a consent event: {0}")]
    Malformed(String),
    #[error("{0}")]
    Invalid(EventError),
    #[error("config version {0} was never served for this site")]
    UnknownConfigVersion(String),
    #[error("the consent log is busy; retry in a moment")]
    Overloaded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An event handed to the log writer; resolves once its batch is committed.
pub struct PendingReceipt(oneshot::Receiver<AppendResult>);

impl PendingReceipt {
    /// The receipt and whether the event is new (`false`: its consent id's `event_id` was logged before).
    pub async fn committed(self) -> Result<(Receipt, bool), IngestError> {
        let Appended { logged, created, event } = self.0.await.map_err(|_| StoreError::WriterGone)??;
        Ok((logged.receipt(event.record.consent_id), created))
    }
}

pub struct Ingest {
    /// The sites served now; replaced whole by [`Ingest::reload`].
    sites: RwLock<Arc<Sites>>,
    /// Where the sites come from (`serve --sites DIR`).
    pub sites_dir: PathBuf,
    pub store: Arc<Store>,
    pub writer: Writer,
    pub metrics: Arc<Metrics>,
    /// Every config version ever served for the sites, by site and version: an event is
    /// checked against the very texts its visitor saw, without a database read.
    versions: RwLock<HashMap<String, HashMap<String, Arc<Config>>>>,
    /// How many times the sites changed since start (what is derived from them, such as the
    /// loader, is rebuilt when it changes).
    generation: AtomicU64,
    /// The last reload's problems (files refused), empty when every file was taken; and the
    /// lock that runs one reload at a time.
    reloaded: Mutex<Reloaded>,
}

/// What the last reload of `--sites` found wrong.
#[derive(Clone, Debug, Default)]
pub struct Reloaded {
    /// When (RFC 3339 UTC).
    pub at: String,
    /// One per refused file (its problems, each with line, column and field), or a directory
    /// problem.
    pub problems: Vec<Refusal>,
}

impl Ingest {
    pub fn new(
        sites: Arc<Sites>,
        sites_dir: PathBuf,
        store: Arc<Store>,
        writer: Writer,
        metrics: Arc<Metrics>,
    ) -> Result<Ingest, StoreError> {
        let mut versions: HashMap<String, HashMap<String, Arc<Config>>> = HashMap::new();
        for (site, version, body) in store.config_versions()? {
            let config: Config = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("config version {version} of site {site}: {e}")))?;
            versions.entry(site).or_default().insert(version, Arc::new(config));
        }
        for s in sites.iter() {
            versions
                .entry(s.config.site.clone())
                .or_default()
                .insert(s.config.version.clone(), Arc::new(s.config.clone()));
        }
        Ok(Ingest {
            sites: RwLock::new(sites),
            sites_dir,
            store,
            writer,
            metrics,
            versions: RwLock::new(versions),
            generation: AtomicU64::new(0),
            reloaded: Mutex::new(Reloaded::default()),
        })
    }

    /// The sites served now.
    pub fn sites(&self) -> Arc<Sites> {
        self.sites.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes each time the sites change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// What the last reload refused, if anything.
    pub fn reloaded(&self) -> Reloaded {
        self.reloaded.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads `--sites DIR` again and serves what it holds now ([`Sites::reload`]): each new
    /// config version is recorded by the log writer (and a new site's log opened) before it is
    /// served, so an event can name it as soon as a visitor sees it; a refused file keeps its
    /// site's running version and is reported (logged, and shown on the dashboard). Returns
    /// whether the sites changed.
    pub fn reload(&self) -> bool {
        let mut reloaded = self.reloaded.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.sites();
        let (next, problems) = match current.reload(&self.sites_dir) {
            Ok(r) => r,
            Err(e) => ((*current).clone(), vec![Refusal::Other(e.to_string())]),
        };
        let mut problems = problems;
        let mut changed = next.iter().count() != current.iter().count();
        for s in next.iter() {
            let known = current.get(&s.config.site).is_some_and(|c| c.config.version == s.config.version);
            if known {
                continue;
            }
            changed = true;
            let site = crate::log::SiteConfig {
                config: s.config.clone(),
                config_json: s.config_json.clone(),
                retention_days: s.policy.retention_days,
            };
            if let Err(e) = self.writer.configure(site) {
                // Nothing is served that the log could not record: the running sites stay.
                tracing::error!(site = %s.config.site, error = %e, "cannot record a new site config; the running sites stay");
                problems.push(Refusal::Other(format!(
                    "site `{}`: the new version could not be recorded: {e}",
                    s.config.site
                )));
                *reloaded = Reloaded { at: crate::clock::now_rfc3339(), problems };
                return false;
            }
            self.versions
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(s.config.site.clone())
                .or_default()
                .insert(s.config.version.clone(), Arc::new(s.config.clone()));
            tracing::info!(site = %s.config.site, version = %&s.config.version[..12], "serving a new site config");
        }
        for gone in current.iter().filter(|c| next.get(&c.config.site).is_none()) {
            changed = true;
            tracing::warn!(site = %gone.config.site, "its site policy file is gone: the site no longer answers (its log stays)");
        }
        for p in &problems {
            tracing::warn!("site policy file refused: {p}");
        }
        if changed {
            *self.sites.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        *reloaded = Reloaded { at: crate::clock::now_rfc3339(), problems };
        changed
    }

    /// A config version once served for a site.
    pub fn config(&self, site: &str, version: &str) -> Option<Arc<Config>> {
        self.versions.read().unwrap_or_else(|e| e.into_inner()).get(site)?.get(version).cloned()
    }

    /// Checks the Origin of a request against the site (403 before anything else is read).
    pub fn check_origin(&self, site: &str, origin: Option<&str>) -> Result<(), IngestError> {
        let sites = self.sites();
        let s = sites.get(site).ok_or_else(|| IngestError::UnknownSite(site.to_owned()))?;
        match origin {
            None => Err(IngestError::NoOrigin),
            Some(o) if s.allows_origin(o) => Ok(()),
            Some(o) => Err(IngestError::OriginNotAllowed(o.chars().take(200).collect())),
        }
    }

    /// Validates one decision and hands it to the log writer. Nothing is acknowledged here: the
    /// [`PendingReceipt`] resolves only after the event is committed.
    /// `mailbox`: the calling thread's (see [`crate::log::Mailbox`]), if it has one.
    pub fn submit(
        &self,
        site: &str,
        body: &[u8],
        mut facts: RequestFacts,
        mailbox: Option<Mailbox>,
    ) -> Result<PendingReceipt, IngestError> {
        // Scheme and host are case-insensitive: compared and stored lowercased, as browsers send them.
        if let Some(o) = facts.origin.as_mut() {
            o.make_ascii_lowercase();
        }
        self.check_origin(site, facts.origin.as_deref())?;
        let sites = self.sites();
        let policy = &sites.get(site).ok_or_else(|| IngestError::UnknownSite(site.to_owned()))?.policy;
        let req: ConsentRequest = serde_json::from_slice(body).map_err(|e| IngestError::Malformed(e.to_string()))?;
        req.check_shape().map_err(IngestError::Invalid)?;
        let config = self.config_version(site, &req.config_version)?;
        req.fits(&config).map_err(IngestError::Invalid)?;
        // Granted ids in the config's display order, so equal decisions have equal bytes.
        let granted = config.categories.iter().filter(|c| req.granted.contains(&c.id)).map(|c| c.id.clone()).collect();
        let record = ConsentRecord {
            site: site.to_owned(),
            seq: 0,
            event_id: req.event_id,
            consent_id: req.consent_id,
            // Set by the log writer when it commits the event.
            recorded_at: String::new(),
            config_version: req.config_version,
            action: req.action,
            granted,
            language: req.language,
            gpc: req.gpc,
            sec_gpc: facts.sec_gpc,
            page: minimize::page(req.page.as_deref()),
            origin: facts.origin,
            ip: minimize::ip(facts.peer_ip, policy.ip_storage),
            user_agent: minimize::user_agent(facts.user_agent.as_deref()),
        };
        // The encoding, hashing and id parsing the log needs happen here, on this request's
        // thread, not on the one writer thread (`NewEvent`).
        match self.writer.append(NewEvent::new(record)?, mailbox) {
            Ok(rx) => Ok(PendingReceipt(rx)),
            Err(SubmitError::Full) => Err(IngestError::Overloaded),
            Err(SubmitError::Gone) => Err(IngestError::Store(StoreError::WriterGone)),
        }
    }

    fn config_version(&self, site: &str, version: &str) -> Result<Arc<Config>, IngestError> {
        self.config(site, version).ok_or_else(|| IngestError::UnknownConfigVersion(version.to_owned()))
    }
}
