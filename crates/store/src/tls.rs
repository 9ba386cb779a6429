//! How a connection is opened: plain by default; with the `tls` feature,
//! through rustls whenever the URL's `sslmode` asks for it (`require`:
//! always, and the server's certificate and host name are verified; `prefer`,
//! tokio-postgres' default: when the server offers it). Root certificates
//! come from the system store, or from the file named by `SSL_CERT_FILE`.

use diesel::ConnectionResult;
use diesel_async::AsyncPgConnection;

/// Opens one connection to `url` (the pool's set-up callback and migrations).
#[cfg(not(feature = "tls"))]
pub(crate) async fn establish(url: &str) -> ConnectionResult<AsyncPgConnection> {
    use diesel_async::AsyncConnection;
    AsyncPgConnection::establish(url).await
}

/// Opens one connection to `url` (the pool's set-up callback and migrations).
#[cfg(feature = "tls")]
pub(crate) async fn establish(url: &str) -> ConnectionResult<AsyncPgConnection> {
    use diesel::ConnectionError;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config()?);
    let (client, connection) = tokio_postgres::connect(url, tls)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

#[cfg(feature = "tls")]
fn client_config() -> ConnectionResult<rustls::ClientConfig> {
    use diesel::ConnectionError;
    use std::sync::Arc;

    let loaded = rustls_native_certs::load_native_certs();
    if loaded.certs.is_empty() {
        return Err(ConnectionError::BadConnection(format!(
            "no root certificates found (system store or SSL_CERT_FILE): {:?}",
            loaded.errors
        )));
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(loaded.certs);
    // The provider is named, not taken from the process default, so another
    // crate enabling a second rustls provider cannot make this ambiguous.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
