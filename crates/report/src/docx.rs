//! The report as a Word document committee services can edit: real
//! Title / Heading 1 / Heading 2 styles, tables with a header row that
//! repeats across pages, charts embedded as PNG with their text
//! alternative as the picture's description, and the organisation's name
//! and logo in a title block.

use std::io::{Cursor, Read, Write};

use docx_rs::{
    AlignmentType, BreakType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, Shading, ShdType,
    Style, StyleType, Table, TableCell, TableLayoutType, TableRow, WidthType,
};
use portfolio_domain::report::{Block, Report, Table as ReportTable};

use crate::png::chart_png;
use crate::{Branding, RenderError};

/// Text width of an A4 page with 2 cm margins, in twentieths of a point.
const TEXT_WIDTH: usize = 9_638;
/// EMUs per twentieth of a point.
const EMU_PER_TWIP: u32 = 635;
const FONT: &str = "Liberation Sans";

fn run(text: &str) -> Run {
    let mut r = Run::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            r = r.add_break(BreakType::TextWrapping);
        }
        r = r.add_text(line);
    }
    r
}

fn heading(text: &str, style: &str) -> Paragraph {
    Paragraph::new().add_run(run(text)).style(style)
}

fn styles(docx: Docx) -> Docx {
    let fonts = || RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT);
    docx.default_fonts(fonts())
        .default_size(22)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(48)
                .bold()
                .fonts(fonts()),
        )
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .based_on("Normal")
                .next("Normal")
                .size(36)
                .bold()
                .fonts(fonts())
                .outline_lvl(0),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("heading 2")
                .based_on("Normal")
                .next("Normal")
                .size(28)
                .bold()
                .fonts(fonts())
                .outline_lvl(1),
        )
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .based_on("Normal")
                .size(20)
                .bold()
                .fonts(fonts()),
        )
}

fn table(t: &ReportTable) -> Table {
    let columns = t.header.len().max(1);
    // The first column (names) gets twice the room of each other column.
    let unit = TEXT_WIDTH / (columns + 1);
    let mut grid = vec![unit * 2];
    grid.extend(std::iter::repeat_n(unit, columns - 1));
    let cell = |text: &str, col: usize, bold: bool, fill: Option<&str>| {
        let mut r = run(text).size(20);
        if bold {
            r = r.bold();
        }
        let mut p = Paragraph::new().add_run(r);
        if t.numeric.contains(&col) {
            p = p.align(AlignmentType::Right);
        }
        let mut c = TableCell::new()
            .add_paragraph(p)
            .width(grid[col.min(grid.len() - 1)], WidthType::Dxa);
        if let Some(fill) = fill {
            c = c.shading(Shading::new().shd_type(ShdType::Clear).fill(fill));
        }
        c
    };
    let mut rows = vec![TableRow::new(
        t.header
            .iter()
            .enumerate()
            .map(|(i, h)| cell(h, i, true, Some("F3F2F1")))
            .collect(),
    )
    .cant_split()];
    for row in &t.rows {
        rows.push(TableRow::new(
            row.iter()
                .enumerate()
                .map(|(i, v)| cell(v, i, i == 0, None))
                .collect(),
        ));
    }
    if let Some(footer) = &t.footer {
        rows.push(TableRow::new(
            footer
                .iter()
                .enumerate()
                .map(|(i, v)| cell(v, i, true, Some("F3F2F1")))
                .collect(),
        ));
    }
    // Fixed layout: the grid gives every column's width, so a word
    // processor lays out a long table without measuring every cell first
    // (LibreOffice takes minutes over 10,000 autofit rows).
    Table::new(rows)
        .set_grid(grid)
        .layout(TableLayoutType::Fixed)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// Writes the report as a DOCX file.
pub fn write(report: &Report, branding: &Branding) -> Result<Vec<u8>, RenderError> {
    let mut docx = styles(Docx::new()).page_size(11_906, 16_838).page_margin(
        PageMargin::new()
            .top(1_134)
            .bottom(1_134)
            .left(1_134)
            .right(1_134),
    );
    let mut descriptions: Vec<String> = Vec::new();
    if let Some(logo) = &branding.logo {
        // At most 6 cm wide and 3 cm tall, keeping its shape.
        let (max_w, max_h) = (6.0 * 360_000.0, 3.0 * 360_000.0);
        let scale = (max_w / f64::from(logo.width)).min(max_h / f64::from(logo.height));
        let pic = Pic::new_with_dimensions(logo.bytes.clone(), logo.width, logo.height).size(
            (f64::from(logo.width) * scale) as u32,
            (f64::from(logo.height) * scale) as u32,
        );
        descriptions.push(format!("{} logo", branding.name));
        docx = docx.add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)));
    }
    docx = docx
        .add_paragraph(Paragraph::new().add_run(run(&branding.name).bold().size(28)))
        .add_paragraph(heading(&report.title, "Title"))
        .add_paragraph(Paragraph::new().add_run(run(&format!(
            "{} as at {}{}",
            report.kind.label(),
            report.as_at.format("%-d %B %Y"),
            report
                .previous
                .map(|d| format!(", with the changes since {}", d.format("%-d %B %Y")))
                .unwrap_or_default()
        ))));
    for section in &report.sections {
        docx = docx.add_paragraph(heading(&section.heading, "Heading1"));
        for block in &section.blocks {
            match block {
                Block::Subheading { text } => docx = docx.add_paragraph(heading(text, "Heading2")),
                Block::Paragraph { text } => {
                    docx = docx.add_paragraph(Paragraph::new().add_run(run(text)))
                }
                Block::Figures { figures } => {
                    let mut p = Paragraph::new();
                    for (i, f) in figures.iter().enumerate() {
                        if i > 0 {
                            p = p.add_run(Run::new().add_text("    "));
                        }
                        p = p
                            .add_run(run(&f.value).bold().size(40))
                            .add_run(run(&format!(" {}", f.label)));
                    }
                    docx = docx.add_paragraph(p);
                }
                Block::Table { table: t } => {
                    docx = docx
                        .add_paragraph(heading(&t.caption, "Caption"))
                        .add_table(table(t))
                        .add_paragraph(Paragraph::new());
                }
                Block::Chart { chart } => {
                    let png = chart_png(chart)?;
                    let width_twips = TEXT_WIDTH as f32;
                    let height_twips = width_twips * png.height / png.width;
                    let (pw, ph) = (
                        (png.width * crate::png::SCALE) as u32,
                        (png.height * crate::png::SCALE) as u32,
                    );
                    let pic = Pic::new_with_dimensions(png.png, pw, ph).size(
                        width_twips as u32 * EMU_PER_TWIP,
                        height_twips as u32 * EMU_PER_TWIP,
                    );
                    descriptions.push(chart.description.clone());
                    docx = docx
                        .add_paragraph(heading(&chart.title, "Heading2"))
                        .add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)))
                        .add_paragraph(Paragraph::new().add_run(run(&chart.description).italic()))
                        .add_paragraph(heading(&chart.table.caption, "Caption"))
                        .add_table(table(&chart.table))
                        .add_paragraph(Paragraph::new());
                }
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    docx.build()
        .pack(&mut out)
        .map_err(|e| RenderError::Docx(e.to_string()))?;
    describe_pictures(out.into_inner(), &descriptions)
}

