use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

fn confined(dir: &Path) -> PhotoSource {
    PhotoSource::new(
        LocalRoot::Confined(dir.to_path_buf()),
        AddressPolicy::default(),
        Deadlines {
            connect: Duration::from_secs(1),
            total: Duration::from_secs(2),
        },
    )
}

fn rule_of(r: Result<Vec<u8>, SourceError>) -> Option<&'static str> {
    r.expect_err("refused").rule
}

#[tokio::test]
async fn local_reads_stay_inside_photo_dir() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("photos");
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::write(dir.join("sub/a.jpg"), b"inside").expect("write");
    std::fs::write(root.path().join("secret.jpg"), b"outside").expect("write");
    std::os::unix::fs::symlink(root.path().join("secret.jpg"), dir.join("link.jpg"))
        .expect("symlink");
    std::os::unix::fs::symlink(dir.join("sub/a.jpg"), dir.join("inner.jpg")).expect("symlink");
    let src = confined(&dir);

    assert_eq!(src.fetch("sub/a.jpg").await.expect("inside"), b"inside");
    assert_eq!(
        src.fetch("sub/../sub/a.jpg").await.expect("inside"),
        b"inside"
    );
    assert_eq!(
        src.fetch("inner.jpg").await.expect("symlink inside"),
        b"inside"
    );
    let abs = dir.join("sub/a.jpg").display().to_string();
    assert_eq!(src.fetch(&abs).await.expect("absolute inside"), b"inside");
    assert_eq!(
        src.fetch(&format!("file://{abs}"))
            .await
            .expect("file:// inside"),
        b"inside"
    );
    let secret = root.path().join("secret.jpg").display().to_string();
    for escape in [
        "../secret.jpg".to_string(),
        secret.clone(),
        format!("file://{secret}"),
        "link.jpg".to_string(),
        "sub/../../secret.jpg".to_string(),
        "/etc/shadow".to_string(),
        "../missing.jpg".to_string(),
    ] {
        assert_eq!(
            rule_of(src.fetch(&escape).await),
            Some("photo_dir"),
            "{escape}"
        );
    }
    let missing = src.fetch("sub/missing.jpg").await.expect_err("missing");
    assert_eq!(missing.rule, None, "a missing file inside is not a refusal");
}

#[tokio::test]
async fn without_photo_dir_no_local_photo_is_read() {
    let src = PhotoSource::for_tenant(None, AddressPolicy::default());
    assert_eq!(rule_of(src.fetch("/etc/hostname").await), Some("photo_dir"));
}

#[tokio::test]
async fn only_regular_files_are_read_and_a_fifo_never_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("p.fifo");
    let path = std::ffi::CString::new(fifo.display().to_string()).expect("path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let src = PhotoSource::new(
        LocalRoot::Anywhere,
        AddressPolicy::default(),
        Deadlines::default(),
    );
    let started = Instant::now();
    assert_eq!(
        rule_of(src.fetch(&fifo.display().to_string()).await),
        Some("regular_file")
    );
    assert_eq!(rule_of(src.fetch("/dev/zero").await), Some("regular_file"));
    assert_eq!(
        rule_of(src.fetch(&dir.path().display().to_string()).await),
        Some("regular_file")
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn urls_to_internal_addresses_are_refused_before_connecting() {
    let src = PhotoSource::new(
        LocalRoot::Refused,
        AddressPolicy::default(),
        Deadlines::default(),
    );
    for url in [
        "http://127.0.0.1:9/x.jpg",
        "http://localhost:9/x.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x.jpg",
        "http://[fd00:ec2::254]/x.jpg",
        "http://10.0.0.1/x.jpg",
        "http://2130706433:9/x.jpg",
    ] {
        let e = src.fetch(url).await.expect_err(url);
        assert_eq!(e.rule, Some("photo_hosts_allow"), "{url}: {e}");
    }
}

#[test]
fn remote_locations_are_told_apart() {
    assert!(is_remote("http://x/a.jpg"));
    assert!(is_remote("HTTPS://x/a.jpg"));
    assert!(!is_remote("file:///a.jpg"));
    assert!(!is_remote("a.jpg"));
    assert!(!is_remote("ftp://x/a.jpg"));
}
