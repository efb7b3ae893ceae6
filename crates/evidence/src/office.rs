//! Office documents (OOXML: docx, xlsx, pptx; OpenDocument: odt, ods, odp) are zip packages.
//! Each entry is read within the limits and written to a new package with a fixed time stamp;
//! the property parts are replaced by empty ones, thumbnails dropped, and the pictures inside
//! cleaned like any picture.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::{image, Kept, Kind, Limits, Outcome, Refused, Removed};

const CORE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"></cp:coreProperties>";
const APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"></Properties>";
const CUSTOM: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"></Properties>";
const META: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
office:version=\"1.2\"><office:meta/></office:document-meta>";

/// Elements of the property parts that name a person or an organisation.
const NAMES: [&str; 6] = [
    "creator",
    "lastModifiedBy",
    "initial-creator",
    "Company",
    "Manager",
    "LastAuthor",
];

/// The kind of office document a zip package is, from its entries.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Kind, Refused> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refused::Damaged)?;
    if zip.index_for_name("[Content_Types].xml").is_some() {
        let has = |prefix: &str| zip.file_names().any(|n| n.starts_with(prefix));
        return if has("word/") {
            Ok(Kind::Docx)
        } else if has("xl/") {
            Ok(Kind::Xlsx)
        } else if has("ppt/") {
            Ok(Kind::Pptx)
        } else {
            Err(Refused::UnknownType)
        };
    }
    let Ok(mut entry) = zip.by_name("mimetype") else {
        return Err(Refused::UnknownType);
    };
    let mut mime = Vec::new();
    entry
        .by_ref()
        .take(100)
        .read_to_end(&mut mime)
        .map_err(|_| Refused::Damaged)?;
    match mime.trim_ascii() {
        b"application/vnd.oasis.opendocument.text" => Ok(Kind::Odt),
        b"application/vnd.oasis.opendocument.spreadsheet" => Ok(Kind::Ods),
        b"application/vnd.oasis.opendocument.presentation" => Ok(Kind::Odp),
        _ => Err(Refused::UnknownType),
    }
}

/// Whether a property part has text in any element, and in one that names someone.
fn property_text(xml: &str) -> (bool, bool) {
    let text_after = |at: usize| {
        xml[at..]
            .split('<')
            .next()
            .is_some_and(|t| !t.trim().is_empty())
    };
    let any = xml.match_indices('>').any(|(i, _)| text_after(i + 1));
    let named = NAMES.iter().any(|name| {
        xml.match_indices(&format!("{name}>"))
            .any(|(i, m)| text_after(i + m.len()))
    });
    (any, named)
}

fn is_picture_part(name: &str) -> bool {
    ["word/media/", "xl/media/", "ppt/media/", "Pictures/"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Attribute values that point at a removed thumbnail, relative or absolute, in either quote.
const THUMBNAIL_REFERENCES: [&str; 8] = [
    "\"docProps/thumbnail",
    "\"/docProps/thumbnail",
    "'docProps/thumbnail",
    "'/docProps/thumbnail",
    "\"Thumbnails/",
    "\"/Thumbnails/",
    "'Thumbnails/",
    "'/Thumbnails/",
];

fn is_thumbnail(name: &str) -> bool {
    name.starts_with("docProps/thumbnail") || name.starts_with("Thumbnails/")
}

/// Drops the empty elements of a relationships or manifest part that point at a thumbnail, in
/// one pass (the part may be large and name many thumbnails).
fn drop_thumbnail_references(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    for piece in xml.split_inclusive('>') {
        let (text, tag) = piece.split_at(piece.rfind('<').unwrap_or(piece.len()));
        out.push_str(text);
        let points = THUMBNAIL_REFERENCES.iter().any(|r| tag.contains(r));
        if !(points && tag.ends_with("/>")) {
            out.push_str(tag);
        }
    }
    out
}

pub(crate) fn clean(bytes: &[u8], limits: &Limits) -> Result<Outcome, Refused> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refused::Damaged)?;
    if zip.len() > limits.max_entries {
        return Err(Refused::TooComplex);
    }
    let mut budget = limits.max_unpacked_bytes;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        if zip
            .by_index_raw(i)
            .map_err(|_| Refused::Damaged)?
            .encrypted()
        {
            return Err(Refused::Encrypted);
        }
        let mut entry = zip.by_index(i).map_err(|_| Refused::Damaged)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let mut data = Vec::new();
        // Never trust the sizes the headers claim: count what comes out.
        entry
            .by_ref()
            .take(budget.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|_| Refused::Damaged)?;
        let used = u64::try_from(data.len()).unwrap_or(u64::MAX);
        budget = budget.checked_sub(used).ok_or(Refused::TooComplex)?;
        entries.push((name, data));
    }
    let mut removed = Vec::new();
    let mut kept = vec![Kept::DocumentContent];
    let mut cleaned: Vec<(String, Vec<u8>)> = Vec::with_capacity(entries.len());
    for (name, data) in entries {
        let replacement = match name.as_str() {
            "docProps/core.xml" => Some(CORE),
            "docProps/app.xml" => Some(APP),
            "docProps/custom.xml" => Some(CUSTOM),
            "meta.xml" => Some(META),
            _ => None,
        };
        if let Some(empty) = replacement {
            let (any, named) = property_text(&String::from_utf8_lossy(&data));
            if any {
                removed.push(Removed::OfficeProperties);
            }
            if named {
                removed.push(Removed::Author);
            }
            cleaned.push((name, empty.as_bytes().to_vec()));
            continue;
        }
        if is_thumbnail(&name) {
            removed.push(Removed::Thumbnail);
            continue;
        }
        let tracked =
            name == "word/document.xml" && String::from_utf8_lossy(&data).contains("w:author=");
        if name.contains("comments") || name.ends_with("people.xml") || tracked {
            kept.push(Kept::CommentAuthors);
        }
        let data = if is_picture_part(&name) {
            let picture = match crate::sniff(&data) {
                Ok(Kind::Jpeg) => image::clean_jpeg(&data).ok(),
                Ok(Kind::Png) => image::clean_png(&data).ok(),
                Ok(Kind::Webp) => image::clean_webp(&data).ok(),
                _ => None,
            };
            match picture {
                Some((out, found)) => {
                    if !found.is_empty() {
                        removed.push(Removed::EmbeddedPictureMetadata);
                    }
                    out
                }
                // Another format (TIFF, EMF, GIF...) or a damaged picture: it stays as it is,
                // and the reporter is told.
                None => {
                    kept.push(Kept::EmbeddedPictures);
                    data
                }
            }
        } else {
            data
        };
        cleaned.push((name, data));
    }
    for (name, data) in &mut cleaned {
        let listing = name == "_rels/.rels" || name == "META-INF/manifest.xml";
        // A part in UTF-16 (allowed, never seen) keeps its dangling reference.
        if let Some(xml) = std::str::from_utf8(data).ok().filter(|_| listing) {
            *data = drop_thumbnail_references(xml).into_bytes();
        }
    }
    // OpenDocument wants `mimetype` first and stored.
    cleaned.sort_by_key(|(name, _)| name != "mimetype");
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    let at = zip::DateTime::default();
    for (name, data) in cleaned {
        let method = if name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(at);
        out.start_file(name, options)
            .map_err(|_| Refused::Damaged)?;
        out.write_all(&data).map_err(|_| Refused::Damaged)?;
    }
    let bytes = out.finish().map_err(|_| Refused::Damaged)?.into_inner();
    Ok((bytes, removed, kept))
}
