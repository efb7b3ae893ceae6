//! Evidence files: what a reporter attaches to a report or a message.
//!
//! [`clean`] sniffs the type from the bytes (never the name), refuses what it cannot clean, and
//! removes the metadata that identifies a person or a device before anything is encrypted. It
//! says what it removed ([`Removed`]) and what it could not ([`Kept`]), so that the reporter
//! can decide before sending. No I/O; the output is a function of the input alone.
//!
//! - **JPEG** (segments walked by hand): every APPn segment goes except JFIF (APP0, its
//!   thumbnail dropped) and Adobe (APP14): EXIF (read with kamadak-exif to name what it held),
//!   XMP, IPTC, ICC profiles, JFXX thumbnails and the rest; comments and anything after the end
//!   of the picture too. The frame, tables and entropy-coded data are copied byte for byte.
//! - **PNG**: tEXt, zTXt, iTXt (XMP among them), tIME and eXIf go; the other chunks stay as
//!   they are, CRCs included.
//! - **WebP**: the EXIF and XMP chunks go, and their flags in the VP8X header.
//! - **PDF** (lopdf): encrypted files are refused. The Info dictionary, every `/Metadata` and
//!   `/PieceInfo`, the author and dates of annotations and the trailer's `/ID` go; the file is
//!   written anew with only the objects its root reaches, so older revisions go too.
//! - **Office** (OOXML docx/xlsx/pptx, OpenDocument odt/ods/odp; zip): encrypted entries are
//!   refused, entries and unpacked bytes are counted against [`Limits`] as they are read. The
//!   property parts are replaced by empty ones, thumbnails dropped with their references, the
//!   JPEG, PNG and WebP pictures cleaned as above; every entry is written again, deflated
//!   (OpenDocument's `mimetype` first and stored), dated 1980-01-01, without extra fields.
//!
//! What stays: what pictures show and documents say; the names in office comments and tracked
//! changes; pictures inside PDFs. Known limits of the parsers on hostile files are in `pdf`'s
//! module documentation and in docs/crypto.md.

use std::fmt;

/// Bounds on the work one file may cause.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest file accepted, in bytes.
    pub max_bytes: usize,
    /// The most an office file may unpack to, in bytes (a zip bomb stops here).
    pub max_unpacked_bytes: u64,
    /// The most entries an office file may hold.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_unpacked_bytes: 100 * 1024 * 1024,
            max_entries: 5_000,
        }
    }
}

/// The kinds of file accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Webp,
        Kind::Pdf,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Pptx,
        Kind::Odt,
        Kind::Ods,
        Kind::Odp,
    ];

    /// The stable code kept with the file ("jpeg", "pdf", "docx", ...).
    pub fn code(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pptx => "pptx",
            Kind::Odt => "odt",
            Kind::Ods => "ods",
            Kind::Odp => "odp",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The usual file name extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            other => other.code(),
        }
    }

    /// The media type a download is served with.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Kind::Odt => "application/vnd.oasis.opendocument.text",
            Kind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Kind::Odp => "application/vnd.oasis.opendocument.presentation",
        }
    }

    /// A picture (its content is what it shows).
    pub fn is_picture(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Webp)
    }
}

/// What was removed from a file. Each code names a message shown to the reporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Removed {
    /// A GPS position.
    Location,
    /// Camera or phone make, model, serial number, lens.
    Device,
    /// An author, artist, owner, creator or last-modified-by name; a company.
    Author,
    /// Dates and times the picture or document was made or changed.
    Dates,
    /// The program that made or edited it.
    Software,
    /// Any other EXIF data.
    OtherExif,
    /// An XMP packet.
    Xmp,
    /// IPTC / Photoshop data.
    Iptc,
    /// A comment embedded in the file.
    Comment,
    /// Text chunks of a PNG (tEXt, zTXt, iTXt) and its time stamp.
    TextChunks,
    /// The PDF Info dictionary (title, author, subject, keywords, creator, producer, dates).
    PdfInfo,
    /// Names of the authors of PDF annotations.
    AnnotationAuthors,
    /// Office document properties (creator, last modified by, company, manager, dates).
    OfficeProperties,
    /// Metadata in pictures inside an office document.
    EmbeddedPictureMetadata,
    /// A preview thumbnail.
    Thumbnail,
}

