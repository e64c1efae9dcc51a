//! A small, bounded HTTP/1.1 load generator for `cargo xtask bench server`.
//!
//! Why not oha or wrk: every consent POST must carry a fresh `event_id` (a repeated one is
//! answered from the log without a write), so the body is a template whose `{event_id}` and
//! `{consent_id}` are filled per request. Each connection is a keep-alive HTTP/1.1 connection;
//! the generator runs on one thread so that it takes at most one of the machine's cores.
//!
//! ```text
//! kelisim-load template --config URL --out FILE            # a consent event template for the site
//! kelisim-load run --url URL --body FILE [--header 'k: v']… --concurrency C --seconds S
//!                  [--rate R] [--max-requests N] [--random-ids | --v7-ids]
//! ```
//! `run` prints one JSON line: requests, statuses, errors, seconds, rps, p50/p90/p99/max in ms.
//! With `--rate`, requests are scheduled at R per second (open loop) and latency is measured
//! from the scheduled time, so a stalled server shows up in p99 (no coordinated omission).
//! Only 127.0.0.1 targets are accepted.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Run {
    url: String,
    body: String,
    headers: Vec<(String, String)>,
    concurrency: usize,
    seconds: f64,
    rate: Option<f64>,
    max_requests: u64,
    /// Random (UUID v4-like) ids, as real visitors' widgets send, instead of ids that follow
    /// one another within a run (which land next to each other in the server's indexes).
    random_ids: bool,
    /// UUID v7 ids (a millisecond timestamp, then random bits), as the widget makes them now.
    v7_ids: bool,
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("template") => template(&args),
        Some("run") => parse_run(&args).and_then(run),
        _ => Err("usage: kelisim-load template --config URL --out FILE | run --url URL --body FILE …".into()),
    };
    if let Err(e) = result {
        eprintln!("kelisim-load: {e}");
        std::process::exit(1);
    }
}

fn loopback_only(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://127.0.0.1:").ok_or("only http://127.0.0.1:PORT targets are allowed")?;
    let (port, path) = rest.split_once('/').map(|(p, r)| (p, format!("/{r}"))).unwrap_or((rest, "/".into()));
    Ok((format!("127.0.0.1:{port}"), path))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// GETs a site config and writes a consent event template for it (reject_all: the required
/// category only).
fn template(args: &[String]) -> Result<(), String> {
    let url = arg(args, "--config").ok_or("--config URL")?;
    let out = arg(args, "--out").ok_or("--out FILE")?;
    let (addr, path) = loopback_only(url)?;
    let body = tokio::task::LocalSet::new().block_on(&rt(), async {
        let mut conn = Conn::open(&addr).await?;
        let req = Request::get(path).header("host", &addr).body(Full::new(Bytes::new())).map_err(|e| e.to_string())?;
        let (status, body) = conn.send(req).await?;
        if status != 200 {
            return Err(format!("GET {url}: {status}"));
        }
        Ok::<_, String>(body)
    })?;
    let cfg: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let required = cfg["categories"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["required"] == true))
        .and_then(|c| c["id"].as_str())
        .ok_or("the config has no required category")?;
    let ev = serde_json::json!({
        "consent_id": "{consent_id}", "event_id": "{event_id}", "config_version": cfg["version"],
        "action": "reject_all", "granted": [required], "language": "kk", "gpc": false,
        "page": format!("{}/", cfg["policy_url"].as_str().unwrap_or("https://example.kz").trim_end_matches('/')),
    });
    std::fs::write(out, ev.to_string()).map_err(|e| format!("{out}: {e}"))
}

fn parse_run(args: &[String]) -> Result<Run, String> {
    let num = |name: &str, default: f64| -> Result<f64, String> {
        arg(args, name).map(|v| v.parse::<f64>().map_err(|_| format!("{name}: not a number"))).unwrap_or(Ok(default))
    };
    let body_file = arg(args, "--body");
    let body = match body_file {
        Some(f) => std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?,
        None => String::new(),
    };
    let headers = args
        .windows(2)
        .filter(|w| w[0] == "--header")
        .filter_map(|w| w[1].split_once(':').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let seconds = num("--seconds", 5.0)?;
    if !(0.1..=120.0).contains(&seconds) {
        return Err("--seconds must be between 0.1 and 120".into());
    }
    Ok(Run {
        url: arg(args, "--url").ok_or("--url URL")?.to_owned(),
        body,
        headers,
        concurrency: (num("--concurrency", 16.0)? as usize).clamp(1, 1024),
        seconds,
        rate: arg(args, "--rate")
            .map(|r| r.parse::<f64>().map_err(|_| "--rate: not a number".to_string()))
            .transpose()?,
        max_requests: num("--max-requests", 2_000_000.0)? as u64,
        random_ids: args.iter().any(|a| a == "--random-ids"),
        v7_ids: args.iter().any(|a| a == "--v7-ids"),
    })
}

struct Conn(hyper::client::conn::http1::SendRequest<Full<Bytes>>);

impl Conn {
    async fn open(addr: &str) -> Result<Conn, String> {
        let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (send, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
        Ok(Conn(send))
    }
    async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
        self.0.ready().await.map_err(|e| e.to_string())?;
        let resp = self.0.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    }
}

/// Unique lowercase UUID-shaped ids: a random prefix per run and a counter, or (`random`)
/// that counter scrambled into all 122 free bits, like the v4 ids real widgets make.
struct Ids {
    prefix: u64,
    next: AtomicU64,
    random: bool,
    /// UUID v7 (time-ordered), as the widget sends since it makes them.
    v7: bool,
}

/// SplitMix64's finalizer: a bijection on u64, so distinct counters give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Ids {
    fn new(random: bool, v7: bool) -> Ids {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let prefix = (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32);
        Ids { prefix, next: AtomicU64::new(1), random, v7 }
    }
    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let p = self.prefix;
        if self.v7 {
            // UUID v7 as today's widget makes them: 48 bits of Unix milliseconds, then random.
            let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis()
                as u64;
            let (a, b) = (mix(n ^ p), mix(n.wrapping_add(p.rotate_left(17))));
            return format!(
                "{:08x}-{:04x}-7{:03x}-{:x}{:03x}-{:012x}",
                (ms >> 16) & 0xffff_ffff,
                ms & 0xffff,
                a & 0xfff,
                8 | (b >> 62),
                (a >> 12) & 0xfff,
                b & 0xffff_ffff_ffff
            );
        }
        if self.random {
            // The counter's 64 scrambled bits fill the first three groups and the top of the
            // fourth (12 + 4 bits around the version nibble), another 56 bits the rest.
            let (a, b) = (mix(n ^ p), mix(n.wrapping_add(p.rotate_left(17))));
            return format!(
                "{:08x}-{:04x}-4{:03x}-{:x}{:x}{:02x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                (a >> 4) & 0xfff,
                8 | (b >> 62),
                a & 0xf,
                (b >> 48) & 0xff,
                b & 0xffff_ffff_ffff
            );
        }
        format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", p >> 32, (p >> 16) & 0xffff, p & 0xfff, (p >> 12) & 0xfff, n)
    }
}

