//! Photos on the local disk. A path from the operator's database is taken relative to the tenant's
//! `photo_dir` and must still be inside it once `..` and symlinks are resolved; an absolute path or
//! `file://` URL is accepted only when it also lands inside. Only regular files are read: a FIFO
//! would block the read forever and `/dev/zero` never ends, so the file is opened without blocking
//! and without following a last-moment symlink, checked with `fstat`, and read against a byte cap
//! and a deadline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{SourceError, MAX_SOURCE_BYTES};

/// Where local photos may come from.
#[derive(Debug, Clone)]
pub enum LocalRoot {
    /// Inside this directory only (the daemon: the tenant's `photo_dir`).
    Confined(PathBuf),
    /// Nowhere: the tenant has no `photo_dir`, so local paths are refused.
    Refused,
    /// Any path: `rentsync photo`, whose inputs are typed by the operator on the command line.
    Anywhere,
}

/// Resolves `location` (a path or a `file://` URL) under `root`; the refusal names the rule.
pub fn resolve(root: &LocalRoot, location: &str) -> Result<PathBuf, SourceError> {
    let raw = location.strip_prefix("file://").unwrap_or(location);
    let dir = match root {
        LocalRoot::Anywhere => return Ok(PathBuf::from(raw)),
        LocalRoot::Refused => {
            return Err(SourceError::refused(
                "photo_dir",
                "local photos need the tenant's photo_dir, and none is configured",
            ))
        }
        LocalRoot::Confined(dir) => dir,
    };
    let dir = dir.canonicalize().map_err(|e| {
        SourceError::unreadable(format!("photo_dir {} is not usable: {e}", dir.display()))
    })?;
    let joined = dir.join(raw);
    let real = match joined.canonicalize() {
        Ok(p) => p,
        // A missing file: say so, but only after checking the path could not have escaped.
        Err(e) => {
            if escapes_lexically(&dir, &joined) {
                return Err(outside(raw, &dir));
            }
            return Err(SourceError::unreadable(format!("cannot read {raw}: {e}")));
        }
    };
    if !real.starts_with(&dir) {
        return Err(outside(raw, &dir));
    }
    Ok(real)
}

fn outside(raw: &str, dir: &Path) -> SourceError {
    SourceError::refused(
        "photo_dir",
        format!("{raw} resolves outside photo_dir {}", dir.display()),
    )
}

/// Whether `path` leaves `dir` by its text alone (`..` past the root, or another absolute root).
fn escapes_lexically(dir: &Path, path: &Path) -> bool {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    !out.starts_with(dir)
}

/// Reads a regular file of at most `MAX_SOURCE_BYTES`, giving up after `deadline`.
pub async fn read(
    path: PathBuf,
    display: &str,
    deadline: Duration,
) -> Result<Vec<u8>, SourceError> {
    let shown = display.to_string();
    let job = tokio::task::spawn_blocking(move || read_regular(&path, &shown));
    match tokio::time::timeout(deadline, job).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(SourceError::unreadable(format!(
            "read of {display} failed: {e}"
        ))),
        Err(_) => Err(SourceError::refused(
            "read_deadline",
            format!("{display} was not read within {deadline:?}"),
        )),
    }
}

fn read_regular(path: &Path, shown: &str) -> Result<Vec<u8>, SourceError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was
        // resolved already, a symlink appearing now is a swap.
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| SourceError::unreadable(format!("cannot read {shown}: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| SourceError::unreadable(format!("cannot read {shown}: {e}")))?;
    if !meta.file_type().is_file() {
        return Err(SourceError::refused(
            "regular_file",
            format!("{shown} is not a regular file"),
        ));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(too_large(shown));
    }
    // The file may grow after the fstat: the cap is counted on what is read.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SourceError::unreadable(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_large(shown));
    }
    Ok(bytes)
}

fn too_large(shown: &str) -> SourceError {
    SourceError::refused(
        "size_cap",
        format!("{shown} is larger than the {MAX_SOURCE_BYTES}-byte cap"),
    )
}
