//! PDF: the document is read with lopdf and written again without its Info dictionary, XMP
//! metadata streams, piece info, annotation authors and IDs. Writing it anew keeps only the
//! objects the document still reaches, so older revisions of an incrementally updated file go.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Dictionary, Document, Object};

use crate::{Kept, Outcome, Refused, Removed};

/// Annotation subtypes whose `/T` is the name of the person who wrote them (a form field's
/// `/T`, in a Widget, is its name and stays).
const AUTHORED: [&[u8]; 17] = [
    b"Text",
    b"FreeText",
    b"Line",
    b"Square",
    b"Circle",
    b"Polygon",
    b"PolyLine",
    b"Highlight",
    b"Underline",
    b"Squiggly",
    b"StrikeOut",
    b"Stamp",
    b"Caret",
    b"Ink",
    b"Popup",
    b"FileAttachment",
    b"Sound",
];

pub(crate) fn clean(bytes: &[u8]) -> Result<Outcome, Refused> {
    // A hostile file may make the parser panic: that is a damaged file, not a crash.
    catch_unwind(AssertUnwindSafe(|| clean_document(bytes))).unwrap_or(Err(Refused::Damaged))
}

/// Field widths of cross-reference streams (`/W [a b c]`) larger than this are refused before
/// parsing: lopdf allocates buffers of those widths, and an allocation failure aborts the whole
/// process rather than panicking (found by fuzzing). Real files use at most 8 bytes.
const MAX_XREF_FIELD: u64 = 8;

fn xref_widths_are_sane(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some(at) = rest.windows(2).position(|w| w == b"/W") {
        rest = &rest[at + 2..];
        let after = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |i| &rest[i..]);
        let Some(array) = after.strip_prefix(b"[") else {
            continue;
        };
        let end = array.iter().position(|&b| b == b']').unwrap_or(array.len());
        let too_wide = array[..end]
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .any(|t| {
                std::str::from_utf8(t)
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
                    .is_none_or(|n| n > MAX_XREF_FIELD)
            });
        if too_wide {
            return false;
        }
    }
    true
}

fn clean_document(bytes: &[u8]) -> Result<Outcome, Refused> {
    if !xref_widths_are_sane(bytes) {
        return Err(Refused::Damaged);
    }
    let encrypted = || bytes.windows(8).any(|w| w == b"/Encrypt");
    // lopdf tries to decrypt on load: a file it cannot read that names an encryption
    // dictionary is a protected file, not a damaged one.
    let mut doc = Document::load_mem(bytes).map_err(|_| {
        if encrypted() {
            Refused::Encrypted
        } else {
            Refused::Damaged
        }
    })?;
    if doc.trailer.has(b"Encrypt") {
        return Err(Refused::Encrypted);
    }
    let mut removed = Vec::new();
    if let Ok(info) = doc.trailer.get(b"Info") {
        let has_entries = match info {
            Object::Reference(id) => doc.get_dictionary(*id).is_ok_and(|d| !d.is_empty()),
            Object::Dictionary(d) => !d.is_empty(),
            _ => true,
        };
        if has_entries {
            removed.push(Removed::PdfInfo);
        }
    }
    doc.trailer.remove(b"Info");
    doc.trailer.remove(b"ID");
    let mut pictures = false;
    for object in doc.objects.values_mut() {
        match object {
            Object::Stream(stream) => {
                pictures |= stream
                    .dict
                    .get(b"Subtype")
                    .and_then(Object::as_name)
                    .is_ok_and(|n| n == b"Image");
                scrub(&mut stream.dict, &mut removed);
            }
            other => scrub_object(other, &mut removed),
        }
    }
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).map_err(|_| Refused::Damaged)?;
    let mut kept = vec![Kept::DocumentContent];
    if pictures {
        kept.push(Kept::EmbeddedPictures);
    }
    Ok((out, removed, kept))
}

fn scrub_object(object: &mut Object, removed: &mut Vec<Removed>) {
    match object {
        Object::Dictionary(d) => scrub(d, removed),
        Object::Array(items) => {
            for item in items {
                scrub_object(item, removed);
            }
        }
        _ => {}
    }
}

/// Removes metadata from one dictionary and the dictionaries inside it.
fn scrub(d: &mut Dictionary, removed: &mut Vec<Removed>) {
    if d.remove(b"Metadata").is_some() {
        removed.push(Removed::Xmp);
    }
    if d.remove(b"PieceInfo").is_some() {
        removed.push(Removed::Software);
    }
    let authored = d
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|s| AUTHORED.contains(&s));
    if authored && d.remove(b"T").is_some() {
        removed.push(Removed::AnnotationAuthors);
    }
    for (_, value) in d.iter_mut() {
        scrub_object(value, removed);
    }
}

#[cfg(test)]
pub(crate) fn tests_xref_widths_are_sane(bytes: &[u8]) -> bool {
    xref_widths_are_sane(bytes)
}
