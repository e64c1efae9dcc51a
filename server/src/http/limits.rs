//! What keeps the server answering when clients hold connections open on purpose: a deadline
//! for the whole request body, and a cap on the connections (and, behind `--trust-proxy`, on
//! the requests in flight) of one client address. Slow headers are cut by actix's
//! `client_request_timeout` and idle connections by its keep-alive timeout; nothing in actix
//! bounds a body that arrives one byte every few seconds, so [`BodyDeadline`] does.

use crate::problem::Problem;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::rt::time::{sleep_until, Instant, Sleep};
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::future::LocalBoxFuture;
use futures_util::Stream;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Shutdown};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// Counts what one client address holds open (connections, or requests in flight) and refuses
/// more than `max`. An IPv6 client is counted by its /64, as the rate limit does.
pub struct PerAddress {
    max: u32,
    counts: Mutex<HashMap<IpAddr, u32>>,
}

/// One connection (or request) of an address; the count goes down when it is dropped.
pub struct Slot {
    of: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    /// `None` when `max` is 0 (no cap).
    pub fn new(max: u32) -> Option<Arc<PerAddress>> {
        (max > 0).then(|| Arc::new(PerAddress { max, counts: Mutex::new(HashMap::new()) }))
    }

    /// A slot for `ip`, or `None` when the address already holds `max`.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let key = super::ratelimit::key(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot { of: self.clone(), key })
    }

    #[cfg(test)]
    fn held(&self, ip: IpAddr) -> u32 {
        self.counts.lock().unwrap().get(&super::ratelimit::key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.of.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let std::collections::hash_map::Entry::Occupied(mut e) = counts.entry(self.key) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
    }
}

/// The socket of a connection, kept in its connection data so that a request whose body did
/// not arrive in time can end the connection it came on.
#[derive(Clone, Copy)]
pub struct ConnFd(RawFd);

/// `shutdown(2)` on a connection's socket, which its dispatcher still owns: after `Read`, its
/// next read sees the end of the stream, so the connection closes once the response is out.
#[allow(unsafe_code)]
fn shutdown(fd: RawFd, how: Shutdown) {
    use std::os::fd::FromRawFd;
    // SAFETY: `fd` is the socket of a live connection (its dispatcher owns the stream and is
    // running the request, or is being set up, while this is called); `ManuallyDrop` keeps this
    // borrowed handle from closing it.
    let s = std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) });
    let _ = s.shutdown(how);
}

/// What a connection from an address that already holds its share gets before it is closed.
const REFUSED: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/problem+json\r\n\
connection: close\r\nretry-after: 5\r\ncontent-length: 157\r\n\r\n\
{\"type\":\"https://kelisim.kz/problems/too-many-connections\",\"title\":\"Too many connections\",\"status\":429,\
\"detail\":\"this address has too many open connections\"}";

/// `HttpServer::on_connect`: notes the socket, and takes a slot of its peer address in
/// `connections`; a connection beyond the cap is answered `429` and shut at once, before it
/// costs more than its accept.
pub fn on_connect(
    connections: Option<Arc<PerAddress>>,
) -> impl Fn(&dyn std::any::Any, &mut Extensions) + Send + Sync + 'static {
    move |io, ext| {
        let Some(sock) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else { return };
        let fd = sock.as_raw_fd();
        ext.insert(ConnFd(fd));
        let (Some(connections), Ok(peer)) = (&connections, sock.peer_addr()) else { return };
        match connections.acquire(peer.ip()) {
            Some(slot) => {
                ext.insert(slot);
            }
            None => {
                let _ = sock.try_write(REFUSED);
                shutdown(fd, Shutdown::Both);
            }
        }
    }
}

/// Where a request's body stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Arriving,
    Whole,
    Late,
}

/// The middleware: every request body must arrive whole within `timeout` of its headers, and
/// with `per_client` no client address has more than its share of requests in flight.
pub struct BodyDeadline {
    pub timeout: Duration,
    /// Requests in flight per client address (as `AppState::client_ip` tells it): set behind
    /// `--trust-proxy`, where every connection comes from the proxy and the connection cap
    /// cannot tell clients apart.
    pub per_client: Option<Arc<PerAddress>>,
}

impl<S, B> Transform<S, ServiceRequest> for BodyDeadline
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = BodyDeadlineService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(BodyDeadlineService {
            service: Rc::new(service),
            timeout: self.timeout,
            per_client: self.per_client.clone(),
        }))
    }
}

