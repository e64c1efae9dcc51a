//! Taking in a consent decision: the business rules between an HTTP request and the log.
//! Knows nothing of actix: the HTTP layer extracts [`RequestFacts`], calls [`Ingest::submit`]
//! and maps [`IngestError`] to `problem+json`.

use crate::minimize;
use crate::sites::Sites;
use crate::store::{NewEvent, Receipt, Store, StoreError};
use kelisim_shared::canonical::ConsentRecord;
use kelisim_shared::config::Config;
use kelisim_shared::event::{ConsentRequest, EventError};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

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
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Ingest {
    pub sites: Arc<Sites>,
    pub store: Arc<Store>,
    /// Config versions already parsed from the store, by (site, version).
    versions: RwLock<HashMap<(String, String), Arc<Config>>>,
}

impl Ingest {
    pub fn new(sites: Arc<Sites>, store: Arc<Store>) -> Ingest {
        let mut versions = HashMap::new();
        for s in sites.iter() {
            versions.insert((s.config.site.clone(), s.config.version.clone()), Arc::new(s.config.clone()));
        }
        Ingest { sites, store, versions: RwLock::new(versions) }
    }

    /// Checks the Origin of a request against the site (403 before anything else is read).
    pub fn check_origin(&self, site: &str, origin: Option<&str>) -> Result<(), IngestError> {
        let s = self.sites.get(site).ok_or_else(|| IngestError::UnknownSite(site.to_owned()))?;
        match origin {
            None => Err(IngestError::NoOrigin),
            Some(o) if s.allows_origin(o) => Ok(()),
            Some(o) => Err(IngestError::OriginNotAllowed(o.chars().take(200).collect())),
        }
    }

    /// Validates and durably logs one decision. Returns the receipt, and whether it is new
    /// (`false`: the `event_id` was logged before and this is its original receipt).
    pub fn submit(&self, site: &str, body: &[u8], facts: RequestFacts, now: String) -> Result<(Receipt, bool), IngestError> {
        self.check_origin(site, facts.origin.as_deref())?;
        let policy = &self.sites.get(site).ok_or_else(|| IngestError::UnknownSite(site.to_owned()))?.policy;
        let req: ConsentRequest =
            serde_json::from_slice(body).map_err(|e| IngestError::Malformed(e.to_string()))?;
        req.check_shape().map_err(IngestError::Invalid)?;
        let config = self.config_version(site, &req.config_version)?;
        req.validate(&config).map_err(IngestError::Invalid)?;
        // Granted ids in the config's display order, so equal decisions have equal bytes.
        let granted = config.categories.iter().filter(|c| req.granted.contains(&c.id)).map(|c| c.id.clone()).collect();
        let record = ConsentRecord {
            site: site.to_owned(),
            seq: 0,
            event_id: req.event_id,
            consent_id: req.consent_id,
            recorded_at: now,
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
        let receipt_id = uuid::Uuid::new_v4().to_string();
        Ok(self.store.append(NewEvent { receipt_id, record })?)
    }

    fn config_version(&self, site: &str, version: &str) -> Result<Arc<Config>, IngestError> {
        let key = (site.to_owned(), version.to_owned());
        if let Some(c) = self.versions.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(c.clone());
        }
        let body = self
            .store
            .config_version(site, version)?
            .ok_or_else(|| IngestError::UnknownConfigVersion(version.to_owned()))?;
        let config: Arc<Config> = Arc::new(
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("config version {version}: {e}")))?,
        );
        self.versions.write().unwrap_or_else(|e| e.into_inner()).insert(key, config.clone());
        Ok(config)
    }
}
