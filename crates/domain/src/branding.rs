//! An organisation's branding on its reports: the name to show and a logo,
//! a PNG or JPEG recognised by its bytes (never by a file name or a
//! declared type) and refused above [`MAX_LOGO_BYTES`].

use serde::Serialize;

use crate::errors::ValidationErrors;
use crate::text::clean;

/// The largest logo accepted: 1 MiB, plenty for a crest at print size.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// The largest logo in pixels on either side.
pub const MAX_LOGO_PIXELS: u32 = 4_000;
pub const MAX_DISPLAY_NAME: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
        }
    }
}

/// A logo whose bytes have been read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Reads a PNG's or JPEG's kind and size from its bytes.
pub fn parse_logo(bytes: &[u8]) -> Result<Logo, String> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(format!(
            "is {:.1} MB; a logo must be at most 1 MB",
            bytes.len() as f64 / 1_000_000.0
        ));
    }
    let (kind, width, height) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
            return Err("is not a complete PNG image".into());
        }
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        (ImageKind::Png, w, h)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let (w, h) = jpeg_size(bytes).ok_or("is not a complete JPEG image")?;
        (ImageKind::Jpeg, w, h)
    } else {
        return Err("is not a PNG or JPEG image".into());
    };
    if width == 0 || height == 0 || width > MAX_LOGO_PIXELS || height > MAX_LOGO_PIXELS {
        return Err(format!(
            "is {width} × {height} pixels; a logo must be 1 to {MAX_LOGO_PIXELS} pixels each way"
        ));
    }
    Ok(Logo {
        kind,
        width,
        height,
        bytes: bytes.to_vec(),
    })
}

/// The size in a JPEG's start-of-frame marker.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            if i + 9 > b.len() {
                return None;
            }
            let h = u32::from(u16::from_be_bytes([b[i + 5], b[i + 6]]));
            let w = u32::from(u16::from_be_bytes([b[i + 7], b[i + 8]]));
            return Some((w, h));
        }
        if len < 2 {
            return None;
        }
        i += 2 + len;
    }
    None
}

/// The name reports show; blank means the organisation's own name.
pub fn parse_display_name(input: &str) -> Result<String, ValidationErrors> {
    clean(input, MAX_DISPLAY_NAME, false, false)
        .map_err(|m| ValidationErrors::single("display_name", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn reads_a_png_by_its_bytes() {
        let logo = parse_logo(&png(300, 120)).unwrap();
        assert_eq!(
            (logo.kind, logo.width, logo.height),
            (ImageKind::Png, 300, 120)
        );
    }

    #[test]
    fn reads_a_jpeg_frame_size() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        b.extend([0xFF, 0xC0, 0, 11, 8, 0, 50, 0, 200, 3]);
        let logo = parse_logo(&b).unwrap();
        assert_eq!(
            (logo.kind, logo.width, logo.height),
            (ImageKind::Jpeg, 200, 50)
        );
    }

    #[test]
    fn refuses_a_20_mb_logo_and_other_files() {
        let mut big = png(100, 100);
        big.resize(20 * 1024 * 1024, 0);
        assert!(parse_logo(&big).unwrap_err().contains("at most 1 MB"));
        assert!(parse_logo(b"GIF89a")
            .unwrap_err()
            .contains("not a PNG or JPEG"));
        assert!(parse_logo(&png(0, 10)).unwrap_err().contains("pixels"));
        assert!(parse_logo(&[0xFF, 0xD8, 0xFF]).is_err());
    }
}
