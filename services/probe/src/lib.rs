//! A minimal HTTP/1.0 GET for container health checks: std only.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Why a probe failed.
#[derive(Debug)]
pub enum ProbeError {
    /// The URL is not `http://ADDR:PORT/PATH` with a numeric address.
    BadUrl,
    /// Connecting, writing or reading failed or timed out.
    Io(std::io::Error),
    /// The answer's status line is not HTTP or not 2xx.
    Status(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadUrl => f.write_str("expected http://ADDR:PORT/PATH with a numeric address"),
            Self::Io(err) => write!(f, "{err}"),
            Self::Status(line) => write!(f, "answered {line:?}"),
        }
    }
}

impl std::error::Error for ProbeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ProbeError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

/// `GET url`, each step bounded by `timeout`; `Ok` on a 2xx status.
pub fn probe(url: &str, timeout: Duration) -> Result<(), ProbeError> {
    let (addr, path) = split_url(url)?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    // The status line fits in the first bytes; the body is not needed.
    let mut head = [0_u8; 64];
    let mut len = 0;
    while len < head.len() {
        let read = stream.read(&mut head[len..])?;
        if read == 0 {
            break;
        }
        len += read;
        if head[..len].contains(&b'\n') {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head[..len]);
    let line = text.lines().next().unwrap_or_default().to_owned();
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") && code.starts_with('2') => {
            Ok(())
        }
        _ => Err(ProbeError::Status(line)),
    }
}

fn split_url(url: &str) -> Result<(SocketAddr, &str), ProbeError> {
    let rest = url.strip_prefix("http://").ok_or(ProbeError::BadUrl)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let addr = authority.parse().map_err(|_| ProbeError::BadUrl)?;
    Ok((addr, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn serve_once(answer: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                // The whole request head before answering: closing with
                // unread bytes would reset the connection under the probe.
                let mut request = Vec::new();
                let mut chunk = [0_u8; 256];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        format!("http://{addr}/readyz")
    }

    #[test]
    fn a_2xx_answer_passes() {
        let url = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert!(probe(&url, Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn a_503_answer_fails_with_its_status_line() {
        let url = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let err = probe(&url, Duration::from_secs(2)).expect_err("503 must fail");
        assert!(matches!(err, ProbeError::Status(line) if line.contains("503")));
    }

    #[test]
    fn a_closed_port_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let err = probe(&format!("http://{addr}/"), Duration::from_secs(2)).expect_err("closed");
        assert!(matches!(err, ProbeError::Io(_)));
    }

    #[test]
    fn host_names_and_other_schemes_are_refused() {
        for url in [
            "https://127.0.0.1:1/",
            "http://localhost:80/",
            "127.0.0.1:80",
        ] {
            assert!(matches!(split_url(url), Err(ProbeError::BadUrl)), "{url}");
        }
    }
}
