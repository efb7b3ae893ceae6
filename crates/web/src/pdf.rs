//! Printed documents as PDF (the desk's slip, the periodic report): A4 pages of text in an embedded TrueType font
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
const A4_SHORT: f32 = 595.0;
const A4_LONG: f32 = 842.0;
const MARGIN: f32 = 40.0;

/// Which way up the A4 pages are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    Portrait,
    /// For wide tables.
    Landscape,
}

impl Orientation {
    fn size(self) -> (f32, f32) {
        match self {
            Orientation::Portrait => (A4_SHORT, A4_LONG),
            Orientation::Landscape => (A4_LONG, A4_SHORT),
        }
    }
}

/// A table: a header row, then rows; the first column holds names and takes the room the others
/// leave, the others hold numbers and are set right. A row the page cannot hold starts a new
/// page, under the header again.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The size of a table's text, and the padding of its cells.
const TABLE_SIZE: f32 = 7.5;
const CELL_PAD: f32 = 3.0;
/// The narrowest and widest a number column may be.
const NUMBER_MIN: f32 = 40.0;
const NUMBER_MAX: f32 = 84.0;

/// One block of a document.
#[derive(Clone, Debug)]
pub enum Block {
    Title(String),
    Heading(String),
    Text(String),
    /// Large and spaced out: a code to copy by hand.
    Code(String),
    Table(Table),
}

impl Block {
    fn style(&self) -> (f32, f32) {
        // (font size, space before)
        match self {
            Block::Title(_) => (18.0, 0.0),
            Block::Heading(_) => (13.0, 14.0),
            Block::Text(_) => (10.5, 4.0),
            Block::Code(_) => (22.0, 10.0),
            Block::Table(_) => (TABLE_SIZE, 8.0),
        }
    }

    fn text(&self) -> &str {
        match self {
            Block::Title(t) | Block::Heading(t) | Block::Text(t) | Block::Code(t) => t,
            Block::Table(_) => "",
        }
    }
}

/// What is drawn on a page: a line of text (size, x, y, text) or a rule (x1, y, x2).
enum Mark {
    Text(f32, f32, f32, String),
    Rule(f32, f32, f32),
}

/// Pages of marks, filled from the top.
struct Layout {
    width: f32,
    height: f32,
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Layout {
    fn new(orientation: Orientation) -> Self {
        let (width, height) = orientation.size();
        Layout {
            width,
            height,
            pages: vec![Vec::new()],
            y: height - MARGIN,
        }
    }

    fn room(&self) -> f32 {
        self.y - MARGIN
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.height - MARGIN;
    }

    fn mark(&mut self, m: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(m);
        }
    }

    /// A line of text at the left margin, on a new page if this one is full.
    fn line(&mut self, size: f32, text: String) {
        let leading = size * 1.35;
        if self.room() < leading {
            self.new_page();
        }
        self.y -= leading;
        self.mark(Mark::Text(size, MARGIN, self.y, text));
    }