fn xml_attr(s: &str) -> String {
    crate::svg::esc(s).replace(['\n', '\t'], " ")
}

/// Gives each picture, in order, its text alternative: rewrites the
/// document part so every `wp:docPr` carries a `descr`.
fn describe_pictures(docx: Vec<u8>, descriptions: &[String]) -> Result<Vec<u8>, RenderError> {
    let err = |e: &dyn std::fmt::Display| RenderError::Docx(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).map_err(|e| err(&e))?;
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| err(&e))?;
        let name = file.name().map_err(|e| err(&e))?.to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| err(&e))?;
        if name == "word/document.xml" {
            let xml = String::from_utf8(bytes).map_err(|e| err(&e))?;
            bytes = mark_document(&xml, descriptions).into_bytes();
        }
        writer.start_file(name, options).map_err(|e| err(&e))?;
        writer.write_all(&bytes).map_err(|e| err(&e))?;
    }
    Ok(writer.finish().map_err(|e| err(&e))?.into_inner())
}

/// Numbers each picture and gives it its description; marks each table's
/// first row as a header row that repeats on every page.
fn mark_document(xml: &str, descriptions: &[String]) -> String {
    let mut out = String::with_capacity(xml.len() + descriptions.len() * 200);
    let mut rest = xml;
    let mut n = 0;
    while let Some(at) = rest.find("<wp:docPr ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find("/>").map_or(tail.len(), |e| e + 2);
        n += 1;
        let descr = descriptions
            .get(n - 1)
            .map(|d| xml_attr(d))
            .unwrap_or_default();
        out.push_str(&format!(
            "<wp:docPr id=\"{n}\" name=\"Picture {n}\" descr=\"{descr}\" />"
        ));
        rest = &tail[end..];
    }
    out.push_str(rest);
    let xml = out;
    let mut out = String::with_capacity(xml.len() + 4096);
    let mut rest = xml.as_str();
    while let Some(at) = rest.find("<w:tbl>") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        match tail.find("<w:trPr>") {
            Some(p) if tail[..p].matches("<w:tr>").count() == 1 => {
                let p = p + "<w:trPr>".len();
                out.push_str(&tail[..p]);
                out.push_str("<w:tblHeader />");
                rest = &tail[p..];
            }
            _ => {
                out.push_str("<w:tbl>");
                rest = &tail["<w:tbl>".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}