fn run(r: Run) -> Result<(), String> {
    let (addr, path) = loopback_only(&r.url)?;
    let r = Arc::new(r);
    let ids = Arc::new(Ids::new(r.random_ids, r.v7_ids));
    let local = tokio::task::LocalSet::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(r.seconds);
    let sent = Arc::new(AtomicU64::new(0));
    let results = local.block_on(&rt(), async {
        let mut tasks = Vec::new();
        for worker in 0..r.concurrency {
            let (r, ids, sent, addr, path) = (r.clone(), ids.clone(), sent.clone(), addr.clone(), path.clone());
            tasks.push(tokio::task::spawn_local(async move {
                let mut lat: Vec<u32> = Vec::new();
                let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
                let mut errors = 0u64;
                let mut conn = Conn::open(&addr).await.ok();
                let mut j = 0u64;
                loop {
                    let scheduled = match r.rate {
                        Some(rate) => {
                            let k = j * r.concurrency as u64 + worker as u64;
                            let at = started + Duration::from_secs_f64(k as f64 / rate);
                            if at >= deadline {
                                break;
                            }
                            tokio::time::sleep_until(at.into()).await;
                            at
                        }
                        None => Instant::now(),
                    };
                    j += 1;
                    if scheduled >= deadline || sent.fetch_add(1, Ordering::Relaxed) >= r.max_requests {
                        break;
                    }
                    let body = r.body.replace("{event_id}", &ids.next()).replace("{consent_id}", &ids.next());
                    let mut req = Request::post(path.as_str())
                        .header("host", addr.as_str())
                        .header("content-type", "application/json");
                    for (k, v) in &r.headers {
                        req = req.header(k.as_str(), v.as_str());
                    }
                    let req = req.body(Full::new(Bytes::from(body))).expect("a valid request");
                    if conn.is_none() {
                        conn = Conn::open(&addr).await.ok();
                    }
                    let result = match conn.as_mut() {
                        Some(c) => c.send(req).await,
                        None => Err("no connection".into()),
                    };
                    match result {
                        Ok((status, _)) => {
                            *statuses.entry(status).or_default() += 1;
                            lat.push(scheduled.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        }
                        Err(_) => {
                            errors += 1;
                            conn = None;
                        }
                    }
                }
                (lat, statuses, errors)
            }));
        }
        let mut all = (Vec::new(), BTreeMap::new(), 0u64);
        for t in tasks {
            let (lat, statuses, errors) = t.await.expect("a load task");
            all.0.extend(lat);
            for (s, n) in statuses {
                *all.1.entry(s).or_insert(0u64) += n;
            }
            all.2 += errors;
        }
        all
    });
    let seconds = started.elapsed().as_secs_f64();
    let (mut lat, statuses, errors) = results;
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |v| f64::from(*v) / 1000.0)
    };
    let ok: u64 = statuses.iter().filter(|(s, _)| (200..300).contains(*s)).map(|(_, n)| n).sum();
    let out = serde_json::json!({
        "requests": lat.len(),
        "ok": ok,
        "statuses": statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "errors": errors,
        "seconds": seconds,
        "rps": ok as f64 / seconds,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": lat.last().map_or(0.0, |v| f64::from(*v) / 1000.0),
    });
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Ids;

    #[test]
    fn ids_are_lowercase_uuids_and_never_repeat() {
        for (random, v7) in [(false, false), (true, false), (false, true)] {
            let ids = Ids::new(random, v7);
            let version = if v7 { b'7' } else { b'4' };
            let mut seen = std::collections::HashSet::new();
            for _ in 0..100_000 {
                let id = ids.next();
                let b = id.as_bytes();
                assert_eq!(b.len(), 36, "{id}");
                for (i, c) in b.iter().enumerate() {
                    match i {
                        8 | 13 | 18 | 23 => assert_eq!(*c, b'-', "{id}"),
                        14 => assert_eq!(*c, version, "version nibble: {id}"),
                        19 => assert!(b"89ab".contains(c), "variant: {id}"),
                        _ => assert!(c.is_ascii_digit() || (b'a'..=b'f').contains(c), "{id}"),
                    }
                }
                assert!(seen.insert(id), "a repeated id");
            }
        }
    }
}