    fn table(&mut self, font: &Font, table: &Table) {
        let size = TABLE_SIZE;
        let leading = size * 1.3;
        let usable = self.width - 2.0 * MARGIN;
        let columns = table.header.len().max(1);
        // Each number column is as wide as its widest cell or header word, within bounds.
        let mut widths = vec![0.0f32; columns];
        for (j, w) in widths.iter_mut().enumerate().skip(1) {
            let cells = table.rows.iter().filter_map(|r| r.get(j));
            let words = table
                .header
                .get(j)
                .into_iter()
                .flat_map(|h| h.split_whitespace());
            let widest = cells
                .map(|c| font.width(c, size))
                .chain(words.map(|w| font.width(w, size)))
                .fold(0.0f32, f32::max);
            *w = (widest + 2.0 * CELL_PAD).clamp(NUMBER_MIN, NUMBER_MAX);
        }
        // Names take what they need, up to two fifths of the width; number columns share the
        // rest alike: widened so that their headers wrap less, or narrowed (their cells then
        // wrap) when they would not fit.
        let names = table
            .rows
            .iter()
            .filter_map(|r| r.first())
            .chain(table.header.first())
            .map(|c| font.width(c, size) + 2.0 * CELL_PAD)
            .fold(0.0f32, f32::max)
            .min(usable * 0.4);
        let numbers: f32 = widths.iter().skip(1).sum();
        let room = usable - names;
        if numbers > room {
            for w in widths.iter_mut().skip(1) {
                *w *= room / numbers;
            }
        } else if columns > 1 {
            let extra = (room - numbers) / (columns - 1) as f32;
            for w in widths.iter_mut().skip(1) {
                *w += extra;
            }
        }
        widths[0] = names.max(usable - widths.iter().skip(1).sum::<f32>());
        let wrap = |cells: &[String]| -> Vec<Vec<String>> {
            widths
                .iter()
                .enumerate()
                .map(|(j, w)| {
                    cells
                        .get(j)
                        .map(|c| font.wrap(c, size, w - 2.0 * CELL_PAD))
                        .unwrap_or_default()
                })
                .collect()
        };
        let header = wrap(&table.header);
        let header_height = leading * header.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let draw = |layout: &mut Layout, cells: &[Vec<String>], height: f32| {
            let top = layout.y;
            let mut x = MARGIN;
            for (j, lines) in cells.iter().enumerate() {
                let w = widths[j];
                for (i, line) in lines.iter().enumerate() {
                    let lx = if j == 0 {
                        x + CELL_PAD
                    } else {
                        x + w - CELL_PAD - font.width(line, size)
                    };
                    let ly = top - leading * (i as f32 + 1.0) + size * 0.25;
                    layout.mark(Mark::Text(size, lx, ly, line.clone()));
                }
                x += w;
            }
            layout.y = top - height;
            layout.mark(Mark::Rule(
                MARGIN,
                layout.y,
                MARGIN + widths.iter().sum::<f32>(),
            ));
        };
        if self.room() < header_height + leading {
            self.new_page();
        }
        draw(self, &header, header_height);
        for row in &table.rows {
            let cells = wrap(row);
            let height = leading * cells.iter().map(Vec::len).max().unwrap_or(1) as f32;
            if self.room() < height {
                self.new_page();
                draw(self, &header, header_height);
            }
            draw(self, &cells, height);
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
    /// broken where it must). A no-break space (U+00A0) keeps its neighbours together.
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text
            .split(|c: char| c.is_whitespace() && c != '\u{a0}')
            .filter(|w| !w.is_empty())
        {
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

/// The document as PDF bytes, on portrait pages.
pub fn render(title: &str, blocks: &[Block]) -> Result<Vec<u8>, String> {
    render_on(Orientation::Portrait, title, blocks)
}

/// The document as PDF bytes.
pub fn render_on(
    orientation: Orientation,
    title: &str,
    blocks: &[Block],
) -> Result<Vec<u8>, String> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| format!("font: {e}"))?;
    let font = Font {
        upm: f32::from(face.units_per_em()),
        face,
    };
    let mut layout = Layout::new(orientation);
    for block in blocks {
        let (size, before) = block.style();
        layout.y -= before;
        match block {
            Block::Table(table) => layout.table(&font, table),
            Block::Code(code) => layout.line(
                size,
                code.chars().map(String::from).collect::<Vec<_>>().join(" "),
            ),
            _ => {
                for line in font.wrap(block.text(), size, layout.width - 2.0 * MARGIN) {
                    layout.line(size, line);
                }
            }
        }
    }

    let mut doc = Document::with_version("1.5");
    let mut used: BTreeMap<u16, char> = BTreeMap::new();
    let mut contents: Vec<String> = Vec::with_capacity(layout.pages.len());
    for marks in &layout.pages {
        let mut content = String::new();
        for mark in marks {
            match mark {
                Mark::Text(size, x, y, text) => {
                    let mut hex = String::with_capacity(text.len() * 4);
                    for c in text.chars() {
                        let g = font.glyph(c);
                        used.entry(g).or_insert(c);
                        hex.push_str(&format!("{g:04X}"));
                    }
                    content.push_str(&format!(
                        "BT /F1 {size:.1} Tf {x:.1} {y:.1} Td <{hex}> Tj ET\n"
                    ));
                }
                Mark::Rule(x1, y, x2) => {
                    content.push_str(&format!("0.5 w {x1:.1} {y:.1} m {x2:.1} {y:.1} l S\n"));
                }
            }
        }
        contents.push(content);
    }
    let (page_w, page_h) = (layout.width, layout.height);

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
            "MediaBox" => vec![0.into(), 0.into(), page_w.into(), page_h.into()],
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
        // A no-break space holds a share's percentage together.
        let share = "91108 / 145516 (63\u{a0}%)";
        let narrow = font.width("145516 (63", 7.5) + 1.0;
        let lines = font.wrap(share, 7.5, narrow);
        assert!(lines.iter().any(|l| l == "(63\u{a0}%)"), "{lines:?}");
    }

    #[test]
    fn a_long_table_continues_on_new_pages_under_its_header_and_stays_inside_them() {
        let face = ttf_parser::Face::parse(FONT, 0).unwrap();
        let font = Font {
            upm: f32::from(face.units_per_em()),
            face,
        };
        let mut header = vec!["Cơ quan".to_owned()];
        header.extend((1..=12).map(|i| format!("Số liệu thứ {i} rất dài")));
        let rows: Vec<Vec<String>> = (0..120)
            .map(|r| {
                let mut row = vec![format!("Ủy ban nhân dân phường số {r} với một tên dài")];
                row.extend((1..=12).map(|i| format!("{} / {} (50 %)", r * i, 2 * r * i)));
                row
            })
            .collect();
        let mut layout = Layout::new(Orientation::Landscape);
        layout.table(&font, &Table { header, rows });
        assert!(layout.pages.len() > 2, "{} pages", layout.pages.len());
        for page in &layout.pages {
            let texts: Vec<_> = page
                .iter()
                .filter_map(|m| match m {
                    Mark::Text(size, x, y, t) => Some((*size, *x, *y, t.as_str())),
                    Mark::Rule(..) => None,
                })
                .collect();
            assert_eq!(
                texts.iter().filter(|t| t.3 == "Cơ quan").count(),
                1,
                "the header on every page"
            );
            for (size, x, y, text) in texts {
                assert!(x >= MARGIN - 0.01, "{text} at {x}");
                assert!(
                    x + font.width(text, size) <= layout.width - MARGIN + 0.01,
                    "{text} overflows"
                );
                assert!(y >= MARGIN - size, "{text} below the margin");
            }
        }
    }
}
