//! TCP connect scan: non-blocking sockets driven by one epoll loop per
//! worker thread, so tens of thousands of ports cost a few syscalls each and
//! no task per port. Concurrency is bounded by the file-descriptor budget;
//! ports that time out are retried before being called filtered, so an open
//! port on a slow device is not missed.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// What the TCP connect scan probes and how hard.
#[derive(Debug, Clone)]
pub struct TcpScanConfig {
    /// The one address scanned.
    pub addr: IpAddr,
    /// Ports to scan.
    pub ports: Vec<u16>,
    /// Per-attempt connect deadline.
    pub timeout: Duration,
    /// Extra attempts for ports that timed out.
    pub retries: u32,
    /// Maximum connections in flight (all threads together).
    pub max_in_flight: usize,
    /// Maximum new connections per second (all threads together); `None` = unbounded.
    pub rate: Option<u32>,
    /// Worker threads, each with its own epoll loop.
    pub threads: usize,
}

/// What the TCP scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpScanResult {
    /// Ports that completed the handshake.
    pub open: Vec<u16>,
    /// Number of ports that answered with a reset.
    pub closed: u32,
    /// Ports that never answered (timeouts after all retries, or ICMP unreachable).
    pub filtered: Vec<u16>,
}

/// How many descriptors the scan may hold at once: the soft RLIMIT_NOFILE
/// less those already open and a margin for the rest of the process. Raising
/// the limit is the program's decision (the CLI does it at start), not a
/// library's, so this only reads it.
pub fn fd_budget() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        usize::try_from(lim.rlim_cur).unwrap_or(1024).min(1 << 20)
    } else {
        1024
    };
    let in_use = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(64);
    soft.saturating_sub(in_use + 128).max(16)
}

enum Outcome {
    Open,
    Closed,
    Filtered,
    /// Our side ran out of something (fds, ephemeral ports): try again later.
    Local,
}

fn classify(err: &io::Error) -> Outcome {
    match err.raw_os_error() {
        Some(libc::ECONNREFUSED) | Some(libc::ECONNRESET) => Outcome::Closed,
        Some(libc::EMFILE)
        | Some(libc::ENFILE)
        | Some(libc::ENOBUFS)
        | Some(libc::ENOMEM)
        | Some(libc::EADDRNOTAVAIL)
        | Some(libc::EAGAIN) => Outcome::Local,
        _ => Outcome::Filtered,
    }
}

struct Slot {
    stream: mio::net::TcpStream,
    port: u16,
    attempt: u32,
    generation: u64,
}

/// Scans `cfg.ports`, calling nothing and printing nothing; `done` counts
/// finished ports for a progress display, `cancel` stops early.
pub fn scan(
    cfg: &TcpScanConfig,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> io::Result<TcpScanResult> {
    let threads = cfg.threads.clamp(1, 16).min(cfg.ports.len().max(1));
    let mut shares: Vec<Vec<u16>> = vec![Vec::new(); threads];
    for (i, p) in cfg.ports.iter().enumerate() {
        if let Some(s) = shares.get_mut(i % threads) {
            s.push(*p);
        }
    }
    let per_in_flight = (cfg.max_in_flight / threads).max(1);
    let per_rate = cfg.rate.map(|r| (r as f64 / threads as f64).max(1.0));
    let results: Vec<io::Result<TcpScanResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|ports| s.spawn(move || worker(cfg, ports, per_in_flight, per_rate, done, cancel)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("scan worker panicked")))
            })
            .collect()
    });
    let mut out = TcpScanResult::default();
    for r in results {
        let r = r?;
        out.open.extend(r.open);
        out.closed += r.closed;
        out.filtered.extend(r.filtered);
    }
    out.open.sort_unstable();
    out.filtered.sort_unstable();
    Ok(out)
}