pub struct BodyDeadlineService<S> {
    service: Rc<S>,
    timeout: Duration,
    per_client: Option<Arc<PerAddress>>,
}

impl<S, B> Service<ServiceRequest> for BodyDeadlineService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let slot = match &self.per_client {
            None => None,
            Some(per_client) => {
                let ip =
                    req.app_data::<actix_web::web::Data<super::AppState>>().and_then(|s| s.client_ip(req.request()));
                match ip.map(|ip| per_client.acquire(ip)) {
                    Some(None) => {
                        let p = Problem::new(
                            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                            "too-many-connections",
                            "Too many connections",
                            "this address has too many requests in progress",
                        )
                        .retry_after(5);
                        return Box::pin(std::future::ready(Ok(req.error_response(p).map_into_right_body())));
                    }
                    Some(slot) => slot,
                    None => None,
                }
            }
        };
        let payload = req.take_payload();
        if matches!(payload, Payload::None) {
            let fut = self.service.call(req);
            return Box::pin(async move {
                let res = fut.await;
                drop(slot);
                res.map(ServiceResponse::map_into_left_body)
            });
        }
        let state = Rc::new(Cell::new(Body::Arriving));
        let deadline = Instant::now() + self.timeout;
        let timed = Timed { inner: payload, deadline, sleep: None, state: state.clone() };
        let timed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(timed);
        req.set_payload(Payload::from(timed));
        let fd = req.conn_data::<ConnFd>().copied();
        let fut = self.service.call(req);
        Box::pin(async move {
            let res = fut.await;
            drop(slot);
            let body = state.get();
            let mut res = match res {
                Ok(r) if body == Body::Late && r.status() != actix_web::http::StatusCode::REQUEST_TIMEOUT => {
                    let (req, _) = r.into_parts();
                    ServiceResponse::from_err(Problem::request_timeout(), req).map_into_right_body()
                }
                Ok(r) => r.map_into_left_body(),
                Err(e) => return Err(e),
            };
            if body != Body::Whole {
                // A body the handler did not read to its end (refused early, or late): the
                // connection is not worth keeping, and actix would otherwise go on reading
                // what is left of a chunked one for as long as it trickles in.
                res.response_mut().head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
                if let Some(ConnFd(fd)) = fd {
                    shutdown(fd, Shutdown::Read);
                }
            }
            Ok(res)
        })
    }
}

/// A request body that ends in an error once its deadline has passed.
struct Timed {
    inner: Payload,
    deadline: Instant,
    /// Made the first time the body has to be waited for (most bodies come with their headers).
    sleep: Option<Pin<Box<Sleep>>>,
    state: Rc<Cell<Body>>,
}

impl Timed {
    fn late(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.state.set(Body::Late);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the request body did not arrive in time",
        )))))
    }
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.state.get() {
            Body::Whole | Body::Late => return Poll::Ready(None),
            Body::Arriving => {}
        }
        // Checked before each piece: a body that keeps trickling never waits, yet is cut too.
        if Instant::now() >= this.deadline {
            return this.late();
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(None) => {
                this.state.set(Body::Whole);
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Pending => {
                let deadline = this.deadline;
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(sleep_until(deadline)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => this.late(),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// Whether a payload error is the body deadline's.
pub fn is_late(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back() {
        let cap = PerAddress::new(2).unwrap();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b2: IpAddr = "2001:db8::2".parse().unwrap();
        let (s1, s2) = (cap.acquire(a).unwrap(), cap.acquire(a).unwrap());
        assert!(cap.acquire(a).is_none());
        let _t1 = cap.acquire(b).unwrap();
        let _t2 = cap.acquire(b2).unwrap();
        assert!(cap.acquire(b).is_none(), "one IPv6 /64 is one client");
        drop(s1);
        assert_eq!(cap.held(a), 1);
        let s3 = cap.acquire(a).unwrap();
        drop((s2, s3));
        assert_eq!(cap.held(a), 0);
        assert!(cap.counts.lock().unwrap().get(&a).is_none(), "an address with nothing open is forgotten");
        assert!(PerAddress::new(0).is_none());
    }

    #[test]
    fn the_refusal_is_a_whole_http_response() {
        let text = std::str::from_utf8(REFUSED).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let p: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(p["status"], 429);
    }
}
