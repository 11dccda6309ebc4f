//! The report as PDF: an A4 document laid out here, page by page, from the
//! same checked [`Report`] the web view and the Word document draw.
//!
//! The title block carries the organisation's name and logo; headings are
//! bookmarked in the document outline; tables repeat their header row on
//! every page they run onto, with numbers aligned right; charts are the same
//! SVG the web page shows, drawn as vector graphics with their text kept as
//! text; every page has its number ("Page 2 of 9"). All text is set in the
//! bundled Liberation Sans, embedded (subset) in the file, so the document
//! looks the same everywhere and its text can be selected and searched.
//!
//! Layout happens first, into a list of pages of drawing operations, so the
//! page count is known before any page is written; then each page is drawn
//! with krilla.

use std::ops::Range;

use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use krilla_svg::{SurfaceExt, SvgSettings};
use portfolio_domain::branding::ImageKind;
use portfolio_domain::report::{Block, Figure, Report, Table};

use crate::png::{BOLD, REGULAR};
use crate::svg::chart_svg;
use crate::{Branding, RenderError};

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
/// 2 cm margins, as the Word document has.
const MARGIN: f32 = 56.69;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;
const BODY_TOP: f32 = MARGIN;
const BODY_BOTTOM: f32 = PAGE_H - MARGIN;
/// The page number's baseline, in the bottom margin.
const FOOTER_Y: f32 = PAGE_H - 28.0;

const BODY_SIZE: f32 = 11.0;
const TABLE_SIZE: f32 = 9.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.5;

type Colour = (u8, u8, u8);
const TEXT: Colour = (0x0b, 0x0c, 0x0c);
const SECONDARY: Colour = (0x50, 0x5a, 0x5f);
const RULE: Colour = (0xb1, 0xb4, 0xb6);
const SHADE: Colour = (0xf3, 0xf2, 0xf1);

/// One of the two bundled faces: for krilla to embed, and parsed here to
/// measure text and map characters to glyphs.
struct Face {
    font: Font,
    parsed: ttf_parser::Face<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Result<Face, RenderError> {
        let parsed = ttf_parser::Face::parse(bytes, 0)
            .map_err(|e| RenderError::Pdf(format!("the bundled font could not be read: {e}")))?;
        let font = Font::new(bytes.to_vec().into(), 0)
            .ok_or_else(|| RenderError::Pdf("the bundled font could not be loaded".into()))?;
        Ok(Face {
            units_per_em: f32::from(parsed.units_per_em()),
            font,
            parsed,
        })
    }

    /// The advance of one character, in ems.
    fn advance(&self, c: char) -> f32 {
        let id = self.parsed.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        f32::from(self.parsed.glyph_hor_advance(id).unwrap_or(0)) / self.units_per_em
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// The glyphs of a line of text, each mapped back to its characters so
    /// the text can be selected and copied.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let id = self.parsed.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                let advance =
                    f32::from(self.parsed.glyph_hor_advance(id).unwrap_or(0)) / self.units_per_em;
                let range: Range<usize> = i..i + c.len_utf8();
                KrillaGlyph::new(
                    GlyphId::new(u32::from(id.0)),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                )
            })
            .collect()
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }
}

