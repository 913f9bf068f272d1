//! Looks inside TLS: completes a handshake without verifying the
//! certificate (the TLS module judges it), then asks HTTP and MQTT.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{
    IdentifyConfig, READ_CAP, http_get, http_service, is_mqtt_connack, mqtt_connect, mqtt_service,
};
use crate::report::{Service, ServiceKind};
use crate::transcript::Transcript;

fn connector() -> Option<tokio_rustls::TlsConnector> {
    let config = crate::tls::unverified_client_config(rustls::DEFAULT_VERSIONS).ok()?;
    Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// One TLS exchange: handshake, send, read a bounded reply.
async fn tls_exchange(
    addr: SocketAddr,
    send: &[u8],
    cfg: &IdentifyConfig,
    t: &mut Transcript,
) -> Result<(Vec<u8>, String), String> {
    let conn = connector().ok_or_else(|| "no TLS client configuration".to_string())?;
    let deadline = Instant::now() + cfg.step_timeout;
    let run = async {
        let tcp: TcpStream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::IpAddress(addr.ip().into());
        let mut tls = conn
            .connect(name, tcp)
            .await
            .map_err(|e| format!("tls handshake: {e}"))?;
        let version = tls
            .get_ref()
            .1
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        tls.write_all(send)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        let mut until = deadline;
        loop {
            match tokio::time::timeout_at(until, tls.read(&mut buf)).await {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    got.extend_from_slice(buf.get(..n).unwrap_or_default());
                    if got.len() >= READ_CAP {
                        got.truncate(READ_CAP);
                        break;
                    }
                    until = (Instant::now() + cfg.settle).min(deadline);
                }
            }
        }
        Ok::<_, String>((got, version))
    };
    let r = tokio::time::timeout_at(deadline, run)
        .await
        .unwrap_or_else(|_| Err("tls exchange timed out".into()));
    match &r {
        Ok((got, v)) => {
            t.note(&format!("inside TLS ({v})"));
            t.sent(send);
            t.received(got);
        }
        Err(e) => t.note(e),
    }
    r
}

/// Identifies what runs inside TLS on `addr`.
pub async fn inspect(addr: SocketAddr, cfg: &IdentifyConfig, t: &mut Transcript) -> Service {
    let get = http_get(addr, "/");
    let version;
    match tls_exchange(addr, &get, cfg, t).await {
        Ok((got, v)) => {
            version = Some(v.clone());
            if got.starts_with(b"HTTP/") {
                let mut s = http_service(ServiceKind::Https, &got, true, t, addr, cfg).await;
                s.details.insert("tls_version".into(), v);
                return s;
            }
        }
        Err(e) => {
            let mut s = Service::new(ServiceKind::Tls(Box::new(ServiceKind::Unknown)));
            s.details
                .insert("tls".into(), format!("detected; no modern handshake ({e})"));
            return s;
        }
    }
    if let Ok((got, v)) = tls_exchange(addr, &mqtt_connect(), cfg, t).await
        && is_mqtt_connack(&got)
    {
        let mut s = mqtt_service(ServiceKind::MqttTls, &got, true);
        s.details.insert("tls_version".into(), v);
        return s;
    }
    let mut s = Service::new(ServiceKind::Tls(Box::new(ServiceKind::Unknown)));
    if let Some(v) = version {
        s.details.insert("tls_version".into(), v);
    }
    s
}
