//! Scans the server runs itself — from the dashboard (the Install page's "Check my site", the
//! Scan page's "Scan now") and on each site's schedule (daily or weekly, `run_due`): one at a
//! time, each on a thread of its own with the machine's Chromium, its report kept in the
//! `scans` table as `kelisim scan --data` keeps it, with who started it. A scan that could not
//! run is remembered (in memory, per site) so the pages can say why.
//!
//! Only pages of the site's own origins (or of this server, which serves the demo pages) are
//! scanned: the dashboard must not become a browser that fetches any address for whoever
//! holds an admin account.

use super::record::{self, ScanStore, Schedule};
use super::report::Report;
use super::{ScanError, Survey};
use crate::store::StoreError;
use kelisim_shared::policy::SitePolicy;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one page may take in a scan started from the dashboard.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// A scan under way.
#[derive(Clone, Debug)]
pub struct Running {
    pub site: String,
    pub url: String,
    pub since: Instant,
}

/// Why the last scan of a site could not run.
#[derive(Clone, Debug)]
pub struct Failure {
    pub url: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub error: Failed,
}

/// What went wrong, by kind: the dashboard says it in the page's language and shows
/// `detail` (the scanner's own words) beside it.
#[derive(Clone, Debug)]
pub enum Failed {
    NoChromium(String),
    Unreachable(String),
    Other(String),
}

#[derive(Default)]
struct State {
    running: Option<Running>,
    failed: HashMap<String, Failure>,
}

pub struct Jobs {
    /// Where the reports and schedules are kept (the server's own database).
    db: Arc<dyn ScanStore>,
    /// `serve --chromium`; `None`: `KELISIM_CHROMIUM`, then the usual places.
    chromium: Option<PathBuf>,
    state: Mutex<State>,
}

/// What `start` did.
#[derive(Debug)]
pub enum Started {
    Yes,
    /// Another scan is running; it is this one.
    Busy(Running),
}

