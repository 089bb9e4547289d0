//! Photo warnings per room, photo by photo, with a preview of each photo as the platform gets it:
//! its size in bytes and pixels, the JPEG quality the pipeline chose, and a small thumbnail
//! (a `data:` URI) re-encoded from that JPEG. The photos are read and processed again with the
//! tenant's own settings and sources, so a fixed photo shows fixed; at most [`MAX_PREVIEWS`]
//! per report, each thumbnail within [`THUMB_BYTES`], so a report stays small, and within
//! [`PREVIEWS_TIME`] in all, so `status` answers even when a photo host does not.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;

use crate::config::Config;
use crate::outbox::{Outbox, WarningRow};
use crate::photo::{PhotoSettings, Pool};

/// Photos previewed per report (the rest are listed without a preview).
pub const MAX_PREVIEWS: usize = 40;
/// A thumbnail's JPEG budget: 40 of them stay under half a megabyte of base64.
pub const THUMB_BYTES: usize = 9_000;
const THUMB_EDGE: u32 = 160;
/// Photos listed per room.
const MAX_PHOTOS: usize = 30;
/// One photo's preview (read and both encodes), and all of a report's: an unreachable photo
/// host must not hold `status` for the daemon's full fetch deadline per photo.
const PREVIEW_TIME: Duration = Duration::from_secs(15);
const PREVIEWS_TIME: Duration = Duration::from_secs(45);
pub const SIZE_LIMIT: &str = "not previewed (report size limit)";
pub const TIME_LIMIT: &str = "not previewed (report time limit)";

#[derive(Debug, Clone, Serialize)]
pub struct PhotoRoom {
    pub tenant: String,
    pub kind: String,
    pub room_code: String,
    pub photos: Vec<PhotoLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhotoLine {
    /// 1-based, as the warnings count.
    pub index: usize,
    pub location: String,
    /// Why the daemon did not use it, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
    /// Why no preview: the photo's problem now, or the report's size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_preview: Option<String>,
}

/// The photo as the platform gets it.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub bytes: usize,
    pub width: u32,
    pub height: u32,
    pub quality: f32,
    /// `data:image/jpeg;base64,…`, at most [`THUMB_EDGE`] pixels on the long edge.
    pub thumbnail: String,
}

impl Preview {
    pub fn text(&self) -> String {
        format!(
            "{} KB, {}×{}, quality {:.0}",
            self.bytes.div_ceil(1000),
            self.width,
            self.height,
            self.quality
        )
    }
}

/// The rooms with photo warnings, photo by photo as the warnings name them (no previews).
pub fn from_warnings(rows: &[WarningRow]) -> Vec<PhotoRoom> {
    rows.iter()
        .filter_map(|w| {
            let photos: Vec<PhotoLine> = w
                .warnings
                .split("; ")
                .filter_map(|part| parse_warning(&w.room_code, part))
                .map(|(index, location, why)| PhotoLine {
                    index,
                    location,
                    warning: Some(why),
                    preview: None,
                    no_preview: None,
                })
                .collect();
            (!photos.is_empty()).then(|| PhotoRoom {
                tenant: w.tenant.clone(),
                kind: w.kind.clone(),
                room_code: w.room_code.clone(),
                photos,
            })
        })
        .collect()
}

/// A warning about something other than a photo (an add-only field changed since the add, …).
#[derive(Debug, Clone, Serialize)]
pub struct RoomWarning {
    pub tenant: String,
    pub room_code: String,
    pub warning: String,
}

/// The warnings [`from_warnings`] leaves out: those that name no photo.
pub fn other_warnings(rows: &[WarningRow]) -> Vec<RoomWarning> {
    rows.iter()
        .flat_map(|w| {
            w.warnings
                .split("; ")
                .filter(|part| parse_warning(&w.room_code, part).is_none())
                .map(|part| RoomWarning {
                    tenant: w.tenant.clone(),
                    room_code: w.room_code.clone(),
                    warning: part.to_string(),
                })
        })
        .collect()
}

