//! Pictures: JPEG segments, PNG chunks and WebP (RIFF) chunks are walked and copied, except
//! the ones that carry metadata. The picture data itself is copied byte for byte.

use crate::{exif_fields, Refused, Removed};

type Cleaned = (Vec<u8>, Vec<Removed>);

fn u16_be(b: &[u8], at: usize) -> Result<usize, Refused> {
    b.get(at..at + 2)
        .map(|v| usize::from(u16::from_be_bytes([v[0], v[1]])))
        .ok_or(Refused::Damaged)
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Result<usize, Refused> {
    let v: [u8; 4] = b
        .get(at..at + 4)
        .and_then(|v| v.try_into().ok())
        .ok_or(Refused::Damaged)?;
    let n = if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    };
    usize::try_from(n).map_err(|_| Refused::Damaged)
}

const EXIF_HEADER: &[u8] = b"Exif\0\0";
const XMP_HEADER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

/// What stays of an APPn segment's payload: JFIF (APP0, without its thumbnail) and Adobe
/// (APP14, needed to read the colours). Everything else goes and is named, ICC colour profiles
/// too (their header may name the device; the picture still displays).
fn app_segment(marker: u8, payload: &[u8], removed: &mut Vec<Removed>) -> Option<Vec<u8>> {
    match marker {
        0xE0 if payload.starts_with(b"JFIF\0") => Some(jfif_without_thumbnail(payload, removed)),
        0xEE if payload.starts_with(b"Adobe") => Some(payload.to_vec()),
        0xE0 if payload.starts_with(b"JFXX\0") => {
            removed.push(Removed::Thumbnail);
            None
        }
        0xE2 if payload.starts_with(ICC_HEADER) => {
            // The first chunk holds the profile header: device maker and model at 48..56.
            let device = payload
                .get(ICC_HEADER.len() + 2..)
                .filter(|_| payload.get(ICC_HEADER.len()) == Some(&1))
                .and_then(|profile| profile.get(48..56))
                .is_some_and(|d| d.iter().any(|&b| b != 0));
            removed.push(if device {
                Removed::Device
            } else {
                Removed::OtherExif
            });
            None
        }
        0xE1 if payload.starts_with(EXIF_HEADER) => {
            removed.extend(exif_fields::classify(&payload[EXIF_HEADER.len()..]));
            None
        }
        0xE1 if payload.starts_with(XMP_HEADER) || payload.starts_with(XMP_EXTENSION) => {
            removed.push(Removed::Xmp);
            None
        }
        0xED => {
            removed.push(Removed::Iptc);
            None
        }
        _ => {
            removed.push(Removed::OtherExif);
            None
        }
    }
}

const ICC_HEADER: &[u8] = b"ICC_PROFILE\0";

/// A JFIF header: identifier, version, units, densities (12 bytes), then the thumbnail's width,
/// height and pixels, which go.
fn jfif_without_thumbnail(payload: &[u8], removed: &mut Vec<Removed>) -> Vec<u8> {
    match payload.get(..12) {
        Some(head) if payload.len() > 14 || payload[12..].iter().any(|&b| b != 0) => {
            removed.push(Removed::Thumbnail);
            let mut out = head.to_vec();
            out.extend([0, 0]);
            out
        }
        _ => payload.to_vec(),
    }
}

