//! 文件资源上传 image and contract upload (spec §2.4): the file travels base64-encoded inside
//! `biz_content` (not multipart), and the answer is the URL to put into a room's `images`.

use std::fmt;

use crate::alipay::client::ApiRequest;

/// 文件资源上传 upload one image or contract file. `Debug` prints the payload's length only.
#[serde_with::skip_serializing_none]
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ImageUpload {
    /// 文件base64 the file bytes as base64 (wire name `file_base`, not `file_base64`); file at
    /// most 5 MB per the SDK (the 2017 guide said 700 KB for images).
    pub file_base: String,
    /// 文件类型 file type: `1` 图片 image (jpg, png, jpeg, bmp), `2` 合同 contract (HTML).
    pub file_type: String,
    /// 是否公开 public read: `true` public, `false` private (e.g. e-contracts).
    pub is_public: Option<bool>,
}

impl fmt::Debug for ImageUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageUpload")
            .field("file_base_len", &self.file_base.len())
            .field("file_type", &self.file_type)
            .field("is_public", &self.is_public)
            .finish()
    }
}

impl ApiRequest for ImageUpload {
    const METHOD: &'static str = "alipay.eco.renthouse.common.image.upload";
    type Response = ImageUploadResponse;
}

/// Answer of common.image.upload.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ImageUploadResponse {
    /// 图片url地址 URL of the stored file (observed plain-http OSS URLs).
    pub url: Option<String>,
}