fn worker(
    cfg: &TcpScanConfig,
    ports: Vec<u16>,
    max_in_flight: usize,
    rate: Option<f64>,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> io::Result<TcpScanResult> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut slots: Vec<Option<Slot>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut pending: VecDeque<(u16, u32)> = ports.into_iter().map(|p| (p, 0)).collect();
    // Deadlines are pushed in launch order and all have the same length, so
    // the queue stays sorted.
    let mut deadlines: VecDeque<(Instant, usize, u64)> = VecDeque::new();
    let mut generation: u64 = 0;
    let mut in_flight = 0usize;
    let mut limit = max_in_flight;
    let mut out = TcpScanResult::default();
    let domain = match cfg.addr {
        IpAddr::V4(_) => Domain::IPV4,
        IpAddr::V6(_) => Domain::IPV6,
    };
    let started = Instant::now();
    let mut launched: u64 = 0;

    let mut finish = |out: &mut TcpScanResult, port: u16, o: Outcome| {
        match o {
            Outcome::Open => out.open.push(port),
            Outcome::Closed => out.closed += 1,
            Outcome::Filtered | Outcome::Local => out.filtered.push(port),
        }
        done.fetch_add(1, Ordering::Relaxed);
    };

    loop {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let mut rate_wait: Option<Duration> = None;
        while in_flight < limit {
            let Some((port, attempt)) = pending.pop_front() else {
                break;
            };
            if let Some(r) = rate {
                let allowed_at = started + Duration::from_secs_f64(launched as f64 / r);
                let now = Instant::now();
                if allowed_at > now {
                    pending.push_front((port, attempt));
                    rate_wait = Some(allowed_at - now);
                    break;
                }
            }
            launched += 1;
            let target = SocketAddr::new(cfg.addr, port);
            let sock = match Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP)) {
                Ok(s) => s,
                Err(e) => {
                    if matches!(classify(&e), Outcome::Local) && in_flight > 0 {
                        limit = in_flight.max(1);
                        pending.push_front((port, attempt));
                        break;
                    }
                    return Err(e);
                }
            };
            match sock.connect(&target.into()) {
                Ok(()) => {
                    let o = check_connected(&sock);
                    retry_or_finish(
                        &mut pending,
                        &mut out,
                        &mut finish,
                        port,
                        attempt,
                        o,
                        cfg.retries,
                    );
                }
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
                    // On loopback (and any fast path) the SYN has usually been
                    // answered before connect() returns: the socket already holds
                    // the refusal or is connected. Reading that now spares the
                    // epoll registration round for most ports (under strace, a
                    // full loopback scan made two epoll_ctl calls per port, more
                    // than socket and connect together).
                    match sock.take_error() {
                        Ok(Some(err)) => {
                            retry_or_finish(
                                &mut pending,
                                &mut out,
                                &mut finish,
                                port,
                                attempt,
                                classify(&err),
                                cfg.retries,
                            );
                            continue;
                        }
                        Ok(None) if sock.peer_addr().is_ok() => {
                            let o = check_connected(&sock);
                            retry_or_finish(
                                &mut pending,
                                &mut out,
                                &mut finish,
                                port,
                                attempt,
                                o,
                                cfg.retries,
                            );
                            continue;
                        }
                        _ => {}
                    }
                    let std_stream: std::net::TcpStream = sock.into();
                    let mut stream = mio::net::TcpStream::from_std(std_stream);
                    let idx = free.pop().unwrap_or_else(|| {
                        slots.push(None);
                        slots.len() - 1
                    });
                    poll.registry()
                        .register(&mut stream, Token(idx), Interest::WRITABLE)?;
                    generation += 1;
                    if let Some(s) = slots.get_mut(idx) {
                        *s = Some(Slot {
                            stream,
                            port,
                            attempt,
                            generation,
                        });
                    }
                    deadlines.push_back((Instant::now() + cfg.timeout, idx, generation));
                    in_flight += 1;
                }
                Err(e) => match classify(&e) {
                    Outcome::Local => {
                        // Out of local resources: shrink the window and retry later.
                        limit = in_flight.max(1);
                        pending.push_back((port, attempt));
                        if in_flight == 0 {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        break;
                    }
                    o => finish(&mut out, port, o),
                },
            }
        }
        if in_flight == 0 && pending.is_empty() {
            break;
        }
        let now = Instant::now();
        let mut wait = deadlines
            .front()
            .map(|(d, _, _)| d.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(50));
        if let Some(r) = rate_wait {
            wait = wait.min(r);
        }
        if in_flight == 0
            && let Some(r) = rate_wait
        {
            std::thread::sleep(r);
            continue;
        }
        match poll.poll(&mut events, Some(wait)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for ev in events.iter() {
            let idx = ev.token().0;
            let Some(slot_ref) = slots.get_mut(idx) else {
                continue;
            };
            let Some(slot) = slot_ref.as_ref() else {
                continue;
            };
            let o = match slot.stream.take_error() {
                Ok(Some(e)) | Err(e) => classify(&e),
                Ok(None) => match slot.stream.peer_addr() {
                    Ok(_) => check_connected(&SockRef::from(&slot.stream)),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        if ev.is_write_closed() || ev.is_error() {
                            Outcome::Closed
                        } else {
                            continue;
                        }
                    }
                    Err(e) => classify(&e),
                },
            };
            if let Some(mut slot) = slot_ref.take() {
                let _ = poll.registry().deregister(&mut slot.stream);
                in_flight -= 1;
                free.push(idx);
                retry_or_finish(
                    &mut pending,
                    &mut out,
                    &mut finish,
                    slot.port,
                    slot.attempt,
                    o,
                    cfg.retries,
                );
            }
        }
        let now = Instant::now();
        while let Some(&(d, idx, g)) = deadlines.front() {
            if d > now {
                break;
            }
            deadlines.pop_front();
            let Some(slot_ref) = slots.get_mut(idx) else {
                continue;
            };
            if slot_ref.as_ref().map(|s| s.generation) != Some(g) {
                continue;
            }
            if let Some(mut slot) = slot_ref.take() {
                let _ = poll.registry().deregister(&mut slot.stream);
                in_flight -= 1;
                free.push(idx);
                if slot.attempt < cfg.retries {
                    pending.push_back((slot.port, slot.attempt + 1));
                } else {
                    finish(&mut out, slot.port, Outcome::Filtered);
                }
            }
        }
        // Recover the window slowly after a local shortage.
        if limit < max_in_flight {
            limit = (limit + 16).min(max_in_flight);
        }
    }
    Ok(out)
}

fn retry_or_finish(
    pending: &mut VecDeque<(u16, u32)>,
    out: &mut TcpScanResult,
    finish: &mut impl FnMut(&mut TcpScanResult, u16, Outcome),
    port: u16,
    attempt: u32,
    o: Outcome,
    retries: u32,
) {
    match o {
        Outcome::Local | Outcome::Filtered if attempt < retries => {
            pending.push_back((port, attempt + 1))
        }
        o => finish(out, port, o),
    }
}

/// A connection that completed: open, unless the kernel connected the
/// socket to itself (source port == destination port on loopback), which
/// says nothing about the target.
fn check_connected(sock: &Socket) -> Outcome {
    let local = sock.local_addr().ok().and_then(|a| a.as_socket());
    let peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
    // Reset instead of FIN so open ports leave no TIME_WAIT behind.
    let _ = sock.set_linger(Some(Duration::ZERO));
    match (local, peer) {
        (Some(l), Some(p)) if l == p => Outcome::Local,
        (_, Some(_)) => Outcome::Open,
        _ => Outcome::Closed,
    }
}
