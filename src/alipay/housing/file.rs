//! `file.upload` (§2.2, §4.6): the family's only multipart method. There is no `biz_content`; the
//! two text parts are signed with the common parameters, the file part is not. The answer is an
//! `attachment_id`, never a URL, and it is what picture lists carry.

use std::fmt;

pub const METHOD: &str = "alipay.commerce.housing.file.upload";

/// One file to upload. `Debug` prints the byte count only: photos do not belong in logs.
#[derive(Clone, Default, PartialEq)]
pub struct FileUpload {
    /// 文件类别: values unpublished (§9.1), so it comes from the tenant's config.
    pub attachment_category: String,
    /// 文件类型: likewise.
    pub attachment_type: String,
    /// The part's `filename`.
    pub file_name: String,
    /// The part's `Content-Type`, e.g. `image/jpeg`.
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl FileUpload {
    /// The signed text parts, in the SDK's order. Empty values are not sent (the SDK skips them,
    /// and the signature skips empty values anyway).
    pub fn text_parts(&self) -> Vec<(&'static str, &str)> {
        [
            ("attachment_category", self.attachment_category.as_str()),
            ("attachment_type", self.attachment_type.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("attachment_category", &self.attachment_category)
            .field("attachment_type", &self.attachment_type)
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FileUploadResponse {
    /// 附件id.
    pub attachment_id: Option<String>,
}
