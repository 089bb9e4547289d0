//! What asks for a reload: SIGHUP, or a change of the config file (watched through its directory,
//! since editors replace files rather than write them in place; changes are debounced).
//!
//! A file event is only a hint: reading the file (`cat`, `rentsync status`, our own reload) also
//! makes events, so the caller compares the content's [`fingerprint`] with the running one and
//! reloads only when it differs. SIGHUP always reloads: it is how an operator asks for key files
//! to be read again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Why a reload was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Hangup,
    FileChanged,
}

impl Request {
    pub fn reason(self) -> &'static str {
        match self {
            Request::Hangup => "SIGHUP",
            Request::FileChanged => "config file changed",
        }
    }
}

/// SHA-256 of the config file's bytes; `None` when it cannot be read (the load then says why).
pub fn fingerprint(config: &Path) -> Option<[u8; 32]> {
    use sha2::Digest;
    let bytes = std::fs::read(config).ok()?;
    Some(sha2::Sha256::digest(&bytes).into())
}

/// A receiver that yields once per reload request. The watcher lives as long as the receiver task.
pub fn requests(config: &Path) -> mpsc::Receiver<Request> {
    let (tx, rx) = mpsc::channel(4);
    let hup = tx.clone();
    tokio::spawn(async move {
        let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while s.recv().await.is_some() {
            if hup.send(Request::Hangup).await.is_err() {
                return;
            }
        }
    });
    let file: PathBuf = config.to_path_buf();
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let (ftx, mut frx) = mpsc::unbounded_channel::<()>();
    let watched = file.clone();
    let watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev {
            // Opening and reading the file are not changes.
            if matches!(ev.kind, notify::EventKind::Access(_)) {
                return;
            }
            if ev
                .paths
                .iter()
                .any(|p| p.file_name() == watched.file_name())
            {
                let _ = ftx.send(());
            }
        }
    });
    match watcher {
        Ok(mut w) => {
            if let Err(e) = w.watch(&dir, RecursiveMode::NonRecursive) {
                tracing::warn!(error = %e, dir = %dir.display(), "config directory not watched; SIGHUP still reloads");
            }
            tokio::spawn(async move {
                let _keep = w;
                while frx.recv().await.is_some() {
                    // Debounce: an editor's save is several events.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    while frx.try_recv().is_ok() {}
                    if tx.send(Request::FileChanged).await.is_err() {
                        return;
                    }
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "no file watcher; SIGHUP still reloads"),
    }
    rx
}
