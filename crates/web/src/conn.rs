//! The connection loop: HTTP/1.1 over TCP with the limits a public server
//! needs against slow or numerous clients.
//!
//! - A connection that has not sent a complete request head within
//!   [`ServeOptions::header_read_timeout`] is closed. The clock starts when
//!   the server waits for a head, so it covers a new connection, a client
//!   trickling header bytes (the clock is not reset by each byte) and an idle
//!   keep-alive connection between requests alike.
//! - At most [`ServeOptions::max_connections`] connections are served at
//!   once; further ones wait in the kernel's listen backlog rather than
//!   costing memory here.
//! - One client address holds at most
//!   [`ServeOptions::max_connections_per_address`] of them; beyond that a new
//!   connection is closed at once, so one address cannot take every slot.
//!
//! Only HTTP/1.1 is spoken: a TLS-terminating proxy in front speaks HTTP/2
//! to browsers, and HTTP/1's head timeout is the simplest complete defence
//! against slow clients.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::Semaphore;

use crate::front::App;

/// Connection limits for [`crate::serve_with`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Longest wait for a complete request head (new or idle keep-alive
    /// connection) before the connection is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold at once.
    pub max_connections_per_address: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_address: 128,
        }
    }
}

/// The unit one client is counted by: an IPv4 address, or the /64 an IPv6
/// client can choose its addresses from.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut seg = v6.segments();
            for s in seg.iter_mut().skip(4) {
                *s = 0;
            }
            IpAddr::V6(seg.into())
        }
    }
}

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One connection of an address, counted until dropped.
struct AddressSlot {
    counts: Counts,
    key: IpAddr,
}

impl AddressSlot {
    fn take(counts: &Counts, key: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut map = counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            counts: counts.clone(),
            key,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Serve `app` on `listener` with `opts` until `shutdown` completes, then
/// finish the requests in flight (idle connections are closed at once).
/// Handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: impl Into<App>,
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app: App = app.into();
    let slots = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let per_address: Counts = Arc::new(Mutex::new(HashMap::new()));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: back off
                    // instead of spinning, and keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = AddressSlot::take(
            &per_address,
            address_key(peer.ip()),
            opts.max_connections_per_address.max(1),
        ) else {
            tracing::debug!(%peer, "too many connections from this address; closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = builder.serve_connection(TokioIo::new(stream), app.for_peer(peer));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let m: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(m), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn address_slots_are_bounded_and_returned() {
        let counts: Counts = Arc::new(Mutex::new(HashMap::new()));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = AddressSlot::take(&counts, ip, 2).unwrap();
        let b = AddressSlot::take(&counts, ip, 2).unwrap();
        assert!(AddressSlot::take(&counts, ip, 2).is_none());
        drop(a);
        let c = AddressSlot::take(&counts, ip, 2);
        assert!(c.is_some());
        drop((b, c));
        assert!(counts.lock().unwrap().is_empty());
    }
}
