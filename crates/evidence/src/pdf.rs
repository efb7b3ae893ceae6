//! PDF: the document is read with lopdf and written again without its Info dictionary, XMP
//! metadata streams, piece info, annotation authors and dates, and IDs. The trailer keeps only
//! its `/Root`, and only the objects the root still reaches are written, so older revisions of
//! an incrementally updated file go.
//!
//! Hostile files: a panic inside lopdf is caught and is a damaged file. Two failures cannot be
//! caught, because they abort the process: a failed allocation and a stack overflow. Before
//! lopdf parses anything, cross-reference field widths are bounded (lopdf allocates buffers of
//! those widths) and so is the nesting of arrays and dictionaries (lopdf's parser recurses once
//! per level); object streams are checked the same way once decompressed, before lopdf parses
//! the objects inside them. The check reads the file as a parser does from its start; a file
//! crafted so that lopdf parses from offsets inside what looks like a string or stream data
//! escapes it, as does a deflate bomb in an object stream (see docs/crypto.md, Limits).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Dictionary, Document, Object, ObjectId, Reader};

use crate::{Kept, Outcome, Refused, Removed};

/// Annotation subtypes whose `/T` is the name of the person who wrote them (a form field's
/// `/T`, in a Widget, is its name and stays).
const AUTHORED: [&[u8]; 18] = [
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
    b"Redact",
];

/// The deepest nesting of arrays and dictionaries accepted. Real files stay far below; lopdf
/// overflows a 2 MiB thread stack at about 150 levels unoptimised, 600 optimised.
const MAX_NESTING: usize = 48;

pub(crate) fn clean(bytes: &[u8]) -> Result<Outcome, Refused> {
    if !xref_widths_are_sane(bytes) || nesting_depth(bytes) > MAX_NESTING {
        return Err(Refused::Damaged);
    }
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

/// The deepest nesting of arrays and dictionaries in PDF syntax, read from the start; literal
/// and hexadecimal strings, comments and stream data are skipped. Stops past [`MAX_NESTING`].
fn nesting_depth(b: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() && deepest <= MAX_NESTING {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'[' => depth += 1,
            b'<' if next == Some(b'<') => {
                depth += 1;
                i += 1;
            }
            b']' => depth = depth.saturating_sub(1),
            b'>' if next == Some(b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'<' => i = find(b, i, b">").unwrap_or(b.len()),
            b'%' => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\r' || c == b'\n')
                    .map_or(b.len(), |p| i + p)
            }
            b'(' => i = literal_string_end(b, i),
            b's' if is_stream_start(b, i) => {
                i = find(b, i, b"endstream").map_or(b.len(), |at| at + b"endstream".len() - 1);
            }
            _ => {}
        }
        deepest = deepest.max(depth);
        i += 1;
    }
    deepest
}

/// Where `needle` next starts after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from + 1..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + 1 + p)
}

/// The index of the `)` that closes the literal string opened at `open`.
fn literal_string_end(b: &[u8], open: usize) -> usize {
    let (mut level, mut i) = (0usize, open);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'(' => level += 1,
            b')' => {
                level -= 1;
                if level == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The keyword `stream` that starts stream data, at `at`.
fn is_stream_start(b: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|p| b.get(p));
    b[at..].starts_with(b"stream")
        && before.is_some_and(|c| c.is_ascii_whitespace() || *c == b'>')
        && matches!(b.get(at + 6), Some(b'\r' | b'\n'))
}

thread_local! {
    /// Set by [`check_object_stream`], which lopdf calls as a plain function, when an object
    /// stream nests too deeply.
    static TOO_DEEP: Cell<bool> = const { Cell::new(false) };
}

/// lopdf's load filter: decompresses each object stream (lopdf would next) and refuses one
/// whose objects nest too deeply, before lopdf parses them. Every object is kept unchanged.
fn check_object_stream(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        if stream.dict.has_type(b"ObjStm") {
            let _ = stream.decompress();
            if nesting_depth(&stream.content) > MAX_NESTING {
                TOO_DEEP.set(true);
                return None;
            }
        }
    }
    Some((id, object.clone()))
}

fn load(bytes: &[u8]) -> Result<Document, Refused> {
    TOO_DEEP.set(false);
    let reader = Reader {
        buffer: bytes,
        document: Document::new(),
    };
    let loaded = reader.read(Some(check_object_stream));
    if TOO_DEEP.replace(false) {
        return Err(Refused::Damaged);
    }
    // lopdf does not decrypt, and the object streams of an encrypted file do not parse: a file
    // it cannot read that names an encryption dictionary is a protected file, not a damaged one.
    loaded.map_err(|_| {
        if bytes.windows(8).any(|w| w == b"/Encrypt") {
            Refused::Encrypted
        } else {
            Refused::Damaged
        }
    })
}

fn clean_document(bytes: &[u8]) -> Result<Outcome, Refused> {
    let mut doc = load(bytes)?;
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
    // The trailer keeps its root only: no Info, no ID, no stale offsets, nothing else.
    let root = doc
        .trailer
        .get(b"Root")
        .cloned()
        .map_err(|_| Refused::Damaged)?;
    doc.trailer = Dictionary::new();
    doc.trailer.set("Root", root);
    prune(&mut doc);
    for object in doc.objects.values_mut() {
        match object {
            Object::Stream(stream) => scrub(&mut stream.dict, &mut removed),
            other => scrub_object(other, &mut removed),
        }
    }
    // The metadata streams are now unreachable.
    prune(&mut doc);
    let pictures = doc.objects.values().any(|o| {
        o.as_stream()
            .and_then(|s| s.dict.get(b"Subtype"))
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image")
    });
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).map_err(|_| Refused::Damaged)?;
    let mut kept = vec![Kept::DocumentContent];
    if pictures {
        kept.push(Kept::EmbeddedPictures);
    }
    Ok((out, removed, kept))
}

/// Drops the objects the trailer does not reach (lopdf's `prune_objects` takes time quadratic
/// in the number of objects).
fn prune(doc: &mut Document) {
    let mut reached = BTreeSet::new();
    let mut todo: Vec<&Object> = doc.trailer.iter().map(|(_, v)| v).collect();
    while let Some(object) = todo.pop() {
        match object {
            // Followed the first time only.
            Object::Reference(id) if reached.insert(*id) => todo.extend(doc.objects.get(id)),
            Object::Array(items) => todo.extend(items),
            Object::Dictionary(d) => todo.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => todo.extend(s.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    doc.objects.retain(|id, _| reached.contains(id));
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
    if authored {
        if d.remove(b"T").is_some() {
            removed.push(Removed::AnnotationAuthors);
        }
        let modified = d.remove(b"M").is_some();
        let created = d.remove(b"CreationDate").is_some();
        if modified || created {
            removed.push(Removed::Dates);
        }
    }
    for (_, value) in d.iter_mut() {
        scrub_object(value, removed);
    }
}

#[cfg(test)]
pub(crate) fn tests_xref_widths_are_sane(bytes: &[u8]) -> bool {
    xref_widths_are_sane(bytes)
}

#[cfg(test)]
pub(crate) fn tests_nesting_depth(bytes: &[u8]) -> usize {
    nesting_depth(bytes)
}