impl Jobs {
    pub fn new(db: Arc<dyn ScanStore>, chromium: Option<PathBuf>) -> Jobs {
        Jobs { db, chromium, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The scan under way, if any (of any site).
    pub fn running(&self) -> Option<Running> {
        self.state().running.clone()
    }

    /// Why the last scan of `site` could not run, if it could not (cleared by the next one
    /// that does).
    pub fn failure(&self, site: &str) -> Option<Failure> {
        self.state().failed.get(site).cloned()
    }

    /// Sets (or removes) a site's schedule.
    pub fn set_schedule(&self, site: &str, s: Option<&Schedule>) -> Result<(), StoreError> {
        self.db.set_schedule(site, s)
    }

    /// Starts the scan of the first schedule that is due — never run, or last run a day or a
    /// week ago — unless a scan is running; `site` gives a served site's policy and its file
    /// (a schedule of a site no longer served waits). Called every minute by the server.
    pub fn run_due(self: &Arc<Self>, site: impl Fn(&str) -> Option<(SitePolicy, String)>) -> Result<(), StoreError> {
        if self.running().is_some() {
            return Ok(());
        }
        let now = time::OffsetDateTime::now_utc();
        let due = |s: &Schedule| match s.last_attempt_at.as_deref() {
            None => true,
            Some(at) => time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .map_or(true, |at| (now - at).whole_seconds() >= s.every.seconds()),
        };
        let schedules = self.db.schedules()?;
        for s in schedules.iter().filter(|s| due(s)) {
            let (Some((policy, shown)), Ok(url)) = (site(&s.site), url::Url::parse(&s.url)) else { continue };
            self.db.attempted(&s.site, &crate::clock::now_rfc3339())?;
            let pages = usize::try_from(s.pages).unwrap_or(1);
            self.start(policy, shown, url, pages, record::BY_SCHEDULE.into());
            break;
        }
        Ok(())
    }

    /// Starts a scan of up to `pages` pages from `start` against `policy`, unless one is
    /// running. Returns at once; the report lands in the `scans` table, started `by` an
    /// account (or the schedule).
    pub fn start(
        self: &Arc<Self>,
        policy: SitePolicy,
        shown: String,
        start: url::Url,
        pages: usize,
        by: String,
    ) -> Started {
        let running = Running { site: policy.id.clone(), url: start.to_string(), since: Instant::now() };
        {
            let mut st = self.state();
            if let Some(r) = &st.running {
                return Started::Busy(r.clone());
            }
            st.running = Some(running.clone());
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("kelisim-scan".into()).spawn(move || {
            let outcome = me.scan(&policy, shown, &start, pages, &by);
            let mut st = me.state();
            st.running = None;
            match outcome {
                Ok(()) => {
                    st.failed.remove(&policy.id);
                }
                Err(error) => {
                    tracing::warn!(site = %policy.id, "a scan from the dashboard could not run");
                    let failure = Failure { url: start.to_string(), at: crate::clock::now_rfc3339(), error };
                    st.failed.insert(policy.id.clone(), failure);
                }
            }
        });
        if spawned.is_err() {
            let mut st = self.state();
            st.running = None;
            let failure = Failure {
                url: running.url.clone(),
                at: crate::clock::now_rfc3339(),
                error: Failed::Other("the server could not start a thread for the scan".into()),
            };
            st.failed.insert(running.site, failure);
        }
        Started::Yes
    }

    fn scan(&self, policy: &SitePolicy, shown: String, start: &url::Url, pages: usize, by: &str) -> Result<(), Failed> {
        let chromium = super::chromium::locate(self.chromium.as_deref()).map_err(failed)?;
        let survey = Survey {
            start,
            policy: Some((policy, shown)),
            pages,
            timeout: PAGE_TIMEOUT,
            chromium: &chromium,
            progress: false,
        };
        let report: Report = survey.run().map_err(failed)?;
        record::insert(&*self.db, &policy.id, &report, Some(by))
            .map(drop)
            .map_err(|e| Failed::Other(format!("the report could not be stored: {}", e.detail())))
    }
}

/// Every `tick`, starts the first due scheduled scan ([`Jobs::run_due`]), on a thread of its
/// own for as long as the server runs; `site` gives a served site's policy and file.
pub fn spawn_schedule(
    jobs: Arc<Jobs>,
    site: impl Fn(&str) -> Option<(SitePolicy, String)> + Send + 'static,
    tick: Duration,
) {
    let spawned = std::thread::Builder::new().name("kelisim-scan-schedule".into()).spawn(move || loop {
        std::thread::sleep(tick);
        if jobs.run_due(&site).is_err() {
            tracing::warn!("the scan schedules could not be read");
        }
    });
    if spawned.is_err() {
        tracing::warn!("the scan schedule could not start: scheduled scans will not run");
    }
}

fn failed(e: ScanError) -> Failed {
    match e {
        ScanError::NoChromium(m) => Failed::NoChromium(m),
        ScanError::Unreachable(m) => Failed::Unreachable(m),
        ScanError::Browser(m) | ScanError::Usage(m) | ScanError::Write(m) => Failed::Other(m),
    }
}

/// Whether the dashboard may scan `url` for a site with `origins`, on a server reached at
/// `own` (which serves the demo pages): http(s), and one of those origins.
pub fn allowed(url: &url::Url, origins: &[String], own: &str) -> bool {
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let origin = url.origin().ascii_serialization();
    origins.iter().chain(std::iter::once(&own.to_owned())).any(|o| o.trim_end_matches('/') == origin)
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn only_the_sites_own_origins_and_this_server_are_scanned() {
        let origins = vec!["https://shop.kz".to_owned(), "https://www.shop.kz".to_owned()];
        let own = "http://127.0.0.1:8790";
        let ok = |u: &str| allowed(&url::Url::parse(u).unwrap(), &origins, own);
        assert!(ok("https://shop.kz/"));
        assert!(ok("https://www.shop.kz/catalog?x=1"));
        assert!(ok("http://127.0.0.1:8790/demo/shop/"));
        assert!(!ok("http://shop.kz/"), "another scheme is another origin");
        assert!(!ok("https://shop.kz.evil.example/"));
        assert!(!ok("http://169.254.169.254/latest/meta-data/"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("http://127.0.0.1:8791/"));
    }
}