impl Removed {
    pub const ALL: [Removed; 15] = [
        Removed::Location,
        Removed::Device,
        Removed::Author,
        Removed::Dates,
        Removed::Software,
        Removed::OtherExif,
        Removed::Xmp,
        Removed::Iptc,
        Removed::Comment,
        Removed::TextChunks,
        Removed::PdfInfo,
        Removed::AnnotationAuthors,
        Removed::OfficeProperties,
        Removed::EmbeddedPictureMetadata,
        Removed::Thumbnail,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Removed::Location => "location",
            Removed::Device => "device",
            Removed::Author => "author",
            Removed::Dates => "dates",
            Removed::Software => "software",
            Removed::OtherExif => "other-exif",
            Removed::Xmp => "xmp",
            Removed::Iptc => "iptc",
            Removed::Comment => "comment",
            Removed::TextChunks => "text-chunks",
            Removed::PdfInfo => "pdf-info",
            Removed::AnnotationAuthors => "annotation-authors",
            Removed::OfficeProperties => "office-properties",
            Removed::EmbeddedPictureMetadata => "embedded-picture-metadata",
            Removed::Thumbnail => "thumbnail",
        }
    }

    pub fn from_code(code: &str) -> Option<Removed> {
        Removed::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What could not be removed and may still identify the reporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kept {
    /// What a picture shows (faces, places, reflections, screens).
    PictureContent,
    /// The text of a document, its layout and fonts.
    DocumentContent,
    /// Names of people in comments or tracked changes of an office document.
    CommentAuthors,
    /// Pictures inside a PDF, and pictures of an office document in a format that could not
    /// be cleaned (TIFF, EMF...) or damaged, with whatever they carry.
    EmbeddedPictures,
}

impl Kept {
    pub const ALL: [Kept; 4] = [
        Kept::PictureContent,
        Kept::DocumentContent,
        Kept::CommentAuthors,
        Kept::EmbeddedPictures,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kept::PictureContent => "picture-content",
            Kept::DocumentContent => "document-content",
            Kept::CommentAuthors => "comment-authors",
            Kept::EmbeddedPictures => "embedded-pictures",
        }
    }

    pub fn from_code(code: &str) -> Option<Kept> {
        Kept::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A file with its identifying metadata removed.
#[derive(Clone)]
pub struct Cleaned {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    /// Sorted, without repeats.
    pub removed: Vec<Removed>,
    /// Sorted, without repeats; never empty (the content itself always remains).
    pub kept: Vec<Kept>,
}

impl fmt::Debug for Cleaned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cleaned")
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .field("removed", &self.removed)
            .field("kept", &self.kept)
            .finish()
    }
}

/// Why a file is not accepted. Each code names a message shown to the reporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is empty")]
    Empty,
    #[error("the file is too large")]
    TooLarge,
    #[error("this kind of file is not accepted")]
    UnknownType,
    #[error("HEIC pictures cannot be cleaned")]
    Heic,
    #[error("the file is protected by a password")]
    Encrypted,
    #[error("the file is damaged")]
    Damaged,
    #[error("the file unpacks to too much")]
    TooComplex,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Refused::Empty => "empty",
            Refused::TooLarge => "too-large",
            Refused::UnknownType => "unknown-type",
            Refused::Heic => "heic",
            Refused::Encrypted => "encrypted",
            Refused::Damaged => "damaged",
            Refused::TooComplex => "too-complex",
        }
    }
}

/// The kind of file the bytes are, whatever its name says.
pub fn sniff(bytes: &[u8]) -> Result<Kind, Refused> {
    let at = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(Kind::Png)
    } else if at(0..4) == b"RIFF" && at(8..12) == b"WEBP" {
        Ok(Kind::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Ok(Kind::Pdf)
    } else if at(4..8) == b"ftyp" && HEIF_BRANDS.contains(&at(8..12)) {
        Err(Refused::Heic)
    } else if bytes.starts_with(b"PK\x03\x04") {
        office::sniff(bytes)
    } else {
        Err(Refused::UnknownType)
    }
}

