//! Optional TLS with a self-signed certificate, for clients that hard-code `https://`.

use anyhow::Context;
use std::path::Path;
use std::sync::Arc;

/// Where the certificate and key live inside the data directory.
pub const TLS_DIR: &str = "tls";

/// Loads `<data_dir>/tls/{cert,key}.pem`, generating a self-signed pair for `localhost`,
/// `127.0.0.1` and `::1` on first use.
pub fn server_config(data_dir: &Path) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    let dir = data_dir.join(TLS_DIR);
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !cert_path.exists() || !key_path.exists() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let certified =
            rcgen::generate_simple_self_signed(names).context("generating certificate")?;
        std::fs::write(&cert_path, certified.cert.pem())?;
        std::fs::write(&key_path, certified.key_pair.serialize_pem())?;
        tracing::info!(cert = %cert_path.display(), "generated self-signed TLS certificate");
    }
    let certs = rustls_pemfile_certs(&std::fs::read(&cert_path)?)?;
    use rustls::pki_types::pem::PemObject;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&std::fs::read(&key_path)?)
        .context("reading TLS key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("TLS certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

fn rustls_pemfile_certs(
    pem: &[u8],
) -> anyhow::Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .context("reading TLS certificate")
}
