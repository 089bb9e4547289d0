//! A loopback HTTP server for photo sources: fixed routes, redirects, ETags, and a count of the
//! bodies it sent, so tests can tell a download from a 304.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone)]
pub enum Route {
    /// 200 with the bytes, an ETag, and 304 to a matching If-None-Match.
    Photo(Vec<u8>),
    /// 302 to the location.
    Redirect(String),
}

#[derive(Clone, Default)]
pub struct PhotoServer {
    routes: Arc<Mutex<HashMap<String, Route>>>,
    /// path → bodies sent (200s), and path → 304s sent.
    pub bodies: Arc<Mutex<HashMap<String, usize>>>,
    pub not_modified: Arc<Mutex<HashMap<String, usize>>>,
    pub addr: Option<SocketAddr>,
}

impl PhotoServer {
    /// Serves on `ip` (any 127.x.y.z works on Linux) at a free port.
    pub async fn start(ip: &str) -> Self {
        let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
            .await
            .expect("bind photo server");
        let me = PhotoServer {
            addr: Some(listener.local_addr().expect("addr")),
            ..Default::default()
        };
        let server = me.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let server = server.clone();
                tokio::spawn(async move { server.answer(stream).await });
            }
        });
        me
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("started"))
    }

    pub fn route(&self, path: &str, route: Route) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_string(), route);
    }

    pub fn bodies_sent(&self, path: &str) -> usize {
        self.bodies
            .lock()
            .expect("bodies")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn not_modified_sent(&self, path: &str) -> usize {
        self.not_modified
            .lock()
            .expect("304s")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    async fn answer(&self, mut stream: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head = String::from_utf8_lossy(&buf).to_string();
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let if_none_match = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("if-none-match")
                .then(|| v.trim().to_string())
        });
        let route = self.routes.lock().expect("routes").get(&path).cloned();
        let (status, headers, body): (&str, String, Vec<u8>) = match route {
            None => ("404 Not Found", String::new(), Vec::new()),
            Some(Route::Redirect(to)) => ("302 Found", format!("Location: {to}\r\n"), Vec::new()),
            Some(Route::Photo(bytes)) => {
                let etag = format!("\"{}-{}\"", path.len(), bytes.len());
                if if_none_match.as_deref() == Some(etag.as_str()) {
                    *self
                        .not_modified
                        .lock()
                        .expect("304s")
                        .entry(path.clone())
                        .or_default() += 1;
                    ("304 Not Modified", format!("ETag: {etag}\r\n"), Vec::new())
                } else {
                    *self
                        .bodies
                        .lock()
                        .expect("bodies")
                        .entry(path.clone())
                        .or_default() += 1;
                    (
                        "200 OK",
                        format!("ETag: {etag}\r\nContent-Type: image/jpeg\r\n"),
                        bytes,
                    )
                }
            }
        };
        let head = format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
    }
}
