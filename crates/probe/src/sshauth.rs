//! SSH authentication methods the server offers, learnt by asking for the
//! `none` method (RFC 4252 §5.2): the failure reply lists what may continue.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct AcceptAnyHostKey;

impl russh::client::Handler for AcceptAnyHostKey {
    type Error = russh::Error;

    // The probe identifies the service; trusting the host key is not its question.
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Why an SSH exchange did not complete, as far as the next step cares:
/// a deadline is final, a hang-up may be the server's limit on
/// unauthenticated connections and worth one more try.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshFailure {
    /// Nothing completed before the deadline.
    #[error("no answer before the deadline")]
    TimedOut,
    /// The TCP connection was refused.
    #[error("connection refused")]
    Refused,
    /// The server closed or reset the connection; the library's words.
    #[error("the server hung up: {0}")]
    HungUp(String),
    /// The handshake or authentication failed in another way.
    #[error("{0}")]
    Protocol(String),
}

impl SshFailure {
    /// Sorts an error of the SSH library.
    pub fn from_russh(e: &russh::Error) -> SshFailure {
        use std::io::ErrorKind;
        match e {
            russh::Error::IO(io) => match io.kind() {
                ErrorKind::ConnectionRefused => SshFailure::Refused,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
                | ErrorKind::BrokenPipe => SshFailure::HungUp(e.to_string()),
                ErrorKind::TimedOut => SshFailure::TimedOut,
                _ => SshFailure::Protocol(e.to_string()),
            },
            russh::Error::Disconnect | russh::Error::HUP => SshFailure::HungUp(e.to_string()),
            russh::Error::ConnectionTimeout
            | russh::Error::InactivityTimeout
            | russh::Error::KeepaliveTimeout
            | russh::Error::Elapsed(_) => SshFailure::TimedOut,
            _ => SshFailure::Protocol(e.to_string()),
        }
    }
}

/// The methods offered after a `none` attempt; `none-accepted` if the
/// server let the client in without any credentials.
pub async fn auth_methods(addr: SocketAddr, deadline: Duration) -> Result<Vec<String>, SshFailure> {
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(deadline),
        ..Default::default()
    });
    let run = async {
        let mut handle = russh::client::connect(config, addr, AcceptAnyHostKey)
            .await
            .map_err(|e| SshFailure::from_russh(&e))?;
        let r = handle
            .authenticate_none("root")
            .await
            .map_err(|e| SshFailure::from_russh(&e))?;
        let methods = match r {
            russh::client::AuthResult::Success => vec!["none-accepted".to_string()],
            russh::client::AuthResult::Failure {
                remaining_methods, ..
            } => remaining_methods.iter().map(String::from).collect(),
        };
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        Ok(methods)
    };
    tokio::time::timeout(deadline, run)
        .await
        .map_err(|_| SshFailure::TimedOut)?
}
