//! A small pool of PostgreSQL connections for the server's reads and short writes (the log
//! writer keeps one connection of its own). Connections are opened on demand, returned when
//! the guard drops, and thrown away when the server closed them (a restart or failover of
//! PostgreSQL): the next caller opens a fresh one.

use super::{connect, StoreError};
use postgres::Client;
use std::sync::Mutex;

pub struct PgPool {
    url: String,
    idle: Mutex<Vec<Client>>,
    /// Most idle connections kept.
    keep: usize,
}

/// A connection from the pool; back to it on drop.
pub struct Pooled<'p> {
    pool: &'p PgPool,
    client: Option<Client>,
}

impl PgPool {
    pub fn new(url: &str) -> PgPool {
        PgPool { url: url.to_owned(), idle: Mutex::new(Vec::new()), keep: 16 }
    }

    /// The URL connections are opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// An idle connection, or a new one.
    pub fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let client = match idle.filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => connect(&self.url)?,
        };
        Ok(Pooled { pool: self, client: Some(client) })
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            // A connection left inside a transaction (a panic mid-way) or closed is not reused.
            if !c.is_closed() {
                let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < self.pool.keep {
                    idle.push(c);
                }
            }
        }
    }
}
