//! `simulate --tls`: a throwaway certificate authority made at start, and a certificate it signed
//! for 127.0.0.1 and localhost, so that clients which accept only https authorities (Microsoft's
//! MSAL libraries among them) can use the simulated tenant. Nothing is kept: the keys live in
//! memory for the server's life, and only the CA's certificate is written out, by the caller.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The names the server certificate is valid for.
pub const SERVER_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// A certificate authority generated for one run of the simulated tenant, and the server
/// identity it signed.
pub struct Certificates {
    ca_pem: String,
    acceptor: TlsAcceptor,
}

impl Certificates {
    /// Generates a CA and a server certificate (ECDSA P-256, valid from yesterday for 30 days:
    /// a clock a little off still accepts them, and a leaked CA is soon worthless).
    pub fn generate() -> Result<Certificates, String> {
        let fail = |what: &str, e: rcgen::Error| format!("cannot {what}: {e}");
        let (from, until) = (day(-1), day(30));
        let not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        let not_after = rcgen::date_time_ymd(until.0, until.1, until.2);

        let mut ca =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("describe the CA", e))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.distinguished_name
            .push(DnType::CommonName, "onboard simulated tenant, throwaway CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = not_before;
        ca.not_after = not_after;
        let ca_key = KeyPair::generate().map_err(|e| fail("make the CA's key", e))?;
        let ca_cert = ca
            .self_signed(&ca_key)
            .map_err(|e| fail("sign the CA", e))?;
        let issuer = Issuer::new(ca, ca_key);

        let names: Vec<String> = SERVER_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf = CertificateParams::new(names).map_err(|e| fail("describe the server", e))?;
        leaf.distinguished_name
            .push(DnType::CommonName, "onboard simulated tenant");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        leaf.not_before = not_before;
        leaf.not_after = not_after;
        let leaf_key = KeyPair::generate().map_err(|e| fail("make the server's key", e))?;
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| fail("sign the server certificate", e))?;

        // Installing the provider twice is harmless; reqwest's client does the same.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone()];
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("cannot use the server certificate: {e}"))?;
        // The server speaks HTTP/1.1 only; saying so keeps clients from trying HTTP/2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Certificates {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The CA's certificate, PEM: what a client must trust (`--ca-cert`, `REQUESTS_CA_BUNDLE`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

/// The UTC date `offset_days` from today, as (year, month, day).
fn day(offset_days: i64) -> (i32, u8, u8) {
    let now = jiff::Timestamp::now();
    let at = now
        .checked_add(jiff::SignedDuration::from_hours(24 * offset_days))
        .unwrap_or(now);
    let date = jiff::tz::TimeZone::UTC.to_datetime(at).date();
    (
        i32::from(date.year()),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    )
}
