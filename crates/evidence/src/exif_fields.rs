//! What an EXIF block holds, in the terms the reporter is shown.

use std::panic::{catch_unwind, AssertUnwindSafe};

use exif::{Context, In, Tag};

use crate::Removed;

/// The kinds of data in a TIFF-structured EXIF block (without the `Exif\0\0` prefix). A block
/// that does not parse (or makes the parser panic) is still reported, as other EXIF data.
pub(crate) fn classify(tiff: &[u8]) -> Vec<Removed> {
    let read = || exif::Reader::new().read_raw(tiff.to_vec());
    let Ok(Ok(exif)) = catch_unwind(AssertUnwindSafe(read)) else {
        return vec![Removed::OtherExif];
    };
    let mut out = Vec::new();
    for f in exif.fields() {
        if f.tag == Tag::CameraOwnerName {
            // The owner of the camera names both a person and a device.
            out.push(Removed::Device);
        }
        let what = if f.ifd_num == In::THUMBNAIL {
            Removed::Thumbnail
        } else if f.tag.context() == Context::Gps {
            Removed::Location
        } else {
            match f.tag {
                Tag::Make
                | Tag::Model
                | Tag::BodySerialNumber
                | Tag::LensMake
                | Tag::LensModel
                | Tag::LensSerialNumber => Removed::Device,
                Tag::Artist | Tag::Copyright | Tag::CameraOwnerName | Tag::ImageDescription => {
                    Removed::Author
                }
                Tag::DateTime
                | Tag::DateTimeOriginal
                | Tag::DateTimeDigitized
                | Tag::OffsetTime
                | Tag::OffsetTimeOriginal
                | Tag::OffsetTimeDigitized
                | Tag::SubSecTime
                | Tag::SubSecTimeOriginal
                | Tag::SubSecTimeDigitized => Removed::Dates,
                Tag::Software => Removed::Software,
                // Windows' XPAuthor and XPComment.
                t if t == Tag(Context::Tiff, 0x9C9D) || t == Tag(Context::Tiff, 0x9C9C) => {
                    Removed::Author
                }
                Tag::GPSInfoIFDPointer | Tag::ExifIFDPointer | Tag::InteropIFDPointer => continue,
                _ => Removed::OtherExif,
            }
        };
        out.push(what);
    }
    if out.is_empty() {
        out.push(Removed::OtherExif);
    }
    out
}