/// A JPEG without its metadata segments, comments and anything after its end.
pub(crate) fn clean_jpeg(b: &[u8]) -> Result<Cleaned, Refused> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(Refused::Damaged);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut removed = Vec::new();
    let mut pos = 2;
    let mut scanned = false;
    loop {
        // A marker: 0xFF, possibly repeated as fill, then its code.
        if b.get(pos) != Some(&0xFF) {
            return Err(Refused::Damaged);
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos).ok_or(Refused::Damaged)?;
        pos += 1;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let len = u16_be(b, pos)?;
        if len < 2 {
            return Err(Refused::Damaged);
        }
        let end = pos + len;
        let segment = b.get(pos..end).ok_or(Refused::Damaged)?;
        match marker {
            0xE0..=0xEF => {
                if let Some(payload) = app_segment(marker, &segment[2..], &mut removed) {
                    push_segment(&mut out, marker, &payload)?;
                }
            }
            0xFE => removed.push(Removed::Comment),
            _ => {
                out.extend_from_slice(&[0xFF, marker]);
                out.extend_from_slice(segment);
            }
        }
        pos = end;
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor
            // a restart marker.
            scanned = true;
            let start = pos;
            loop {
                match (b.get(pos), b.get(pos + 1)) {
                    (Some(0xFF), Some(0x00 | 0xD0..=0xD7)) => pos += 2,
                    (Some(0xFF), Some(_)) => break,
                    (Some(_), _) => pos += 1,
                    (None, _) => return Err(Refused::Damaged),
                }
            }
            out.extend_from_slice(&b[start..pos]);
        }
    }
    if !scanned {
        return Err(Refused::Damaged);
    }
    Ok((out, removed))
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) -> Result<(), Refused> {
    let len = u16::try_from(payload.len() + 2).map_err(|_| Refused::Damaged)?;
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A PNG without its text chunks, time stamp and EXIF.
pub(crate) fn clean_png(b: &[u8]) -> Result<Cleaned, Refused> {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err(Refused::Damaged);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut removed = Vec::new();
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let len = u32_at(b, pos, true)?;
        let kind = b.get(pos + 4..pos + 8).ok_or(Refused::Damaged)?;
        let data_end = (pos + 8).checked_add(len).ok_or(Refused::Damaged)?;
        let end = data_end.checked_add(4).ok_or(Refused::Damaged)?;
        let chunk = b.get(pos..end).ok_or(Refused::Damaged)?;
        let data = &b[pos + 8..data_end];
        let keep = match kind {
            b"tEXt" | b"zTXt" => {
                removed.push(Removed::TextChunks);
                false
            }
            b"iTXt" => {
                removed.push(if data.starts_with(b"XML:com.adobe.xmp\0") {
                    Removed::Xmp
                } else {
                    Removed::TextChunks
                });
                false
            }
            b"tIME" => {
                removed.push(Removed::Dates);
                false
            }
            b"eXIf" => {
                removed.extend(exif_fields::classify(data));
                false
            }
            _ => true,
        };
        if keep {
            out.extend_from_slice(chunk);
        }
        pos = end;
        if kind == b"IEND" {
            return Ok((out, removed));
        }
    }
}

/// A WebP without its EXIF and XMP chunks, and with their flags cleared.
pub(crate) fn clean_webp(b: &[u8]) -> Result<Cleaned, Refused> {
    let size = u32_at(b, 4, false)?;
    let end = size.checked_add(8).ok_or(Refused::Damaged)?;
    let body = b.get(12..end).ok_or(Refused::Damaged)?;
    let mut chunks = Vec::with_capacity(b.len());
    let mut removed = Vec::new();
    let mut vp8x_flags_at = None;
    let mut pos = 0;
    while pos < body.len() {
        let kind = body.get(pos..pos + 4).ok_or(Refused::Damaged)?;
        let len = u32_at(body, pos + 4, false)?;
        let padded = len.checked_add(len % 2).ok_or(Refused::Damaged)?;
        let next = (pos + 8).checked_add(padded).ok_or(Refused::Damaged)?;
        let chunk = body
            .get(pos..next.min(body.len()))
            .ok_or(Refused::Damaged)?;
        if pos + 8 + len > body.len() {
            return Err(Refused::Damaged);
        }
        match kind {
            b"EXIF" => {
                let data = &body[pos + 8..pos + 8 + len];
                let tiff = data.strip_prefix(EXIF_HEADER).unwrap_or(data);
                removed.extend(exif_fields::classify(tiff));
            }
            b"XMP " => removed.push(Removed::Xmp),
            _ => {
                if kind == b"VP8X" {
                    vp8x_flags_at = Some(12 + chunks.len() + 8);
                }
                chunks.extend_from_slice(chunk);
            }
        }
        pos = next;
    }
    let riff_size = u32::try_from(chunks.len() + 4).map_err(|_| Refused::TooLarge)?;
    let mut out = Vec::with_capacity(chunks.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    if let Some(at) = vp8x_flags_at {
        // VP8X flags: 0x08 EXIF present, 0x04 XMP present.
        if let Some(flags) = out.get_mut(at) {
            *flags &= !0x0C;
        }
    }
    Ok((out, removed))
}
