//! A tiny static web server on 127.0.0.1 for test pages: the "site" that embeds Kelisim, on an
//! origin of its own (as a real site is), so the widget talks to the Kelisim server cross-origin.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub struct PageServer {
    pub origin: String,
    pages: Arc<Mutex<HashMap<String, String>>>,
    /// Extra response header lines per path (e.g. `Set-Cookie: …`).
    headers: Arc<Mutex<HashMap<String, String>>>,
}

impl PageServer {
    /// Serves `pages` (path → body); the content type follows the extension.
    pub fn start(pages: Vec<(&str, String)>) -> PageServer {
        PageServer::start_on("127.0.0.1", pages)
    }

    /// The same on another loopback address (e.g. `127.0.0.2`): another site, a third party
    /// to pages served from 127.0.0.1.
    pub fn start_on(ip: &str, pages: Vec<(&str, String)>) -> PageServer {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let pages: Arc<Mutex<HashMap<String, String>>> =
            Arc::new(Mutex::new(pages.into_iter().map(|(p, b)| (p.to_owned(), b)).collect()));
        let served = pages.clone();
        let headers: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let extra_headers = headers.clone();
        std::thread::spawn(move || {
            let pages = served;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let pages = pages.clone();
                let extra_headers = extra_headers.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                            break;
                        }
                    }
                    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
                    let path = path.split('?').next().unwrap_or("/");
                    let found = pages.lock().unwrap().get(path).cloned();
                    let extra = extra_headers.lock().unwrap().get(path).cloned().unwrap_or_default();
                    let (status, body) = match &found {
                        Some(b) => ("200 OK", b.as_str()),
                        None => ("404 Not Found", "not found"),
                    };
                    let ct = match path.rsplit('.').next() {
                        Some("js") => "text/javascript",
                        Some("svg") => "image/svg+xml",
                        _ => "text/html; charset=utf-8",
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{extra}Connection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        PageServer { origin, pages, headers }
    }

    /// Adds a response header to a page (`"Set-Cookie: a=1; Path=/"`).
    pub fn add_header(&self, path: &str, line: &str) {
        self.headers.lock().unwrap().entry(path.to_owned()).or_default().push_str(&format!("{line}\r\n"));
    }

    /// Adds or replaces a page.
    pub fn set(&self, path: &str, body: String) {
        self.pages.lock().unwrap().insert(path.to_owned(), body);
    }
}
