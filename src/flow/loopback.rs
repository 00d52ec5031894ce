//! The loopback listener of the browser road (RFC 8252 §7.3): 127.0.0.1 only, on a port the OS
//! picks. It answers exactly one request — a GET of `/` with this sign-in's `state` — with a
//! short page saying the window may be closed (or what went wrong); everything else gets 400
//! and is ignored. What the code says is never logged.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::browser::{Redirect, read_redirect};
use crate::error::{Code, Error, Result};

/// A request head larger than this is not a browser's redirect.
const MAX_HEAD: usize = 16 * 1024;
/// A connection that has not sent its request by then is closed (browsers open spare ones).
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Binds 127.0.0.1 on a port the OS picks.
    pub async fn bind() -> Result<Loopback> {
        Loopback::bind_at(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Binds `addr` (tests name a port that is taken).
    pub async fn bind_at(addr: SocketAddr) -> Result<Loopback> {
        let cannot = |e: std::io::Error| {
            Error::new(
                Code::LoopbackUnavailable,
                format!("cannot listen on {addr} for the browser's answer: {e}; nothing was saved"),
            )
            .with_hint("the browser sign-in needs a port on 127.0.0.1: check that loopback networking works and that no policy blocks listening sockets, or use --flow device")
        };
        let listener = TcpListener::bind(addr).await.map_err(cannot)?;
        let port = listener.local_addr().map_err(cannot)?.port();
        Ok(Loopback { listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves requests until one carries this sign-in's answer (`state`), and returns it.
    /// Cancel-safe: dropping the future stops waiting; the listener stays for the next try.
    pub async fn next(&self, state: &str) -> Redirect {
        let (found_tx, mut found_rx) = mpsc::channel::<Redirect>(1);
        let answered = Arc::new(AtomicBool::new(false));
        loop {
            tokio::select! {
                Some(redirect) = found_rx.recv() => return redirect,
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else {
                        // Out of descriptors or similar: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let found = found_tx.clone();
                    let answered = answered.clone();
                    let state = state.to_owned();
                    let port = self.port;
                    tokio::spawn(async move {
                        if let Some(redirect) = serve(stream, port, &state, &answered).await {
                            let _ = found.send(redirect).await;
                        }
                    });
                }
            }
        }
    }
}

/// One connection: reads the request head, answers, and hands back the redirect when it is
/// the awaited one (and the first such).
async fn serve(
    mut stream: TcpStream,
    port: u16,
    state: &str,
    answered: &AtomicBool,
) -> Option<Redirect> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .ok()
        .flatten();
    let verdict = head.as_deref().and_then(|head| accept(head, port, state));
    let (status, page, redirect) = match verdict {
        Some(redirect) if !answered.swap(true, Ordering::SeqCst) => {
            let page = match &redirect {
                Redirect::Code(_) => PAGE_SIGNED_IN.to_owned(),
                Redirect::Refused(body) => page_refused(body.error.as_str()),
            };
            ("200 OK", page, Some(redirect))
        }
        _ => ("400 Bad Request", PAGE_NOT_OURS.to_owned(), None),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    redirect
}

/// The request head up to the blank line, or `None` when the client stops or sends too much.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(head).ok()
}

/// The redirect in a request head, when the request is `GET /?…` for our host and state.
fn accept(head: &str, port: u16, state: &str) -> Option<Redirect> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target, version) = (
        request_line.next()?,
        request_line.next()?,
        request_line.next()?,
    );
    if method != "GET" || !version.starts_with("HTTP/1.") {
        return None;
    }
    // A page elsewhere that makes the browser call this port names its own host (DNS
    // rebinding): the browser's redirect names ours.
    let host = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim().to_ascii_lowercase())?;
    if host != format!("localhost:{port}") && host != format!("127.0.0.1:{port}") {
        return None;
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    read_redirect(path, query, state).ok()
}

const PAGE_SIGNED_IN: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>Signed in</h1>\
<p>onboard has the answer it was waiting for. You may close this window and go back to onboard.</p></body></html>\n";

const PAGE_NOT_OURS: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not this sign-in</title></head>\
<body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>Not this sign-in</h1>\
<p>This is onboard's sign-in listener, and this request is not the answer it waits for. Use the sign-in link onboard shows.</p></body></html>\n";

/// The page for an `error=` redirect; `error` is an OAuth error word, escaped all the same.
fn page_refused(error: &str) -> String {
    let error: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in did not finish</title></head>\
<body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>Sign-in did not finish</h1>\
<p>The sign-in ended with <code>{error}</code>. You may close this window: onboard says what to do next.</p></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    async fn get(port: u16, target: &str, host: &str) -> Option<String> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.ok()?;
        let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.ok()?;
        Some(answer)
    }

    /// Everything but the one right callback gets 400 and leaves the listener waiting; the
    /// right one gets the closing page; a second one, even with the same state, gets 400.
    #[tokio::test]
    async fn exactly_one_callback_is_accepted_and_everything_else_gets_400() {
        let loopback = Loopback::bind().await.unwrap();
        let port = loopback.port();
        let host = format!("localhost:{port}");
        let waiting = tokio::spawn(async move {
            let redirect = loopback.next("S").await;
            (loopback, redirect)
        });
        for (target, host) in [
            ("/?code=c&state=WRONG", host.as_str()),
            ("/?code=c", host.as_str()),
            ("/favicon.ico", host.as_str()),
            ("/callback?code=c&state=S", host.as_str()),
            ("/?code=c&state=S", "evil.example"),
        ] {
            let answer = get(port, target, host).await.unwrap();
            assert!(
                answer.starts_with("HTTP/1.1 400"),
                "{target} {host}: {answer}"
            );
        }
        // A connection that says nothing does not hold the listener up.
        let _silent = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        let answer = get(port, "/?code=the-code&state=S", &host).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("You may close this window"));
        assert!(!answer.contains("the-code"));
        let (loopback, redirect) = waiting.await.unwrap();
        assert!(matches!(redirect, Redirect::Code(code) if code.expose() == "the-code"));
        // The next wait is for another state: the first sign-in's answer is refused.
        let again = tokio::spawn(async move { loopback.next("T").await });
        let answer = get(port, "/?code=the-code&state=S", &host).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        again.abort();
    }

    #[tokio::test]
    async fn an_error_redirect_is_an_answer_with_its_own_page() {
        let loopback = Loopback::bind().await.unwrap();
        let port = loopback.port();
        let waiting = tokio::spawn(async move { loopback.next("S").await });
        let answer = get(
            port,
            "/?error=access_denied&error_description=AADSTS65004%3A+declined&state=S",
            &format!("127.0.0.1:{port}"),
        )
        .await
        .unwrap();
        assert!(answer.contains("access_denied"), "{answer}");
        assert!(
            matches!(waiting.await.unwrap(), Redirect::Refused(body) if body.error.as_str() == "access_denied")
        );
    }

    #[tokio::test]
    async fn a_port_that_cannot_be_bound_is_one_clear_error() {
        let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = taken.local_addr().unwrap();
        let error = Loopback::bind_at(addr).await.err().unwrap();
        assert_eq!(error.kind, Kind::Unreachable);
        assert!(
            error.message.contains("cannot listen on 127.0.0.1"),
            "{}",
            error.message
        );
        assert!(error.message.contains("nothing was saved"));
        assert!(error.hint.unwrap().contains("--flow device"));
    }
}
