//! What one client may hold of the server (docs/api.md, "Limits"): a body sent in pieces is read
//! whole and a late one refused, trickling bodies from one address neither starve others nor last,
//! and behind a proxy each forwarded client has its share of requests in progress.

use kelisim_tests::consent::{config, event, ORIGIN, SITE};
use kelisim_tests::{get, uuid, Kelisim};
use serde_json::{json, Value};

/// POSTs `body` with `Transfer-Encoding: chunked`, one chunk per part, pausing between them so
/// that the server reads them as separate pieces; returns the status and the response text.
fn send_chunked(k: &Kelisim, parts: &[&str]) -> (u16, String) {
    use std::io::{Read, Write};
    let url = k.url(&format!("/api/v1/sites/{SITE}/consents"));
    let host = url.strip_prefix("http://").unwrap().split('/').next().unwrap().to_owned();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    for part in parts {
        std::thread::sleep(std::time::Duration::from_millis(30));
        // The server may answer (413) and close before the last parts: that is its right.
        if write!(s, "{:x}\r\n{part}\r\n", part.len()).and_then(|_| s.flush()).is_err() {
            break;
        }
    }
    let _ = write!(s, "0\r\n\r\n");
    // Keep what arrived even if the read ends in a reset (the server closing on unread parts):
    // `read_to_end` leaves the bytes read before an error in the buffer.
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

#[test]
fn a_body_sent_in_pieces_is_read_whole_and_a_long_one_refused() {
    let k = Kelisim::start();
    let cfg = config(&k);
    let ev = event(&cfg, &uuid(), "reject_all", "ru").to_string();
    let (a, rest) = ev.split_at(7);
    let (b, c) = rest.split_at(rest.len() / 2);
    let (status, text) = send_chunked(&k, &[a, b, c]);
    assert_eq!(status, 201, "{text}");
    let receipt: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(receipt["seq"], json!(1));
    assert_eq!(k.count_events(SITE), 1);
    // No Content-Length to refuse it by: the limit holds while the pieces arrive.
    let mut long = event(&cfg, &uuid(), "reject_all", "ru");
    long["page"] = json!(format!("https://webpulse.kz/{}", "a".repeat(9_000)));
    let long = long.to_string();
    let (a, b) = long.split_at(5_000);
    let (status, text) = send_chunked(&k, &[a, b]);
    assert_eq!(status, 413, "{text}");
    assert_eq!(k.count_events(SITE), 1);
}

/// A connection to the server from `local`, any address of 127/8 (Linux routes all of it to
/// `lo`): another client address, as far as the server can tell.
fn connect_from(k: &Kelisim, local: &str) -> std::net::TcpStream {
    let server: std::net::SocketAddr = k.host().parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    let s = rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(format!("{local}:0").parse().unwrap()).unwrap();
        s.connect(server).await.unwrap().into_std().unwrap()
    });
    s.set_nonblocking(false).unwrap();
    s
}

/// Sends `request` (with `Connection: close`) from `local` and reads the answer; returns how
/// long it took, the status and the whole response.
fn exchange_from(k: &Kelisim, local: &str, request: &str) -> (std::time::Duration, u16, String) {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let mut s = connect_from(k, local);
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (started.elapsed(), status, out)
}

/// The process id of a running server, found by its data directory on its command line.
fn server_pid(k: &Kelisim) -> u32 {
    let data = k.data.path().to_str().unwrap().to_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).split('\0').any(|a| a == data))
        })
        .expect("the server's process")
}

/// `Max open files` of a process: (soft, hard).
fn open_files_limit(pid: &str) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let mut f = line["Max open files".len()..].split_whitespace();
    (f.next().unwrap().to_owned(), f.next().unwrap().to_owned())
}