/// As [`from_warnings`], with every photo of each room (from the queued listing) read and
/// processed again for its preview.
pub async fn with_previews(
    cfg: &Config,
    outbox: &Outbox,
    rows: &[WarningRow],
) -> anyhow::Result<Vec<PhotoRoom>> {
    let pool = Pool::new(cfg.worker.photo_pool());
    let mut budget = MAX_PREVIEWS;
    let started = Instant::now();
    let mut out = Vec::new();
    for mut room in from_warnings(rows) {
        let Some(t) = cfg.tenants.iter().find(|t| t.name == room.tenant) else {
            out.push(room);
            continue;
        };
        let Some(listing) = outbox
            .item_listing(&room.tenant, &room.kind, &room.room_code)
            .await?
        else {
            out.push(room);
            continue;
        };
        let source = t.photo_source()?;
        let settings = PhotoSettings {
            max_bytes: t.max_photo_bytes,
            long_edge: t.photo_long_edge,
            ..Default::default()
        };
        let warned = std::mem::take(&mut room.photos);
        for (i, location) in listing.photos.iter().take(MAX_PHOTOS).enumerate() {
            let warning = warned
                .iter()
                .find(|p| p.index == i + 1)
                .and_then(|p| p.warning.clone());
            let (preview, no_preview) = if budget == 0 {
                (None, Some(SIZE_LIMIT.to_string()))
            } else if started.elapsed() > PREVIEWS_TIME {
                (None, Some(TIME_LIMIT.to_string()))
            } else {
                budget -= 1;
                let job = preview(&source, &pool, &settings, location);
                match tokio::time::timeout(PREVIEW_TIME, job).await {
                    Ok(Ok(p)) => (Some(p), None),
                    Ok(Err(e)) => (None, Some(e)),
                    Err(_) => (None, Some(format!("took longer than {PREVIEW_TIME:?}"))),
                }
            };
            room.photos.push(PhotoLine {
                index: i + 1,
                location: location.clone(),
                warning,
                preview,
                no_preview,
            });
        }
        out.push(room);
    }
    Ok(out)
}

/// Reads and processes one photo as the daemon would, then shrinks the result to a thumbnail.
async fn preview(
    source: &crate::photo::PhotoSource,
    pool: &Pool,
    settings: &PhotoSettings,
    location: &str,
) -> Result<Preview, String> {
    let bytes = source.fetch(location).await.map_err(|e| e.to_string())?;
    let sent = pool
        .process(bytes, settings.clone())
        .await
        .map_err(|e| e.to_string())?;
    let thumb_settings = PhotoSettings {
        max_bytes: THUMB_BYTES,
        long_edge: THUMB_EDGE,
        max_quality: 80,
        min_quality: 30,
        ..Default::default()
    };
    let thumb = pool
        .process(sent.jpeg.clone(), thumb_settings)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Preview {
        bytes: sent.jpeg.len(),
        width: sent.out_size.0,
        height: sent.out_size.1,
        quality: sent.quality,
        thumbnail: format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&thumb.jpeg)
        ),
    })
}

/// `room R: photo N (LOCATION): WHY` → (N, LOCATION, WHY).
fn parse_warning(room: &str, text: &str) -> Option<(usize, String, String)> {
    let rest = text.strip_prefix(&format!("room {room}: photo "))?;
    let (n, rest) = rest.split_once(" (")?;
    let (location, why) = rest.split_once("): ")?;
    Some((n.parse().ok()?, location.to_string(), why.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_the_photo_its_location_and_why() {
        assert_eq!(
            parse_warning(
                "100001",
                "room 100001: photo 2 (/etc/shadow): outside photo_dir"
            ),
            Some((2, "/etc/shadow".into(), "outside photo_dir".into()))
        );
        assert_eq!(parse_warning("100001", "something else"), None);
    }

    #[test]
    fn warnings_that_name_no_photo_are_kept_apart() {
        let row = WarningRow {
            tenant: "t1".into(),
            kind: "dispersion".into(),
            room_code: "100001".into(),
            warnings: "room 100001: photo 1 (a.jpg): missing; room 100001: bed_room changed".into(),
        };
        let rooms = from_warnings(std::slice::from_ref(&row));
        assert_eq!(rooms.len(), 1);
        assert_eq!(rooms[0].photos.len(), 1);
        let other = other_warnings(&[row]);
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].warning, "room 100001: bed_room changed");
    }
}