/// What a page draws, in page coordinates (points, y downwards).
enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        colour: Colour,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Colour,
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
        colour: Colour,
    },
    /// A chart (an index into the laid-out SVG trees) scaled into a box.
    Chart {
        tree: usize,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Breaks text into lines no wider than `width`: at spaces, and inside a
/// word only when the word alone is wider than a line. Line breaks in the
/// text are kept.
fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.advance(' ') * size;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in paragraph.split([' ', '\t']).filter(|w| !w.is_empty()) {
            let word_w = face.width(word, size);
            if !line.is_empty() && line_w + space + word_w <= width {
                line.push(' ');
                line.push_str(word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_w <= width {
                line.push_str(word);
                line_w = word_w;
                continue;
            }
            // A word longer than the line: cut it where it fills the line.
            line_w = 0.0;
            for c in word.chars() {
                let w = face.advance(c) * size;
                if !line.is_empty() && line_w + w > width {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += w;
            }
        }
        lines.push(line);
    }
    lines
}

/// Lays a report out into pages.
struct Layout<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    trees: Vec<usvg::Tree>,
    /// (heading, page index, y) of each section, for the outline.
    bookmarks: Vec<(String, usize, f32)>,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: BODY_TOP,
            trees: Vec::new(),
            bookmarks: Vec::new(),
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = BODY_TOP;
    }

    fn at_top(&self) -> bool {
        self.y <= BODY_TOP + 0.5
    }

    /// Starts a new page unless `height` still fits on this one.
    fn keep(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM && !self.at_top() {
            self.new_page();
        }
    }

    fn gap(&mut self, space: f32) {
        if !self.at_top() {
            self.y += space;
        }
    }

    fn text_line(&mut self, x: f32, size: f32, bold: bool, colour: Colour, text: String) {
        let line_h = size * 1.3;
        self.keep(line_h);
        self.push(Op::Text {
            x,
            baseline: self.y + size,
            size,
            bold,
            colour,
            text,
        });
        self.y += line_h;
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool, colour: Colour) {
        let face = self.fonts.face(bold);
        for line in wrap(face, text, size, BODY_W) {
            self.text_line(MARGIN, size, bold, colour, line);
        }
        self.y += size * 0.6;
    }

    /// A heading kept with at least `with_next` points of what follows it.
    fn heading(&mut self, text: &str, size: f32, with_next: f32) {
        self.gap(size * 0.8);
        let lines = wrap(self.fonts.face(true), text, size, BODY_W);
        self.keep(lines.len() as f32 * size * 1.3 + with_next);
        for line in lines {
            self.text_line(MARGIN, size, true, TEXT, line);
        }
        self.y += size * 0.3;
    }

    fn figures(&mut self, figures: &[Figure]) {
        let (value_size, label_size) = (20.0, BODY_SIZE);
        let row_h = value_size * 1.4;
        let mut x = MARGIN;
        self.keep(row_h);
        for f in figures {
            let value_w = self.fonts.bold.width(&f.value, value_size);
            let label = format!(" {}", f.label);
            let label_w = self.fonts.regular.width(&label, label_size);
            if x > MARGIN && x + value_w + label_w > MARGIN + BODY_W {
                x = MARGIN;
                self.y += row_h;
                self.keep(row_h);
            }
            let baseline = self.y + value_size;
            self.push(Op::Text {
                x,
                baseline,
                size: value_size,
                bold: true,
                colour: TEXT,
                text: f.value.clone(),
            });
            self.push(Op::Text {
                x: x + value_w,
                baseline,
                size: label_size,
                bold: false,
                colour: TEXT,
                text: label,
            });
            x += value_w + label_w + 24.0;
        }
        self.y += row_h + 6.0;
    }

    /// Column widths from the cells' natural widths: every column gets at
    /// least its longest word (or its whole text when short), the rest of
    /// the width is shared in proportion to what each column would need.
    fn column_widths(&self, t: &Table, columns: usize) -> Vec<f32> {
        let mut natural = vec![0.0f32; columns];
        let mut minimum = vec![0.0f32; columns];
        let rows = std::iter::once((&t.header, true))
            .chain(t.rows.iter().map(|r| (r, false)))
            .chain(t.footer.iter().map(|r| (r, true)));
        for (row, bold) in rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                let face = self.fonts.face(bold || i == 0);
                let whole = face.width(cell, TABLE_SIZE);
                natural[i] = natural[i].max(whole);
                let longest_word = cell
                    .split_whitespace()
                    .map(|w| face.width(w, TABLE_SIZE))
                    .fold(0.0f32, f32::max);
                minimum[i] = minimum[i].max(longest_word.min(120.0));
            }
        }
        let pad = 2.0 * CELL_PAD_X;
        let natural: Vec<f32> = natural.iter().map(|w| w + pad).collect();
        let minimum: Vec<f32> = minimum.iter().map(|w| w + pad).collect();
        let total: f32 = natural.iter().sum();
        if total <= BODY_W {
            let extra = (BODY_W - total) / columns as f32;
            return natural.iter().map(|w| w + extra).collect();
        }
        let min_total: f32 = minimum.iter().sum();
        if min_total >= BODY_W {
            return minimum.iter().map(|w| w * BODY_W / min_total).collect();
        }
        let flexible: f32 = natural.iter().zip(&minimum).map(|(n, m)| n - m).sum();
        natural
            .iter()
            .zip(&minimum)
            .map(|(n, m)| m + (n - m) / flexible.max(f32::EPSILON) * (BODY_W - min_total))
            .collect()
    }

    /// Lays out one row; returns its height. Lines beyond what fits on a
    /// whole page are cut with an ellipsis.
    fn row_lines(&self, row: &[String], widths: &[f32], bold_row: bool) -> Vec<Vec<String>> {
        let line_h = TABLE_SIZE * 1.3;
        let max_lines = ((BODY_BOTTOM - BODY_TOP - 60.0 - 2.0 * CELL_PAD_Y) / line_h) as usize;
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let cell = row.get(i).map_or("", String::as_str);
                let face = self.fonts.face(bold_row || i == 0);
                let mut lines = wrap(face, cell, TABLE_SIZE, w - 2.0 * CELL_PAD_X);
                if lines.len() > max_lines {
                    lines.truncate(max_lines);
                    if let Some(last) = lines.last_mut() {
                        last.push('…');
                    }
                }
                lines
            })
            .collect()
    }

    fn draw_row(
        &mut self,
        t: &Table,
        row: &[String],
        widths: &[f32],
        bold_row: bool,
        fill: Option<Colour>,
    ) {
        let line_h = TABLE_SIZE * 1.3;
        let cells = self.row_lines(row, widths, bold_row);
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * line_h + 2.0 * CELL_PAD_Y;
        let top = self.y;
        if let Some(colour) = fill {
            self.push(Op::Rect {
                x: MARGIN,
                y: top,
                w: BODY_W,
                h,
                colour,
            });
        }
        let mut x = MARGIN;
        for (i, (lines, w)) in cells.into_iter().zip(widths).enumerate() {
            let bold = bold_row || i == 0;
            let numeric = t.numeric.contains(&i);
            for (n, line) in lines.into_iter().enumerate() {
                let tx = if numeric {
                    x + w - CELL_PAD_X - self.fonts.face(bold).width(&line, TABLE_SIZE)
                } else {
                    x + CELL_PAD_X
                };
                self.push(Op::Text {
                    x: tx,
                    baseline: top + CELL_PAD_Y + n as f32 * line_h + TABLE_SIZE,
                    size: TABLE_SIZE,
                    bold,
                    colour: TEXT,
                    text: line,
                });
            }
            x += w;
        }
        self.y = top + h;
        self.push(Op::Line {
            x1: MARGIN,
            x2: MARGIN + BODY_W,
            y: self.y,
            colour: RULE,
        });
    }

    fn row_height(&self, row: &[String], widths: &[f32], bold_row: bool) -> f32 {
        let lines = self
            .row_lines(row, widths, bold_row)
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .max(1);
        lines as f32 * TABLE_SIZE * 1.3 + 2.0 * CELL_PAD_Y
    }

    /// A table with its caption; the header row repeats on every page.
    fn table(&mut self, t: &Table) {
        let columns = t
            .header
            .len()
            .max(t.rows.iter().map(Vec::len).max().unwrap_or(0))
            .max(1);
        let widths = self.column_widths(t, columns);
        let header_h = self.row_height(&t.header, &widths, true);
        let first_h = t
            .rows
            .first()
            .map_or(0.0, |r| self.row_height(r, &widths, false));
        self.gap(4.0);
        let caption_lines = wrap(self.fonts.face(true), &t.caption, 10.0, BODY_W);
        self.keep(caption_lines.len() as f32 * 13.0 + header_h + first_h);
        for line in caption_lines {
            self.text_line(MARGIN, 10.0, true, TEXT, line);
        }
        self.y += 2.0;
        self.draw_row(t, &t.header, &widths, true, Some(SHADE));
        for row in &t.rows {
            let h = self.row_height(row, &widths, false);
            if self.y + h > BODY_BOTTOM {
                self.new_page();
                self.text_line(
                    MARGIN,
                    9.0,
                    false,
                    SECONDARY,
                    format!("{} (continued)", t.caption),
                );
                self.y += 2.0;
                self.draw_row(t, &t.header, &widths, true, Some(SHADE));
            }
            self.draw_row(t, row, &widths, false, None);
        }
        if let Some(footer) = &t.footer {
            let h = self.row_height(footer, &widths, true);
            if self.y + h > BODY_BOTTOM {
                self.new_page();
                self.draw_row(t, &t.header, &widths, true, Some(SHADE));
            }
            self.draw_row(t, footer, &widths, true, Some(SHADE));
        }
        self.y += 10.0;
    }

    fn chart(&mut self, chart: &portfolio_domain::report::Chart) -> Result<(), RenderError> {
        let svg = chart_svg(chart, "chart");
        let tree = usvg::Tree::from_str(&svg, crate::png::options())
            .map_err(|e| RenderError::Chart(chart.title.clone(), e.to_string()))?;
        let size = tree.size();
        let mut w = BODY_W;
        let mut h = w * size.height() / size.width();
        let room = BODY_BOTTOM - BODY_TOP - 40.0;
        if h > room {
            w *= room / h;
            h = room;
        }
        self.heading(&chart.title, 13.0, h);
        self.keep(h);
        self.trees.push(tree);
        self.push(Op::Chart {
            tree: self.trees.len() - 1,
            x: MARGIN + (BODY_W - w) / 2.0,
            y: self.y,
            w,
            h,
        });
        self.y += h + 6.0;
        self.paragraph(&chart.description, 10.0, false, SECONDARY);
        self.table(&chart.table);
        Ok(())
    }

    fn title_block(&mut self, report: &Report, branding: &Branding) {
        if let Some(logo) = &branding.logo {
            // At most 6 cm wide and 3 cm tall, keeping its shape.
            let (max_w, max_h) = (170.08, 85.04);
            let scale = (max_w / logo.width as f32).min(max_h / logo.height as f32);
            let (w, h) = (logo.width as f32 * scale, logo.height as f32 * scale);
            self.push(Op::Logo {
                x: MARGIN,
                y: self.y,
                w,
                h,
            });
            self.y += h + 12.0;
        }
        self.paragraph(&branding.name, 14.0, true, TEXT);
        for line in wrap(self.fonts.face(true), &report.title, 24.0, BODY_W) {
            self.text_line(MARGIN, 24.0, true, TEXT, line);
        }
        self.y += 6.0;
        let subtitle = format!(
            "{} as at {}{}",
            report.kind.label(),
            report.as_at.format("%-d %B %Y"),
            report
                .previous
                .map(|d| format!(", with the changes since {}", d.format("%-d %B %Y")))
                .unwrap_or_default()
        );
        self.paragraph(&subtitle, BODY_SIZE, false, SECONDARY);
        self.y += 8.0;
    }

    fn report(&mut self, report: &Report, branding: &Branding) -> Result<(), RenderError> {
        self.title_block(report, branding);
        for section in &report.sections {
            self.heading(&section.heading, 18.0, 40.0);
            let page = self.pages.len() - 1;
            // The heading's top, a little above its first line.
            self.bookmarks
                .push((section.heading.clone(), page, (self.y - 30.0).max(0.0)));
            for block in &section.blocks {
                match block {
                    Block::Subheading { text } => self.heading(text, 14.0, 30.0),
                    Block::Paragraph { text } => self.paragraph(text, BODY_SIZE, false, TEXT),
                    Block::Figures { figures } => self.figures(figures),
                    Block::Table { table } => self.table(table),
                    Block::Chart { chart } => self.chart(chart)?,
                }
            }
        }
        Ok(())
    }
}

