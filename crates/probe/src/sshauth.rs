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

/// The methods offered after a `none` attempt; `none-accepted` if the
/// server let the client in without any credentials.
pub async fn auth_methods(addr: SocketAddr, deadline: Duration) -> Result<Vec<String>, String> {
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(deadline),
        ..Default::default()
    });
    let run = async {
        let mut handle = russh::client::connect(config, addr, AcceptAnyHostKey)
            .await
            .map_err(|e| format!("ssh handshake: {e}"))?;
        let r = handle
            .authenticate_none("root")
            .await
            .map_err(|e| format!("ssh none auth: {e}"))?;
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
        .map_err(|_| "ssh handshake timed out".to_string())?
}
