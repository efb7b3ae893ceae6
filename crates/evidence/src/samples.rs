//! Sample files with planted identifying metadata, for tests here and in the crates above
//! (feature `samples`). Each carries `marker` in its metadata; documents carry `body` in their
//! text, which must survive cleaning.

use std::io::{Cursor, Write};

use lopdf::{dictionary, Document, Object, Stream, StringFormat};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A valid 8×8 grey baseline JPEG with a JFIF header and nothing else.
const TINY_JPEG: &[u8] = include_bytes!("tiny.jpg");

/// One IFD entry: tag, type (2 ASCII, 4 LONG, 5 RATIONAL), count, value bytes.
struct Entry(u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, text: &str) -> Entry {
    let mut v = text.as_bytes().to_vec();
    v.push(0);
    Entry(tag, 2, u32::try_from(v.len()).unwrap_or(0), v)
}

fn rationals(tag: u16, values: &[(u32, u32)]) -> Entry {
    let v = values
        .iter()
        .flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes()))
        .collect();
    Entry(tag, 5, u32::try_from(values.len()).unwrap_or(0), v)
}

/// Writes an IFD at `at` (offset from the TIFF header), values longer than 4 bytes after it;
/// returns the IFD's bytes.
fn ifd(at: u32, entries: &[Entry]) -> Vec<u8> {
    let count = u16::try_from(entries.len()).unwrap_or(0);
    let mut data_at = at + 2 + 12 * u32::from(count) + 4;
    let mut head = count.to_le_bytes().to_vec();
    let mut data = Vec::new();
    for Entry(tag, kind, n, value) in entries {
        head.extend(tag.to_le_bytes());
        head.extend(kind.to_le_bytes());
        head.extend(n.to_le_bytes());
        if value.len() <= 4 {
            let mut v = value.clone();
            v.resize(4, 0);
            head.extend(v);
        } else {
            head.extend(data_at.to_le_bytes());
            data.extend(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at = at + 2 + 12 * u32::from(count) + 4 + u32::try_from(data.len()).unwrap_or(0);
        }
    }
    head.extend(0u32.to_le_bytes());
    head.extend(data);
    head
}

/// An EXIF block (TIFF, little-endian) with a camera, an author, dates, software and the GPS
/// position of Hanoi's Hoàn Kiếm lake.
fn exif(marker: &str) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    // IFD0 first, with a placeholder GPS pointer; the GPS IFD follows it.
    let entries = |gps_at: u32| {
        vec![
            ascii(0x010F, "PhoneMaker"),
            ascii(0x0110, &format!("Model {marker}")),
            ascii(0x0131, "Camera App 1.0"),
            ascii(0x0132, "2026:12:01 08:30:00"),
            ascii(0x013B, &format!("Nguyen Van {marker}")),
            Entry(0x8825, 4, 1, gps_at.to_le_bytes().to_vec()),
        ]
    };
    let first = ifd(8, &entries(0));
    let gps_at = 8 + u32::try_from(first.len()).unwrap_or(0);
    tiff.extend(ifd(8, &entries(gps_at)));
    tiff.extend(ifd(
        gps_at,
        &[
            ascii(0x0001, "N"),
            rationals(0x0002, &[(21, 1), (1, 1), (4260, 100)]),
            ascii(0x0003, "E"),
            rationals(0x0004, &[(105, 1), (51, 1), (1512, 100)]),
        ],
    ));
    tiff
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend(u16::try_from(payload.len() + 2).unwrap_or(0).to_be_bytes());
    s.extend(payload);
    s
}

/// A JPEG with EXIF (GPS, camera, author, dates, software), XMP and a comment, each carrying
/// `marker`.
pub fn jpeg(marker: &str) -> Vec<u8> {
    // The tiny JPEG is SOI, APP0 (JFIF), then the picture.
    let app0_len = usize::from(u16::from_be_bytes([TINY_JPEG[4], TINY_JPEG[5]]));
    let (head, picture) = TINY_JPEG.split_at(4 + app0_len);
    let mut out = head.to_vec();
    let mut exif_payload = b"Exif\0\0".to_vec();
    exif_payload.extend(exif(marker));
    out.extend(segment(0xE1, &exif_payload));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(format!("<x:xmpmeta><dc:creator>{marker}</dc:creator></x:xmpmeta>").as_bytes());
    out.extend(segment(0xE1, &xmp));
    out.extend(segment(0xFE, format!("taken by {marker}").as_bytes()));
    out.extend(picture);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    let mut body = kind.to_vec();
    body.extend(data);
    c.extend(&body);
    c.extend(crc32(&body).to_be_bytes());
    c
}