fn fill(colour: Colour) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Fill::default()
    }
}

fn draw_text(
    surface: &mut Surface,
    fonts: &Fonts,
    (x, baseline): (f32, f32),
    size: f32,
    bold: bool,
    colour: Colour,
    text: &str,
) {
    if text.is_empty() {
        return;
    }
    let face = fonts.face(bold);
    surface.set_stroke(None);
    surface.set_fill(Some(fill(colour)));
    surface.draw_glyphs(
        Point::from_xy(x, baseline),
        &face.glyphs(text),
        face.font.clone(),
        text,
        size,
        false,
    );
}

fn logo_image(branding: &Branding) -> Result<Option<Image>, RenderError> {
    let Some(logo) = &branding.logo else {
        return Ok(None);
    };
    let data = logo.bytes.clone().into();
    let image = match logo.kind {
        ImageKind::Png => Image::from_png(data, true),
        ImageKind::Jpeg => Image::from_jpeg(data, true),
    }
    .map_err(|e| RenderError::Pdf(format!("the logo could not be read: {e}")))?;
    Ok(Some(image))
}

/// Cuts text to at most `width` points with an ellipsis.
fn fit(face: &Face, text: &str, size: f32, width: f32) -> String {
    if face.width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut w = face.advance('…') * size;
    for c in text.chars() {
        w += face.advance(c) * size;
        if w > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Writes the report as a PDF file.
pub fn write(report: &Report, branding: &Branding) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts {
        regular: Face::load(REGULAR)?,
        bold: Face::load(BOLD)?,
    };
    let mut layout = Layout::new(&fonts);
    layout.report(report, branding)?;
    let logo = logo_image(branding)?;
    let Layout {
        pages,
        trees,
        bookmarks,
        ..
    } = layout;

    let mut document = Document::new_with(SerializeSettings {
        enable_tagging: false,
        ..SerializeSettings::default()
    });
    let page_size = Size::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
    let count = pages.len();
    let footer_title = fit(&fonts.regular, &report.title, 9.0, BODY_W * 0.7);
    for (n, ops) in pages.iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::new(page_size));
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    size,
                    bold,
                    colour,
                    text,
                } => draw_text(
                    &mut surface,
                    &fonts,
                    (*x, *baseline),
                    *size,
                    *bold,
                    *colour,
                    text,
                ),
                Op::Rect { x, y, w, h, colour } => {
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        let mut path = PathBuilder::new();
                        path.push_rect(rect);
                        if let Some(path) = path.finish() {
                            surface.set_stroke(None);
                            surface.set_fill(Some(fill(*colour)));
                            surface.draw_path(&path);
                        }
                    }
                }
                Op::Line { x1, x2, y, colour } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
                            width: 0.5,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Chart { tree, x, y, w, h } => {
                    if let (Some(tree), Some(size)) = (trees.get(*tree), Size::from_wh(*w, *h)) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_svg(tree, size, SvgSettings::default());
                        surface.pop();
                    }
                }
                Op::Logo { x, y, w, h } => {
                    if let (Some(image), Some(size)) = (&logo, Size::from_wh(*w, *h)) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image.clone(), size);
                        surface.pop();
                    }
                }
            }
        }
        draw_text(
            &mut surface,
            &fonts,
            (MARGIN, FOOTER_Y),
            9.0,
            false,
            SECONDARY,
            &footer_title,
        );
        let number = format!("Page {} of {}", n + 1, count);
        let number_w = fonts.regular.width(&number, 9.0);
        draw_text(
            &mut surface,
            &fonts,
            (MARGIN + BODY_W - number_w, FOOTER_Y),
            9.0,
            false,
            SECONDARY,
            &number,
        );
        surface.finish();
        page.finish();
    }
    let mut outline = Outline::new();
    for (heading, page, y) in bookmarks {
        outline.push_child(OutlineNode::new(
            heading,
            XyzDestination::new(page, Point::from_xy(0.0, y)),
        ));
    }
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new()
            .title(report.title.clone())
            .authors(vec![branding.name.clone()])
            .creator("Portfolio".into())
            .language("en-GB".into()),
    );
    document
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regular() -> Face {
        Face::load(REGULAR).expect("bundled font")
    }

    #[test]
    fn wraps_at_spaces_and_keeps_line_breaks() {
        let face = regular();
        let lines = wrap(&face, "one two three four\nfive", 10.0, 50.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert_eq!(lines.last().map(String::as_str), Some("five"));
        for line in &lines {
            assert!(face.width(line, 10.0) <= 50.0, "{line} is too wide");
        }
        assert_eq!(
            lines.join(" ").replace("\n", " "),
            "one two three four five"
        );
    }

    #[test]
    fn cuts_a_word_longer_than_the_line() {
        let face = regular();
        let word = "x".repeat(200);
        let lines = wrap(&face, &word, 10.0, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
        assert!(lines.iter().all(|l| face.width(l, 10.0) <= 100.0));
    }

    #[test]
    fn a_footer_title_too_long_is_cut_with_an_ellipsis() {
        let face = regular();
        let cut = fit(&face, &"Board pack ".repeat(30), 9.0, 200.0);
        assert!(cut.ends_with('…'));
        assert!(face.width(&cut, 9.0) <= 200.0);
        assert_eq!(fit(&face, "Short", 9.0, 200.0), "Short");
    }
}
