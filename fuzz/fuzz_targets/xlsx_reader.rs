//! The XLSX reader on arbitrary bytes. Random bytes are rarely a zip, so an
//! input may instead spell out a workbook's parts as text:
//!
//! ```text
//! === xl/worksheets/sheet1.xml
//! <worksheet …>…</worksheet>
//! === xl/sharedStrings.xml
//! <sst …>…</sst>
//! ```
//!
//! Those parts are zipped (stored, not compressed), with a minimal workbook
//! filling in any of the parts a workbook needs that the input leaves out, so
//! mutations reach calamine's XML reading instead of stopping at the zip's
//! checksums. Any other input is read as the file itself. Either way the
//! reader must give sheets within the limits or a reason, never panic.
//!
//! calamine itself can panic on a damaged workbook; the reader catches that
//! and answers with a reason. libFuzzer's panic hook would abort on the
//! caught panic, so for panics raised inside calamine the hook lets the
//! unwinding reach the reader's catch. Any panic elsewhere, or one the reader
//! fails to catch, still aborts and counts as a crash.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;

mod common;

const MARK: &[u8] = b"=== ";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>"#;

const DEFAULTS: [(&str, &str); 5] = [
    ("[Content_Types].xml", CONTENT_TYPES),
    ("_rels/.rels", RELS),
    ("xl/workbook.xml", WORKBOOK),
    ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ("xl/worksheets/sheet1.xml", SHEET),
];

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts an input spells out, or `None` when it is a file as it is.
fn parts(data: &[u8]) -> Option<Vec<(String, &[u8])>> {
    let mut rest = data.strip_prefix(MARK)?;
    let mut parts = Vec::new();
    loop {
        let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let name = String::from_utf8_lossy(&rest[..line_end])
            .trim()
            .to_string();
        rest = rest.get(line_end + 1..).unwrap_or(&[]);
        match find(rest, b"\n=== ") {
            Some(end) => {
                parts.push((name, &rest[..end]));
                rest = &rest[end + 1 + MARK.len()..];
            }
            None => {
                parts.push((name, rest));
                return Some(parts);
            }
        }
    }
}

/// A zip of the parts, the defaults filling the gaps; parts the zip writer
/// refuses (a repeated or unusable name) are left out.
fn workbook(parts: &[(String, &[u8])]) -> Vec<u8> {
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut written: Vec<&str> = Vec::new();
    let given = parts.iter().map(|(name, bytes)| (name.as_str(), *bytes));
    let defaults = DEFAULTS.iter().map(|(name, text)| (*name, text.as_bytes()));
    for (name, bytes) in given.chain(defaults) {
        if written.contains(&name) {
            continue;
        }
        if writer.start_file(name, options).is_ok() && writer.write_all(bytes).is_ok() {
            written.push(name);
        }
    }
    writer
        .finish()
        .map(Cursor::into_inner)
        .expect("a zip in memory can always be finished")
}

/// Lets panics raised inside calamine unwind to the reader, which catches them.
fn let_calamine_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_calamine = info
            .location()
            .is_some_and(|l| l.file().contains("/calamine-"));
        if !in_calamine {
            abort(info);
        }
    }));
}

fuzz_target!(init: let_calamine_panics_unwind(), |data: &[u8]| {
    let file = match parts(data) {
        Some(parts) => workbook(&parts),
        None => data.to_vec(),
    };
    common::read_and_check("register.xlsx", &file, None);
    common::read_and_check("register.xlsx", &file, Some("Sheet1"));
    // Without a telling extension a zip is sniffed as a workbook.
    common::read_and_check("register", &file, None);
});
