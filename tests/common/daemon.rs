//! The daemon harness: `rentsync run` as a child process with its log in a file, its ops
//! endpoints over HTTP and, when asked, systemd's notify socket; a config with the ops listener
//! on a free port.
#![allow(dead_code)]

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::engine::Env;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
    pub ops: String,
}

impl Daemon {
    pub fn start(config: &Path, dir: &Path, notify: Option<&Path>) -> Self {
        let log = dir.join("daemon.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rentsync"));
        cmd.args(["run", "--config"])
            .arg(config)
            .env("RENTSYNC_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(sock) = notify {
            cmd.env("NOTIFY_SOCKET", sock)
                .env("WATCHDOG_USEC", "400000");
        }
        let text = std::fs::read_to_string(config).unwrap();
        let ops = text
            .lines()
            .find_map(|l| l.strip_prefix("listen = \""))
            .map(|l| format!("http://{}", l.trim_end_matches('"')))
            .unwrap();
        Daemon {
            child: cmd.spawn().unwrap(),
            log,
            ops,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        Command::new("kill").args([sig, &pid]).status().unwrap();
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        match reqwest::get(format!("{}{path}", self.ops)).await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    }

    pub async fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if self.get("/readyz").await.0 == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never ready; log:\n{}", self.log());
    }

    pub async fn wait_log(&self, needle: &str) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.log().contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("log never said {needle:?}:\n{}", self.log());
    }
}

impl Drop for Daemon {
    /// A failed test must not leave a daemon behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn config_with_ops(env: &Env, port: u16, extra_tenant: &str) -> PathBuf {
    let mut text = env.config_text(200.0, 5);
    text = text.replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    text = text.replace("[tenant.rates]", &format!("{extra_tenant}[tenant.rates]"));
    let path = env.dir.path().join("rentsync.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn messages(sock: &UnixDatagram) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    // Bounded: watchdog pings may keep the socket from ever falling silent.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let Ok(n) = sock.recv(&mut buf) else { break };
        out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    out
}
