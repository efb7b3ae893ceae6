//! Printed documents as PDF (the desk's slip): A4 pages of text in an embedded TrueType font
//! with full Vietnamese coverage (DejaVu Sans, Bitstream Vera licence: free to embed and
//! redistribute, see `fonts/LICENSE-DejaVu.txt`). The text is written as glyph ids of the font
//! (Identity-H) with a ToUnicode map, so a reader can copy and search it, diacritics included.
//! Vietnamese is written with precomposed letters (NFC), which the font has as single glyphs:
//! no shaping is needed.

use std::collections::BTreeMap;

use lopdf::{dictionary, Document, Object, Stream, StringFormat};

const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FONT_NAME: &str = "DejaVuSans";

/// A4 in points, and the margins.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// One block of a document.
#[derive(Clone, Debug)]
pub enum Block {
    Title(String),
    Heading(String),
    Text(String),
    /// Large and spaced out: a code to copy by hand.
    Code(String),
}

impl Block {
    fn style(&self) -> (f32, f32) {
        // (font size, space before)
        match self {
            Block::Title(_) => (18.0, 0.0),
            Block::Heading(_) => (13.0, 14.0),
            Block::Text(_) => (10.5, 4.0),
            Block::Code(_) => (22.0, 10.0),
        }
    }

    fn text(&self) -> &str {
        match self {
            Block::Title(t) | Block::Heading(t) | Block::Text(t) | Block::Code(t) => t,
        }
    }
}

struct Font<'a> {
    face: ttf_parser::Face<'a>,
    upm: f32,
}

impl Font<'_> {
    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    /// Advance of a glyph in thousandths of the font size.
    fn advance(&self, gid: u16) -> u32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        (f32::from(units) * 1000.0 / self.upm).round() as u32
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)) as f32 * size / 1000.0)
            .sum()
    }

    /// Lines of at most `max` points, broken between words (a word longer than a line is
    /// broken where it must).
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
            while self.width(&line, size) > max && line.chars().count() > 1 {
                let mut head = String::new();
                for c in line.chars() {
                    if self.width(&format!("{head}{c}"), size) > max && !head.is_empty() {
                        break;
                    }
                    head.push(c);
                }
                let rest = line[head.len()..].to_owned();
                lines.push(head);
                line = rest;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// The document as PDF bytes.
pub fn render(title: &str, blocks: &[Block]) -> Result<Vec<u8>, String> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| format!("font: {e}"))?;
    let font = Font {
        upm: f32::from(face.units_per_em()),
        face,
    };
    // Lay the text out: (page, size, x, y, text).
    let mut placed: Vec<(usize, f32, f32, f32, String)> = Vec::new();
    let (mut page, mut y) = (0usize, PAGE_H - MARGIN);
    for block in blocks {
        let (size, before) = block.style();
        y -= before;
        let lines = match block {
            Block::Code(code) => vec![code.chars().map(String::from).collect::<Vec<_>>().join(" ")],
            _ => font.wrap(block.text(), size, PAGE_W - 2.0 * MARGIN),
        };
        for line in lines {
            let leading = size * 1.35;
            if y - leading < MARGIN {
                page += 1;
                y = PAGE_H - MARGIN;
            }
            y -= leading;
            placed.push((page, size, MARGIN, y, line));
        }
    }
    let pages = page + 1;

    let mut doc = Document::with_version("1.5");
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    let mut contents: Vec<String> = vec![String::new(); pages];
    for (page, size, x, y, text) in &placed {
        let mut hex = String::with_capacity(text.len() * 4);
        for c in text.chars() {
            let g = font.glyph(c);
            used.entry(g).or_insert(c);
            hex.push_str(&format!("{g:04X}"));
        }
        contents[*page].push_str(&format!(
            "BT /F1 {size:.1} Tf {x:.1} {y:.1} Td <{hex}> Tj ET\n"
        ));
    }

    let mut file = Stream::new(
        dictionary! { "Length1" => FONT.len() as i64 },
        FONT.to_vec(),
    );
    file.allows_compression = false;
    let file_id = doc.add_object(file);
    let bbox = font.face.global_bounding_box();
    let scale = |v: i16| (f32::from(v) * 1000.0 / font.upm).round() as i64;
    let descriptor_id = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(FONT_NAME.as_bytes().to_vec()),
        "Flags" => 32,
        "FontBBox" => vec![scale(bbox.x_min).into(), scale(bbox.y_min).into(), scale(bbox.x_max).into(), scale(bbox.y_max).into()],
        "ItalicAngle" => 0,
        "Ascent" => scale(font.face.ascender()),
        "Descent" => scale(font.face.descender()),
        "CapHeight" => scale(font.face.capital_height().unwrap_or(font.face.ascender())),
        "StemV" => 80,
        "FontFile2" => file_id,
    });
    let widths: Vec<Object> = used
        .keys()
        .flat_map(|g| {
            [
                Object::Integer(i64::from(*g)),
                Object::Array(vec![Object::Integer(i64::from(font.advance(*g)))]),
            ]
        })
        .collect();
    let cid_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => Object::Name(FONT_NAME.as_bytes().to_vec()),
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::String(b"Adobe".to_vec(), StringFormat::Literal),
            "Ordering" => Object::String(b"Identity".to_vec(), StringFormat::Literal),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor_id,
        "CIDToGIDMap" => "Identity",
        "DW" => 1000,
        "W" => widths,
    });
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in entries.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (g, c) in chunk {
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            cmap.push_str(&format!("<{g:04X}> <{utf16}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let cmap_id = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => Object::Name(FONT_NAME.as_bytes().to_vec()),
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![cid_id.into()],
        "ToUnicode" => cmap_id,
    });

    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for content in contents {
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Count" => kids.len() as i64,
            "Kids" => kids,
        }),
    );
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::String(utf16_text(title), StringFormat::Hexadecimal),
        "Producer" => Object::String(b"minhbach".to_vec(), StringFormat::Literal),
    });
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| format!("pdf: {e}"))?;
    Ok(out)
}

/// A text string as UTF-16BE with its byte-order mark (PDF text strings).
fn utf16_text(s: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        out.extend(u.to_be_bytes());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn long_words_and_lines_wrap_inside_the_page() {
        let face = ttf_parser::Face::parse(FONT, 0).unwrap();
        let font = Font {
            upm: f32::from(face.units_per_em()),
            face,
        };
        let text = "Cơ quan xác nhận đã nhận phản ánh ".repeat(20) + &"x".repeat(400);
        for line in font.wrap(&text, 10.5, 300.0) {
            assert!(font.width(&line, 10.5) <= 300.0, "{line}");
        }
        assert!(
            font.glyph('ệ') != 0 && font.glyph('Ư') != 0,
            "Vietnamese glyphs"
        );
    }
}