/// Major brands of HEIF pictures (HEIC and its sequences), which phones write.
const HEIF_BRANDS: [&[u8]; 8] = [
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
];

/// Removes identifying metadata from a file.
pub fn clean(bytes: &[u8], limits: &Limits) -> Result<Cleaned, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(Refused::TooLarge);
    }
    let kind = sniff(bytes)?;
    let (out, mut removed, mut kept) = match kind {
        Kind::Jpeg => with_picture(image::clean_jpeg(bytes)?),
        Kind::Png => with_picture(image::clean_png(bytes)?),
        Kind::Webp => with_picture(image::clean_webp(bytes)?),
        Kind::Pdf => pdf::clean(bytes)?,
        _ => office::clean(bytes, limits)?,
    };
    removed.sort();
    removed.dedup();
    kept.sort();
    kept.dedup();
    Ok(Cleaned {
        kind,
        bytes: out,
        removed,
        kept,
    })
}

type Outcome = (Vec<u8>, Vec<Removed>, Vec<Kept>);

fn with_picture((out, removed): (Vec<u8>, Vec<Removed>)) -> Outcome {
    (out, removed, vec![Kept::PictureContent])
}

mod exif_fields;
mod image;
mod office;
mod pdf;
#[cfg(any(test, feature = "samples"))]
pub mod samples;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    const MARKER: &str = "MARKERq7x3";
    const BODY: &str = "BODYTEXTk2p9";

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    /// Every entry of a zip, decompressed, in order, with the names.
    fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut v = Vec::new();
                f.read_to_end(&mut v).unwrap();
                (f.name().to_owned(), v)
            })
            .collect()
    }

    fn all_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        entries.iter().flat_map(|(_, d)| d.clone()).collect()
    }

    fn clean_ok(bytes: &[u8]) -> Cleaned {
        clean(bytes, &Limits::default()).unwrap()
    }

    /// The non-metadata segments of a JPEG, in order (quantisation, frame, Huffman, scan...).
    fn picture_segments(b: &[u8]) -> Vec<u8> {
        let mut pos = 2;
        let mut out = Vec::new();
        while pos + 4 <= b.len() && b[pos] == 0xFF {
            let m = b[pos + 1];
            let len = usize::from(u16::from_be_bytes([b[pos + 2], b[pos + 3]]));
            if !(0xE0..=0xEF).contains(&m) && m != 0xFE {
                out.extend(&b[pos..pos + 2 + len]);
            }
            if m == 0xDA {
                out.extend(&b[pos + 2 + len..]);
                break;
            }
            pos += 2 + len;
        }
        out
    }

    #[test]
    fn a_jpeg_loses_location_camera_author_dates_xmp_and_comment_and_keeps_its_picture() {
        let input = samples::jpeg(MARKER);
        assert!(contains(&input, MARKER));
        let c = clean_ok(&input);
        assert_eq!(c.kind, Kind::Jpeg);
        assert!(!contains(&c.bytes, MARKER));
        assert!(!contains(&c.bytes, "PhoneMaker"));
        for r in [
            Removed::Location,
            Removed::Device,
            Removed::Author,
            Removed::Dates,
            Removed::Software,
            Removed::Xmp,
            Removed::Comment,
        ] {
            assert!(c.removed.contains(&r), "{r:?} in {:?}", c.removed);
        }
        assert_eq!(c.kept, vec![Kept::PictureContent]);
        assert!(c.bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(c.bytes.ends_with(&[0xFF, 0xD9]));
        assert_eq!(picture_segments(&c.bytes), picture_segments(&input));
        // Cleaning again finds nothing more.
        assert!(clean_ok(&c.bytes).removed.is_empty());
    }

    #[test]
    fn a_png_loses_its_text_xmp_and_time_with_valid_chunks() {
        let c = clean_ok(&samples::png(MARKER));
        assert_eq!(c.kind, Kind::Png);
        assert!(!contains(&c.bytes, MARKER));
        assert_eq!(
            c.removed,
            vec![Removed::Dates, Removed::Xmp, Removed::TextChunks]
        );
        // Every chunk left has a valid CRC, and the picture data is there.
        let b = &c.bytes;
        let mut pos = 8;
        let mut kinds = Vec::new();
        while pos < b.len() {
            let len = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
            let crc = u32::from_be_bytes(b[pos + 8 + len..pos + 12 + len].try_into().unwrap());
            let body = &b[pos + 4..pos + 8 + len];
            let mut expect = 0xFFFF_FFFFu32;
            for &x in body {
                expect ^= u32::from(x);
                for _ in 0..8 {
                    expect = if expect & 1 == 1 {
                        (expect >> 1) ^ 0xEDB8_8320
                    } else {
                        expect >> 1
                    };
                }
            }
            assert_eq!(crc, !expect);
            kinds.push(String::from_utf8(body[..4].to_vec()).unwrap());
            pos += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
    }

    #[test]
    fn a_webp_loses_its_exif_and_xmp_and_their_flags() {
        let mut body = Vec::new();
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = kind.to_vec();
            c.extend((data.len() as u32).to_le_bytes());
            c.extend(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        };
        body.extend(chunk(b"VP8X", &[0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        body.extend(chunk(b"VP8L", &[0x2F, 0, 0, 0, 0]));
        body.extend(chunk(b"EXIF", format!("Exif\0\0junk {MARKER}").as_bytes()));
        body.extend(chunk(b"XMP ", format!("<x>{MARKER}</x>").as_bytes()));
        let mut webp = b"RIFF".to_vec();
        webp.extend(((body.len() + 4) as u32).to_le_bytes());
        webp.extend(b"WEBP");
        webp.extend(&body);
        let c = clean_ok(&webp);
        assert_eq!(c.kind, Kind::Webp);
        assert!(!contains(&c.bytes, MARKER));
        assert!(c.removed.contains(&Removed::Xmp) && c.removed.contains(&Removed::OtherExif));
        assert_eq!(c.bytes[20] & 0x0C, 0, "VP8X flags cleared");
        let size = u32::from_le_bytes(c.bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(size + 8, c.bytes.len());
    }

    #[test]
    fn a_pdf_loses_info_xmp_annotation_authors_and_keeps_its_text() {
        let input = samples::pdf(MARKER, BODY);
        assert!(contains(&input, MARKER));
        let c = clean_ok(&input);
        assert_eq!(c.kind, Kind::Pdf);
        assert!(!contains(&c.bytes, MARKER), "marker left in the PDF");
        for r in [Removed::PdfInfo, Removed::Xmp, Removed::AnnotationAuthors] {
            assert!(c.removed.contains(&r), "{r:?} in {:?}", c.removed);
        }
        assert_eq!(c.kept, vec![Kept::DocumentContent]);
        let doc = lopdf::Document::load_mem(&c.bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        let page = *doc.get_pages().values().next().unwrap();
        assert!(contains(&doc.get_page_content(page).unwrap(), BODY));
    }

    #[test]
    fn an_older_revision_of_a_pdf_is_not_written_again() {
        // An incremental update that replaces the Info dictionary: the old one, with the
        // marker, is still in the file's bytes, and must not survive.
        let mut file = samples::pdf(MARKER, BODY);
        let doc = lopdf::Document::load_mem(&file).unwrap();
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
        let size = doc.max_id + 1;
        let text = String::from_utf8_lossy(&file).into_owned();
        let at = text.rfind("startxref").unwrap() + "startxref".len();
        let prev: usize = text[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let object_at = file.len();
        file.extend(format!("{} 0 obj\n<< /Title (new) >>\nendobj\n", info.0).as_bytes());
        let xref_at = file.len();
        file.extend(
            format!(
                "xref\n{} 1\n{object_at:010} 00000 n \ntrailer\n<< /Size {size} /Root {} 0 R \
                 /Info {} 0 R /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
                info.0, root.0, info.0
            )
            .as_bytes(),
        );
        assert!(contains(&file, MARKER));
        let updated = lopdf::Document::load_mem(&file).unwrap();
        assert!(updated.get_dictionary(info).unwrap().has(b"Title"));
        let c = clean_ok(&file);
        assert!(!contains(&c.bytes, MARKER));
        assert!(!contains(&c.bytes, "(new)"));
    }

    #[test]
    fn office_documents_lose_their_properties_thumbnails_and_picture_metadata() {
        let input = samples::docx(MARKER, BODY);
        assert!(contains(&all_of(&unzip(&input)), MARKER));
        let c = clean_ok(&input);
        assert_eq!(c.kind, Kind::Docx);
        let entries = unzip(&c.bytes);
        assert!(!contains(&c.bytes, MARKER));
        assert!(
            !contains(&all_of(&entries), MARKER),
            "marker inside an entry"
        );
        assert!(contains(&all_of(&entries), BODY), "the text stays");
        for r in [
            Removed::OfficeProperties,
            Removed::Author,
            Removed::EmbeddedPictureMetadata,
            Removed::Thumbnail,
        ] {
            assert!(c.removed.contains(&r), "{r:?} in {:?}", c.removed);
        }
        assert!(entries.iter().all(|(n, _)| !n.contains("thumbnail")));
        assert_eq!(c.kept, vec![Kept::DocumentContent]);
        let rels = &entries.iter().find(|(n, _)| n == "_rels/.rels").unwrap().1;
        assert!(!contains(rels, "thumbnail") && contains(rels, "core.xml"));

        let odt = clean_ok(&samples::odt(MARKER, BODY));
        assert_eq!(odt.kind, Kind::Odt);
        let entries = unzip(&odt.bytes);
        assert_eq!(entries[0].0, "mimetype", "mimetype first");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&odt.bytes)).unwrap();
        assert_eq!(
            zip.by_index(0).unwrap().compression(),
            zip::CompressionMethod::Stored
        );
        assert!(!contains(&all_of(&entries), MARKER));
        assert!(contains(&all_of(&entries), BODY));
        assert!(odt.removed.contains(&Removed::Author));
    }

    #[test]
    fn the_type_comes_from_the_bytes_and_other_files_are_refused() {
        assert_eq!(sniff(&samples::png("x")), Ok(Kind::Png));
        assert_eq!(clean(b"", &Limits::default()).unwrap_err(), Refused::Empty);
        assert_eq!(
            clean(b"plain text, named photo.jpg", &Limits::default()).unwrap_err(),
            Refused::UnknownType
        );
        let mut heic = vec![0, 0, 0, 24];
        heic.extend(b"ftypheic\0\0\0\0mif1heic");
        assert_eq!(sniff(&heic), Err(Refused::Heic));
        // A zip that is no office document.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, b"hello").unwrap();
        let plain = zip.finish().unwrap().into_inner();
        assert_eq!(sniff(&plain), Err(Refused::UnknownType));
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            clean(&samples::png("x"), &small).unwrap_err(),
            Refused::TooLarge
        );
        let pdf = String::from_utf8_lossy(&samples::pdf("x", "y"))
            .replace("/Info", "/Encrypt")
            .into_bytes();
        assert_eq!(
            clean(&pdf, &Limits::default()).unwrap_err(),
            Refused::Encrypted
        );
    }

    /// Found by fuzzing: cross-reference field widths so large that lopdf's allocation failed,
    /// which aborts the process. Such a file is refused before it is parsed.
    #[test]
    fn a_pdf_with_absurd_xref_field_widths_is_refused_without_parsing() {
        let mut pdf = b"%PDF-1.5\n1 0 obj\n<</Type/XRef/Size 10/W[7777777777777771 4 2]".to_vec();
        pdf.extend(b"/Index[9 9]/Length 63>>stream\n");
        pdf.extend([1u8; 63]);
        pdf.extend(b"\nendstream\nendobj\nstartxref\n9\n%%EOF");
        assert_eq!(
            clean(&pdf, &Limits::default()).unwrap_err(),
            Refused::Damaged
        );
        let ok = samples::pdf("m", "b");
        assert!(super::pdf::tests_xref_widths_are_sane(&ok));
    }

    #[test]
    fn a_zip_bomb_stops_at_the_unpacked_limit() {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..8 {
            std::io::Write::write_all(&mut zip, &zeros).unwrap();
        }
        let bomb = zip.finish().unwrap().into_inner();
        assert!(bomb.len() < 64 * 1024);
        let limits = Limits {
            max_unpacked_bytes: 4 << 20,
            ..Limits::default()
        };
        assert_eq!(clean(&bomb, &limits).unwrap_err(), Refused::TooComplex);
        let few = Limits {
            max_entries: 1,
            ..Limits::default()
        };
        assert_eq!(clean(&bomb, &few).unwrap_err(), Refused::TooComplex);
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend(((payload.len() + 2) as u16).to_be_bytes());
        s.extend(payload);
        s
    }

    #[test]
    fn a_jpeg_loses_its_colour_profile_and_thumbnails_but_keeps_jfif_and_adobe() {
        let plain = samples::jpeg(MARKER);
        let app0_end = 4 + usize::from(u16::from_be_bytes([plain[4], plain[5]]));
        // JFIF with a 1×1 thumbnail, a JFXX thumbnail, an ICC profile naming a device, Adobe.
        let mut jfif = plain[6..app0_end - 2].to_vec();
        jfif.extend([1, 1, 0xAB, 0xCD, 0xEF]);
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend([0u8; 48]);
        icc.extend(b"PhonMODL");
        icc.extend(MARKER.as_bytes());
        let adobe = b"Adobe\0\x64\0\0\0\0\x01";
        let mut input = plain[..2].to_vec();
        input.extend(segment(0xE0, &jfif));
        input.extend(segment(0xE0, format!("JFXX\0\x13{MARKER}").as_bytes()));
        input.extend(segment(0xE2, &icc));
        input.extend(segment(0xEE, adobe));
        input.extend(&plain[app0_end..]);
        let c = clean_ok(&input);
        assert!(!contains(&c.bytes, MARKER));
        assert!(!c.bytes.windows(3).any(|w| w == [0xAB, 0xCD, 0xEF]));
        for r in [Removed::Thumbnail, Removed::Device, Removed::Location] {
            assert!(c.removed.contains(&r), "{r:?} in {:?}", c.removed);
        }
        // JFIF first, its thumbnail size zero; Adobe kept whole.
        assert_eq!(&c.bytes[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
        assert_eq!(&c.bytes[6..11], b"JFIF\0");
        assert_eq!(u16::from_be_bytes([c.bytes[4], c.bytes[5]]), 16);
        assert_eq!(&c.bytes[18..20], &[0, 0]);
        assert!(contains(&c.bytes, "Adobe"));
        assert_eq!(picture_segments(&c.bytes), picture_segments(&plain));
    }

    /// A PDF whose object 4, referenced from the catalog, lives in an uncompressed object
    /// stream (object 3), with a cross-reference stream (object 5).
    fn pdf_with_object_stream(object: &str) -> Vec<u8> {
        let mut pdf = b"%PDF-1.5\n".to_vec();
        let mut at = [0usize; 6];
        at[1] = pdf.len();
        pdf.extend(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Extra 4 0 R >>\nendobj\n");
        at[2] = pdf.len();
        pdf.extend(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n");
        at[3] = pdf.len();
        let body = format!("4 0 {object}");
        let first = "4 0 ".len();
        pdf.extend(
            format!(
                "3 0 obj\n<< /Type /ObjStm /N 1 /First {first} /Length {} >>\nstream\n{body}\nendstream\nendobj\n",
                body.len()
            )
            .as_bytes(),
        );
        at[5] = pdf.len();
        let mut rows = vec![0u8, 0, 0, 0];
        for (id, offset) in at.iter().enumerate().skip(1) {
            if id == 4 {
                rows.extend([2, 0, 3, 0]);
            } else {
                rows.push(1);
                rows.extend((*offset as u16).to_be_bytes());
                rows.push(0);
            }
        }
        pdf.extend(
            format!(
                "5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Length {} >>\nstream\n",
                rows.len()
            )
            .as_bytes(),
        );
        pdf.extend(rows);
        pdf.extend(format!("\nendstream\nendobj\nstartxref\n{}\n%%EOF\n", at[5]).as_bytes());
        pdf
    }

    /// lopdf's parser recurses per level and overflows the stack (an abort, not a panic) on
    /// deep nesting: refused before it parses, in the file and inside object streams.
    #[test]
    fn a_pdf_nested_too_deeply_is_refused_before_parsing() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let ok = pdf_with_object_stream(&format!("<< /Note ({MARKER}) /A [[1]] >>"));
        let c = clean_ok(&ok);
        assert!(
            contains(&c.bytes, MARKER),
            "objects in object streams are written"
        );
        let hidden = pdf_with_object_stream(&deep);
        assert_eq!(
            clean(&hidden, &Limits::default()).unwrap_err(),
            Refused::Damaged
        );
        let plain = String::from_utf8_lossy(&samples::pdf(MARKER, BODY))
            .replace("/Type /Font", &format!("/Deep {deep} /Type /Font"))
            .into_bytes();
        assert_eq!(
            clean(&plain, &Limits::default()).unwrap_err(),
            Refused::Damaged
        );
        // Brackets in strings, comments and stream data do not count.
        let depth = super::pdf::tests_nesting_depth;
        assert_eq!(depth(b"<< /A [ (([[[ \\) [[) <5b5b> ] >>"), 2);
        assert_eq!(depth(b"[ % [[[[\n] <<>>stream\n[[[[[\nendstream [ ]"), 1);
        assert!(depth(deep.as_bytes()) > 48);
        // The object stream's data is skipped by the scan of the file: its own check refused it.
        assert!(depth(&hidden) < 48);
    }

    #[test]
    fn office_packages_come_out_dated_1980_without_extra_fields_and_alike_every_time() {
        for input in [samples::docx(MARKER, BODY), samples::odt(MARKER, BODY)] {
            let c = clean_ok(&input);
            assert_eq!(c.bytes, clean_ok(&input).bytes, "deterministic");
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&c.bytes)).unwrap();
            for i in 0..zip.len() {
                let f = zip.by_index(i).unwrap();
                assert_eq!(
                    f.last_modified(),
                    Some(zip::DateTime::default()),
                    "{}",
                    f.name()
                );
                assert!(f.extra_data().is_none_or(<[u8]>::is_empty), "{}", f.name());
                assert!(f.comment().is_empty());
            }
            assert!(zip.comment().is_empty());
        }
        let odt = clean_ok(&samples::odt(MARKER, BODY));
        for r in [
            Removed::Author,
            Removed::OfficeProperties,
            Removed::Thumbnail,
        ] {
            assert!(odt.removed.contains(&r), "{r:?} in {:?}", odt.removed);
        }
        let entries = unzip(&odt.bytes);
        let manifest = &entries
            .iter()
            .find(|(n, _)| n == "META-INF/manifest.xml")
            .unwrap()
            .1;
        assert!(!contains(manifest, "Thumbnails") && contains(manifest, "content.xml"));
        let meta = &entries.iter().find(|(n, _)| n == "meta.xml").unwrap().1;
        assert!(contains(meta, "<office:document-meta") && contains(meta, "<office:meta/>"));
        assert_eq!(odt.kept, vec![Kept::DocumentContent]);
    }

    #[test]
    fn random_bytes_are_of_no_known_type() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(sniff(&noise), Err(Refused::UnknownType));
        assert_eq!(
            clean(&noise, &Limits::default()).unwrap_err(),
            Refused::UnknownType
        );
        let mut gif = b"GIF89a".to_vec();
        gif.extend(&noise[..64]);
        assert_eq!(sniff(&gif), Err(Refused::UnknownType));
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), Err(Refused::UnknownType));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn clean_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = clean(&bytes, &Limits::default());
        }

        #[test]
        fn clean_never_panics_on_damaged_samples(
            which in 0usize..5,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut b = match which {
                0 => samples::jpeg("m"),
                1 => samples::png("m"),
                2 => samples::pdf("m", "b"),
                3 => samples::docx("m", "b"),
                _ => samples::odt("m", "b"),
            };
            for (at, x) in flips {
                let n = b.len();
                b[at % n] ^= x;
            }
            let keep = b.len() - cut % (b.len() / 2);
            b.truncate(keep);
            let _ = clean(&b, &Limits::default());
        }
    }
}