/// A 1×1 grey PNG with an author text chunk, an XMP packet and a time stamp.
pub fn png(marker: &str) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
    out.extend(png_chunk(b"tEXt", format!("Author\0{marker}").as_bytes()));
    out.extend(png_chunk(
        b"iTXt",
        format!("XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>{marker}</x:xmpmeta>").as_bytes(),
    ));
    out.extend(png_chunk(b"tIME", &[0x07, 0xEA, 12, 1, 8, 30, 0]));
    // zlib, one stored block holding the filter byte and the pixel; then Adler-32 of them.
    let idat = [
        0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x80, 0x00, 0x82, 0x00, 0x81,
    ];
    out.extend(png_chunk(b"IDAT", &idat));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

/// A one-page PDF showing `body`, with an Info dictionary, an XMP stream and a note whose
/// author is `marker`.
pub fn pdf(marker: &str, body: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let content = format!("BT /F1 12 Tf 72 720 Td ({body}) Tj ET");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let note_id = doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Text",
        "Rect" => vec![100.into(), 100.into(), 120.into(), 120.into()],
        "T" => text(marker),
        "Contents" => text("note"),
    });
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Annots" => vec![note_id.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let xmp = format!("<x:xmpmeta><dc:creator>{marker}</dc:creator></x:xmpmeta>");
    let metadata_id = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        xmp.into_bytes(),
    ));
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Metadata" => metadata_id,
    });
    let info_id = doc.add_object(dictionary! {
        "Title" => text(marker),
        "Author" => text(marker),
        "Creator" => text(marker),
        "Producer" => text(marker),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    let _ = doc.save_to(&mut out);
    out
}

fn package(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let _ = zip.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        );
        let _ = zip.write_all(data);
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// A Word document whose text is `body`, whose properties name `marker` as creator, last
/// editor, title and company, with a thumbnail and a picture carrying EXIF.
pub fn docx(marker: &str, body: &str) -> Vec<u8> {
    let s = |t: &str| t.as_bytes().to_vec();
    package(&[
        ("[Content_Types].xml", s("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/><Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/></Types>")),
        ("_rels/.rels", s("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/><Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/><Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail\" Target=\"docProps/thumbnail.jpeg\"/></Relationships>")),
        ("word/document.xml", s(&format!("<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>{body}</w:t></w:r></w:p></w:body></w:document>"))),
        ("word/_rels/document.xml.rels", s("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/image1.jpeg\"/></Relationships>")),
        ("word/media/image1.jpeg", jpeg(marker)),
        ("docProps/core.xml", s(&format!("<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{marker}</dc:title><dc:creator>{marker}</dc:creator><cp:lastModifiedBy>{marker}</cp:lastModifiedBy></cp:coreProperties>"))),
        ("docProps/app.xml", s(&format!("<?xml version=\"1.0\"?><Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Company>{marker}</Company></Properties>"))),
        ("docProps/thumbnail.jpeg", jpeg(marker)),
    ])
}

/// An OpenDocument text whose text is `body` and whose meta.xml names `marker`.
pub fn odt(marker: &str, body: &str) -> Vec<u8> {
    let s = |t: &str| t.as_bytes().to_vec();
    package(&[
        ("mimetype", s("application/vnd.oasis.opendocument.text")),
        ("content.xml", s(&format!("<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:text><text:p>{body}</text:p></office:text></office:body></office:document-content>"))),
        ("meta.xml", s(&format!("<?xml version=\"1.0\"?><office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><office:meta><meta:initial-creator>{marker}</meta:initial-creator><dc:creator>{marker}</dc:creator></office:meta></office:document-meta>"))),
        ("META-INF/manifest.xml", s("<?xml version=\"1.0\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"Thumbnails/thumbnail.png\" manifest:media-type=\"image/png\"/></manifest:manifest>")),
        ("Thumbnails/thumbnail.png", png(marker)),
    ])
}
