//! Reads a `multipart/form-data` body as the gateway must for `file.upload` (housing spec §2.2):
//! text parts become parameters (and are signed), the one file part is kept aside (unsigned).
//! Strict on purpose: a part without a name, a second file, or a body that does not end with the
//! closing boundary is refused, so a client that lays out its body wrongly finds out here.

/// The file part of an upload.
#[derive(Debug, Clone)]
pub struct FilePart {
    pub name: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Parts {
    pub texts: Vec<(String, String)>,
    pub file: Option<FilePart>,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("boundary=")
            .map(|b| b.trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// `name="x"` from a Content-Disposition header.
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

pub fn parse(body: &[u8], boundary: &str) -> Result<Parts, String> {
    let delim = format!("--{boundary}");
    let mut parts = Parts::default();
    let mut at = find(body, delim.as_bytes(), 0).ok_or("no opening boundary")?;
    loop {
        at += delim.len();
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        if body.get(at..at + 2) != Some(b"\r\n") {
            return Err("boundary not followed by CRLF".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("part without a header end")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).to_string();
        let content_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), content_start)
            .ok_or("no closing boundary")?;
        let content = body[content_start..next].to_vec();
        let mut disposition = None;
        let mut content_type = String::new();
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => disposition = Some(v.trim().to_string()),
                "content-type" => content_type = v.trim().to_string(),
                _ => {}
            }
        }
        let disposition = disposition.ok_or("part without Content-Disposition")?;
        let name = param(&disposition, "name").ok_or("part without a name")?;
        match param(&disposition, "filename") {
            Some(file_name) => {
                if parts.file.is_some() {
                    return Err("more than one file part".into());
                }
                parts.file = Some(FilePart {
                    name,
                    file_name,
                    content_type,
                    bytes: content,
                });
            }
            None => {
                let text = String::from_utf8(content).map_err(|_| format!("{name}: not UTF-8"))?;
                parts.texts.push((name, text));
            }
        }
        at = next + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alipay::client::multipart_body;
    use crate::alipay::housing::FileUpload;

    #[test]
    fn reads_back_what_the_client_writes() {
        let file = FileUpload {
            attachment_category: "HOUSE_PIC".into(),
            attachment_type: "IMAGE".into(),
            file_name: "a.jpg".into(),
            mime: "image/jpeg".into(),
            bytes: b"\xFF\xD8\r\n--xx\r\n\xFF\xD9".to_vec(),
        };
        let body = multipart_body("xyz", &file.text_parts(), &file);
        let parts = parse(&body, "xyz").unwrap();
        assert_eq!(
            parts.texts,
            vec![
                ("attachment_category".to_string(), "HOUSE_PIC".to_string()),
                ("attachment_type".to_string(), "IMAGE".to_string())
            ]
        );
        let f = parts.file.unwrap();
        assert_eq!(
            (f.name.as_str(), f.file_name.as_str()),
            ("file_content", "a.jpg")
        );
        assert_eq!(f.content_type, "image/jpeg");
        assert_eq!(f.bytes, file.bytes);
        assert_eq!(
            boundary("multipart/form-data; boundary=xyz").as_deref(),
            Some("xyz")
        );
    }

    #[test]
    fn a_truncated_body_is_refused() {
        let file = FileUpload {
            file_name: "a.jpg".into(),
            bytes: vec![1, 2, 3],
            ..Default::default()
        };
        let body = multipart_body("b", &[], &file);
        assert!(parse(&body[..body.len() - 8], "b").is_err());
    }
}
