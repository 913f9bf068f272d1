//! A TCP connection to a login service, in clear or inside TLS.
//!
//! TLS accepts any certificate: the login test asks whether a guess is
//! accepted, not whether the device's certificate is trustworthy (the TLS
//! assessment answers that separately).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A connection to a login service, plain or wrapped in TLS.
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP; the server's certificate is not checked.
    Tls(Box<TlsStream<TcpStream>>),
}

/// Why a connection to a login service could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The TCP connection failed.
    #[error("{0}")]
    Tcp(io::Error),
    /// The TLS client could not be set up (a fault of this program, not
    /// of the device).
    #[error("TLS client setup: {0}")]
    TlsSetup(String),
    /// The TLS handshake failed.
    #[error("TLS handshake: {0}")]
    Handshake(io::Error),
}

fn connector() -> Result<tokio_rustls::TlsConnector, ConnectError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            crate::tls::unverified_client_config(rustls::DEFAULT_VERSIONS)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map(tokio_rustls::TlsConnector::from)
        .map_err(ConnectError::TlsSetup)
}

/// Connects to `addr`; with `tls`, completes a handshake, sending `host` as
/// the server name when it is a DNS name.
pub async fn connect(addr: SocketAddr, tls: bool, host: &str) -> Result<Stream, ConnectError> {
    let tcp = TcpStream::connect(addr).await.map_err(ConnectError::Tcp)?;
    let _ = tcp.set_nodelay(true);
    if !tls {
        return Ok(Stream::Plain(tcp));
    }
    let bare = host.rsplit_once(':').map_or(
        host,
        |(h, p)| if p.parse::<u16>().is_ok() { h } else { host },
    );
    let name = match ServerName::try_from(bare.to_string()) {
        Ok(n @ ServerName::DnsName(_)) => n,
        _ => ServerName::IpAddress(addr.ip().into()),
    };
    let s = connector()?
        .connect(name, tcp)
        .await
        .map_err(ConnectError::Handshake)?;
    Ok(Stream::Tls(Box::new(s)))
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
