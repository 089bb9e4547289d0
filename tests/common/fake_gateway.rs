//! A loopback stand-in for the gateway, or for a proxy in front of it: every call gets the same
//! canned HTTP status and body, so tests can play answers the sandbox never gives (unsigned errors,
//! proxy pages, a success whose node does not decode, an endless body).
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rentsync::alipay::response::node_name;
use rentsync::alipay::sign::{sign, SignType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone)]
pub enum Canned {
    /// Status line and body, with a Content-Length.
    Answer(u16, String),
    /// A 200 whose body never ends: `bytes` of JSON-ish filler, then the connection hangs.
    Endless { bytes: usize },
}

pub struct FakeGateway {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
}

impl FakeGateway {
    pub async fn start(canned: Canned) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/gateway.do", listener.local_addr().expect("addr"));
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let canned = canned.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    if !read_request(&mut stream).await {
                        return;
                    }
                    counter.fetch_add(1, Ordering::Relaxed);
                    match canned {
                        Canned::Answer(status, body) => {
                            let head = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(head.as_bytes()).await;
                            let _ = stream.write_all(body.as_bytes()).await;
                        }
                        Canned::Endless { bytes } => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
                            let _ = stream.write_all(head.as_bytes()).await;
                            let chunk = vec![b' '; 64 * 1024];
                            let mut sent = 0;
                            while sent < bytes {
                                if stream.write_all(&chunk).await.is_err() {
                                    return;
                                }
                                sent += chunk.len();
                            }
                            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                        }
                    }
                });
            }
        });
        Self { url, calls }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

/// Reads the head and the declared body of one request; false when the client went away.
async fn read_request(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// `{"<method>_response":<node>,"sign":"..."}` signed with the test platform key.
pub fn signed(method: &str, node: &str) -> String {
    let s = sign(&super::keys().platform, SignType::Rsa2, node.as_bytes());
    format!(r#"{{"{}":{node},"sign":"{s}"}}"#, node_name(method))
}

/// An error answer with no signature at all, as a proxy or a forger could send.
pub fn unsigned_error(code: &str, sub_code: &str) -> String {
    format!(
        r#"{{"error_response":{{"code":"{code}","msg":"refused","sub_code":"{sub_code}","sub_msg":"forged"}}}}"#
    )
}
