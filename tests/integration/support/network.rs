//! The network between `onboard` and the simulated tenant, made real on loopback: an https front
//! whose certificate a private CA signed (what a corporate TLS-inspecting proxy presents), and
//! an HTTP CONNECT proxy that records where it was asked to connect. Both run on threads of the
//! test process, on listeners they bind themselves, until the test process ends.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/fixtures")
        .join(name)
}

/// The private CA that signed [`TlsFront`]'s certificate, as a PEM file for `--ca-cert`.
pub fn test_ca() -> PathBuf {
    fixture("ca.cert.pem")
}

/// An https server in front of a plain-http server on `127.0.0.1:backend`, with a certificate
/// signed by [`test_ca`] for 127.0.0.1 and for the sign-in and Graph hosts of Microsoft's US
/// government and China clouds. Every address of the backend in an answer (discovery names its
/// endpoints and Graph host) is rewritten to where the client should reach it, so that every
/// request of a sign-in comes through the front. One request per connection.
pub struct TlsFront {
    port: u16,
}

impl TlsFront {
    /// `https://127.0.0.1:PORT`.
    pub fn start(backend: u16) -> TlsFront {
        TlsFront::with_rewrites(backend, |front| {
            vec![
                (
                    format!("http://127.0.0.1:{backend}"),
                    format!("https://127.0.0.1:{front}"),
                ),
                (format!("127.0.0.1:{backend}"), format!("127.0.0.1:{front}")),
            ]
        })
    }

    /// The front for a cloud whose sign-in host is `login` and Graph host `graph`: answers name
    /// those hosts (port 443), which a [`ConnectProxy::redirecting`] to this front then serves.
    pub fn start_as_cloud(backend: u16, login: &str, graph: &str) -> TlsFront {
        let (login, graph) = (login.to_owned(), graph.to_owned());
        TlsFront::with_rewrites(backend, move |_| {
            vec![
                (
                    format!("\"msgraph_host\":\"127.0.0.1:{backend}\""),
                    format!("\"msgraph_host\":\"{graph}\""),
                ),
                (
                    format!("http://127.0.0.1:{backend}/oidc/userinfo"),
                    format!("https://{graph}/oidc/userinfo"),
                ),
                (
                    format!("http://127.0.0.1:{backend}"),
                    format!("https://{login}"),
                ),
            ]
        })
    }

    fn with_rewrites(
        backend: u16,
        rewrites: impl FnOnce(u16) -> Vec<(String, String)>,
    ) -> TlsFront {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let rewrites = rewrites(port);
        tls_server(listener, "by-test-ca", move |mut tls| {
            if let Some(answer) = forward(&mut tls, backend, &rewrites) {
                let _ = tls.write_all(&answer);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        TlsFront { port }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The simulated tenant's authority (`http://127.0.0.1:BACKEND/...`) through this front.
    pub fn authority(&self, authority: &str) -> String {
        let (_, path) = authority
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('/'))
            .expect("an http://host:port/path authority");
        format!("https://127.0.0.1:{}/{path}", self.port)
    }
}

/// A TLS connection as a server sees it.
pub type Tls = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

/// Serves TLS on `listener` with the certificate and key `fixtures/NAME.cert.pem` and
/// `fixtures/NAME.key.pem`, each connection on a thread of its own, until the test process ends.
pub fn tls_server(listener: TcpListener, name: &str, serve: impl Fn(Tls) + Send + Sync + 'static) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert = CertificateDer::from_pem_file(fixture(&format!("{name}.cert.pem"))).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}.key.pem"))).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, serve) = (config.clone(), serve.clone());
            std::thread::spawn(move || {
                if let Ok(connection) = rustls::ServerConnection::new(config) {
                    serve(rustls::StreamOwned::new(connection, stream));
                }
            });
        }
    });
}

/// Reads one request from `client`, sends it to the backend, and returns the backend's answer
/// with the backend's address replaced by the front's (but for the issuer).
fn forward(client: &mut impl Read, backend: u16, rewrites: &[(String, String)]) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(client);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let mut upstream = TcpStream::connect(("127.0.0.1", backend)).ok()?;
    upstream.write_all(&head).ok()?;
    upstream.write_all(b"Connection: close\r\n\r\n").ok()?;
    upstream.write_all(&body).ok()?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).ok()?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let (head, body) = answer.split_at(split);
    // The issuer stays the backend's: the id token names it, and the client compares the two.
    let issuer = format!("\"issuer\":\"http://127.0.0.1:{backend}");
    let mut body = String::from_utf8_lossy(body).replace(&issuer, "\u{0}ISSUER\u{0}");
    for (from, to) in rewrites {
        body = body.replace(from.as_str(), to);
    }
    let body = body.replace("\u{0}ISSUER\u{0}", &issuer);
    let mut rewritten = Vec::new();
    for line in String::from_utf8_lossy(head).split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if line.is_empty()
            || lower.starts_with("content-length:")
            || lower.starts_with("connection:")
        {
            continue;
        }
        rewritten.extend_from_slice(line.as_bytes());
        rewritten.extend_from_slice(b"\r\n");
    }
    rewritten.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    rewritten.extend_from_slice(body.as_bytes());
    Some(rewritten)
}

/// An HTTP proxy that tunnels `CONNECT host:port` (what `HTTPS_PROXY` makes a client send)
/// and records every target it was asked for.
pub struct ConnectProxy {
    port: u16,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Connects every tunnel where the client asked.
    pub fn start() -> ConnectProxy {
        ConnectProxy::serving(None)
    }

    /// Connects every tunnel to `127.0.0.1:port`, whatever host the client named: the way a
    /// test reaches "login.microsoftonline.us" without the internet or a DNS change.
    pub fn redirecting(port: u16) -> ConnectProxy {
        ConnectProxy::serving(Some(port))
    }

    fn serving(redirect: Option<u16>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || tunnel(stream, &seen, redirect));
            }
        });
        ConnectProxy { port, targets }
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every `host:port` a client asked to be connected to, in order.
    pub fn targets(&self) -> Vec<String> {
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>, redirect: Option<u16>) {
    let mut reader = BufReader::new(client);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let mut client = reader.into_inner();
    let mut words = request.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(target.to_owned());
    let upstream = match redirect {
        Some(port) => TcpStream::connect(("127.0.0.1", port)),
        None => TcpStream::connect(target),
    };
    let Ok(upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut client_read), Ok(mut upstream_write)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let mut upstream_read = upstream;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_read, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
