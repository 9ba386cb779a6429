//! PostgreSQL over TLS (feature `tls`) against the real local server, whose
//! certificate (Debian's snakeoil, issued to `localhost`) must be the root
//! named by SSL_CERT_FILE:
//!
//! SSL_CERT_FILE=/etc/ssl/certs/ssl-cert-snakeoil.pem \
//!   cargo nextest run -p lonjak-store --features tls --test tls

use lonjak_store::{Store, StoreConfig};

fn url(host: &str, sslmode: &str) -> String {
    let base = std::env::var("LONJAK_TLS_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres:postgres@{host}:5432/postgres".to_owned());
    format!(
        "postgres://{}?sslmode={sslmode}",
        base.replace("{host}", host)
    )
}

fn roots_configured() {
    assert!(
        std::env::var_os("SSL_CERT_FILE").is_some(),
        "set SSL_CERT_FILE to the server's certificate (see this file's header)"
    );
}

#[tokio::test]
async fn sslmode_require_connects_when_the_certificate_matches_the_host() {
    roots_configured();
    let store = Store::connect(StoreConfig::without_personal_data(url(
        "localhost",
        "require",
    )))
    .await;
    assert!(store.is_ok(), "{:?}", store.err());
}

#[tokio::test]
async fn sslmode_require_refuses_a_certificate_issued_to_another_name() {
    roots_configured();
    // The certificate names `localhost`, not `127.0.0.1`: a TLS client that
    // verifies host names must refuse, where a plain connection would not care.
    let store = Store::connect(StoreConfig::without_personal_data(url(
        "127.0.0.1",
        "require",
    )))
    .await;
    assert!(
        store.is_err(),
        "connected despite a certificate for another name"
    );
}

#[tokio::test]
async fn sslmode_disable_stays_plain_and_connects() {
    let store = Store::connect(StoreConfig::without_personal_data(url(
        "127.0.0.1",
        "disable",
    )))
    .await;
    assert!(store.is_ok(), "{:?}", store.err());
}
