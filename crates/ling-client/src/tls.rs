//! TLS on the client: the same trust as the HTTP side (the OS's certificate
//! verifier, via rustls-platform-verifier) for the WebSocket, and, when a
//! server's certificate is refused, its SHA-256 fingerprint, so a person can
//! compare it with the one their administrator gave them.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, aws_lc_rs, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Url;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

/// The client TLS configuration for WebSockets: the platform's verifier.
pub(crate) fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .and_then(|b| b.with_platform_verifier())
                .map(|b| b.with_no_client_auth())
                .unwrap_or_else(|e| {
                    // Without the OS store, nothing verifies: every wss connection fails, visibly.
                    tracing::error!(error = %e, "the platform certificate verifier is unavailable");
                    ClientConfig::builder_with_provider(provider())
                        .with_safe_default_protocol_versions()
                        .expect("aws-lc-rs supports the default protocol versions")
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                });
            Arc::new(config)
        })
        .clone()
}

/// `AB:CD:...`: the SHA-256 of a DER certificate, as browsers show it.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The fingerprint of the certificate `url`'s server shows, read by a
/// handshake that accepts any certificate and then sends nothing.
pub async fn peer_fingerprint(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default()?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptToRead(provider())))
        .with_no_client_auth();
    let name = ServerName::try_from(host.clone()).ok()?;
    let limit = Duration::from_secs(5);
    let tcp = tokio::time::timeout(limit, TcpStream::connect((host.as_str(), port))).await.ok()?.ok()?;
    let tls = tokio::time::timeout(limit, TlsConnector::from(Arc::new(config)).connect(name, tcp)).await.ok()?.ok()?;
    let (_, conn) = tls.get_ref();
    conn.peer_certificates()?.first().map(|c| fingerprint(c.as_ref()))
}

/// Accepts any certificate: only for reading one's fingerprint.
#[derive(Debug)]
struct AcceptToRead(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptToRead {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_fingerprints_are_colon_separated_upper_case_sha256() {
        // SHA-256 of "abc".
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