/// 300 clients of one address that send their headers, then a body byte every second or two
/// (a slowloris on the body): each holds a connection for as long as it likes unless the server
/// bounds the body's time and the connections of one address. The server runs with 256 file
/// descriptors, so 300 held connections would leave it none to accept anyone else with.
#[test]
fn trickling_bodies_from_one_address_neither_starve_others_nor_last() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    const TIMEOUT: u64 = 4;
    let k = Kelisim::start_with(
        &kelisim_tests::root().join("www/sites"),
        &["--demo", "--rate-limit", "0", "--body-timeout", &TIMEOUT.to_string()],
    )
    .unwrap_or_else(|e| panic!("kelisim did not start: {e}"));
    let pid = server_pid(&k).to_string();
    let limited = std::process::Command::new("prlimit")
        .args(["--pid", &pid, "--nofile=256:256"])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(limited.success());
    assert_eq!(open_files_limit(&pid), ("256".to_owned(), "256".to_owned()));
    // This process must be able to hold its 300 connections, or the attack would not happen.
    let (soft, _) = open_files_limit("self");
    assert!(soft == "unlimited" || soft.parse::<u64>().unwrap() >= 400, "ulimit -n of the test process is {soft}");

    let cfg = config(&k);
    let host = k.host();
    let started = Instant::now();
    let mut slow: Vec<Option<std::net::TcpStream>> = (0..300)
        .map(|i| {
            let mut s = std::net::TcpStream::connect(&host).unwrap_or_else(|e| panic!("connection {i}: {e}"));
            // A connection beyond the address's share may be closed before this is written.
            let _ = write!(s, "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{");
            s.set_nonblocking(true).unwrap();
            Some(s)
        })
        .collect();
    // And one that trickles a chunked body, from another address.
    let mut chunked = connect_from(&k, "127.0.0.3");
    write!(chunked, "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n").unwrap();
    chunked.set_nonblocking(true).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // Everyone else is answered at once: a health check, and a consent from another address.
    let (took, status, text) =
        exchange_from(&k, "127.0.0.2", &format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    assert_eq!(status, 200, "{text}");
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
    let ev = event(&cfg, &uuid(), "reject_all", "ru").to_string();
    let post = format!(
        "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ev}",
        ev.len()
    );
    let (took, status, text) = exchange_from(&k, "127.0.0.2", &post);
    assert_eq!(status, 201, "{text}");
    assert!(took < Duration::from_secs(1), "the consent POST took {took:?}");
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    assert!(fds < 200, "the server holds {fds} file descriptors");

    // Each slow body is cut: 408 once its time is up (or refused, or closed, at once).
    let (mut timed_out, mut refused, mut closed) = (0, 0, 0);
    let mut chunked_answer = String::new();
    let mut chunked_open = true;
    let mut last_byte = Instant::now() - Duration::from_secs(2);
    while started.elapsed() < Duration::from_secs(TIMEOUT + 3) && (slow.iter().any(Option::is_some) || chunked_open) {
        let trickle = last_byte.elapsed() >= Duration::from_secs(1);
        if trickle {
            last_byte = Instant::now();
            if chunked_open {
                let _ = chunked.write_all(b"1\r\n \r\n");
            }
        }
        for slot in slow.iter_mut() {
            let Some(s) = slot else { continue };
            let mut buf = [0u8; 512];
            match s.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if trickle {
                        let _ = s.write_all(b" ");
                    }
                    continue;
                }
                Ok(n) if buf[..n].starts_with(b"HTTP/1.1 408") => timed_out += 1,
                Ok(n) if buf[..n].starts_with(b"HTTP/1.1 429") => refused += 1,
                _ => closed += 1,
            }
            *slot = None;
        }
        if chunked_open {
            let mut buf = [0u8; 512];
            match chunked.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Ok(0) | Err(_) => chunked_open = false,
                Ok(n) => chunked_answer.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let open = slow.iter().filter(|s| s.is_some()).count();
    assert_eq!(
        open,
        0,
        "{open} slow bodies still open after {:?} ({timed_out} got 408, {refused} 429, {closed} closed)",
        started.elapsed()
    );
    assert!(timed_out > 0, "the connections the server took in got a 408 ({refused} 429, {closed} closed)");
    assert!(!chunked_open, "the chunked body's connection is still open");
    assert!(chunked_answer.starts_with("HTTP/1.1 408"), "{chunked_answer}");
    assert!(chunked_answer.contains("application/problem+json"), "{chunked_answer}");
    // And the server is still fine.
    assert_eq!(get(&k.url("/healthz"), &[]).status, 200);
}

/// Behind a reverse proxy every connection comes from the proxy: the cap is then on the requests
/// in progress of each client address the proxy names, not on the proxy's connections.
#[test]
fn behind_a_proxy_each_forwarded_client_has_its_share_of_requests_in_progress() {
    use std::io::Write;
    let k = Kelisim::start_with(
        &kelisim_tests::root().join("www/sites"),
        &["--demo", "--rate-limit", "0", "--trust-proxy", "--connections-per-address", "2", "--body-timeout", "5"],
    )
    .unwrap_or_else(|e| panic!("kelisim did not start: {e}"));
    let cfg = config(&k);
    let host = k.host();
    let slow = |client: &str| {
        let mut s = std::net::TcpStream::connect(&host).unwrap();
        write!(s, "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nX-Forwarded-For: {client}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{").unwrap();
        s
    };
    let _held = [slow("203.0.113.9"), slow("203.0.113.9")];
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ev = event(&cfg, &uuid(), "reject_all", "ru").to_string();
    let post = |client: &str| {
        format!(
            "POST /api/v1/sites/{SITE}/consents HTTP/1.1\r\nHost: {host}\r\nOrigin: {ORIGIN}\r\nX-Forwarded-For: {client}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ev}",
            ev.len()
        )
    };
    let (_, status, text) = exchange_from(&k, "127.0.0.1", &post("203.0.113.9"));
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("application/problem+json") && text.contains("too many requests in progress"), "{text}");
    let (_, status, text) = exchange_from(&k, "127.0.0.1", &post("198.51.100.7"));
    assert_eq!(status, 201, "another client behind the same proxy is served: {text}");
}
