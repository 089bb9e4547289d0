//! `rentsync photo`: files and URLs in, one JPEG each within the budget, a clear line per failure,
//! and a non-zero exit when any failed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// Serves `body` at /photo.jpg and 404 elsewhere, on a free loopback port.
fn serve(body: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 2048];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let head = if request.starts_with("GET /photo.jpg ") {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
            };
            let _ = stream.write_all(head.as_bytes());
            if head.starts_with("HTTP/1.1 200") {
                let _ = stream.write_all(&body);
            }
        }
    });
    port
}

#[test]
fn photo_previews_files_and_urls_and_names_each_failure() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/photos");
    let dir = tempfile::tempdir().unwrap();
    let good = fixtures.join("landscape-1.jpg");
    let large = fixtures.join("large/tree-nuthatch.jpg");
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("half.jpg");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let heic = dir.path().join("iphone.heic");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap();
    let port = serve(std::fs::read(fixtures.join("lakeside-1.jpg")).unwrap());
    let out = dir.path().join("out");

    let url = format!("http://127.0.0.1:{port}/photo.jpg");
    let missing = format!("http://127.0.0.1:{port}/gone.jpg");
    let file_url = format!("file://{}", large.display());
    let run = Command::new(env!("CARGO_BIN_EXE_rentsync"))
        // 6028 px bound for 1200: decoded at 1/2 (3014 ≥ 1.5 × 1200), never whole.
        .args([
            "photo",
            "--max-bytes",
            "200000",
            "--long-edge",
            "1200",
            "--allow-host",
            "127.0.0.1/32",
            "--out",
        ])
        .arg(&out)
        .arg(&good)
        .arg(&file_url)
        .arg(&url)
        .arg(&truncated)
        .arg(&heic)
        .arg(&missing)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "some failed:\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "one line per input, in order:\n{stdout}");
    for (line, name) in lines.iter().zip(["landscape-1", "tree-nuthatch", "photo"]) {
        assert!(!line.contains("FAILED"), "{line}");
        let written = out.join(format!("{name}.jpg"));
        let size = std::fs::metadata(&written).unwrap().len();
        assert!(size <= 200_000, "{name}: {size} bytes");
        assert!(line.contains(&format!("-> {size} bytes")), "{line}");
    }
    assert!(
        lines[1].contains("6028x3391 (decoded at 3014x1696)"),
        "shrink-on-load: {}",
        lines[1]
    );
    assert!(
        lines[1].contains("-> ") && lines[1].contains("1200x675"),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].contains("half.jpg: FAILED") && lines[3].contains("truncated"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].contains("FAILED: unsupported format (HEIC): convert it to JPEG"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].contains("FAILED: fetch answered HTTP 404"),
        "{}",
        lines[5]
    );
}
