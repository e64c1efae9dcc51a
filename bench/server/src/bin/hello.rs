//! The baseline of `cargo xtask bench server`: an actix-web "hello world" handler with the same
//! actix-web build and worker count as `kelisim serve`. It reads the request body (as the
//! consent handler must) and answers a constant. Listens on 127.0.0.1 only.

use actix_web::{web, App, HttpResponse, HttpServer};

async fn hello(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("Hello world!")
}

fn main() -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("hello listening on http://{}", listener.local_addr()?);
    actix_web::rt::System::new()
        .block_on(HttpServer::new(|| App::new().route("/", web::to(hello))).listen(listener)?.run())
}
