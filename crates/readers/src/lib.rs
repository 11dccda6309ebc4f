//! Reading a CSV or XLSX file into sheets of cells, within limits.
//!
//! CSV files may be UTF-8 (with or without a byte-order mark) or, as Excel
//! saves them on Windows, Windows-1252; bytes that are not valid UTF-8 are
//! read as Windows-1252. The delimiter is a comma or, as Excel writes in
//! locales with a decimal comma, a semicolon: whichever the header line holds
//! more of, outside quotes. XLSX workbooks are streamed cell by cell with
//! calamine; formulas give their cached values, dated cells give dates.
//!
//! Row numbers are the spreadsheet's own (the first row is 1): for CSV, the
//! line a record starts on. Rows with no value in any cell are skipped. The
//! first non-empty row is the header row.
//!
//! What it must not do: interpret cells as the register's fields (that is
//! `portfolio_app::import::rows`) or panic on any input. Every failure is a [`ReadError`]
//! naming the sheet, and the row and column when there is one.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use portfolio_domain::consolidate::columns::column_letter;

/// Bounds that keep memory in proportion and give a clear message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Most rows below the header in one sheet.
    pub max_rows: usize,
    /// Most columns in one sheet.
    pub max_columns: usize,
    /// Most characters in one cell (Excel's own limit is 32,767).
    pub max_cell_chars: usize,
    /// Most bytes a workbook may unpack to, all its parts together: a small
    /// file that would unpack to gigabytes (a zip bomb) is refused before
    /// anything is unpacked.
    pub max_unzipped_bytes: u64,
    /// Most parts (files) inside a workbook.
    pub max_zip_entries: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_file_bytes: 50 * 1024 * 1024,
            max_rows: 200_000,
            max_columns: 1_000,
            max_cell_chars: 32_767,
            max_unzipped_bytes: 500 * 1024 * 1024,
            max_zip_entries: 10_000,
        }
    }
}

/// A cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    /// An error value such as #DIV/0! or #REF!.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it: whole numbers without ".0", dates as dd/mm/yyyy.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// One row below the header.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRow {
    /// As the spreadsheet shows it (the first row is 1).
    pub number: u32,
    pub cells: Vec<Cell>,
}

/// A sheet's header and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name in a workbook; `None` for CSV.
    pub name: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<DataRow>,
}

/// Why a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub sheet: Option<String>,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub message: String,
}

impl ReadError {
    fn file(message: impl Into<String>) -> ReadError {
        ReadError {
            sheet: None,
            row: None,
            column: None,
            message: message.into(),
        }
    }

    fn sheet(sheet: &Option<String>, message: impl Into<String>) -> ReadError {
        ReadError {
            sheet: sheet.clone(),
            ..ReadError::file(message)
        }
    }
}

/// Reads the sheets of a file: every sheet of a workbook that holds
/// anything, or only `only_sheet`. `name` (the file name) chooses the
/// format: `.xlsx`/`.xlsm` are workbooks, `.csv`/`.txt` are CSV, and
/// anything else is sniffed (a zip is a workbook).
pub fn read_sheets(
    name: &str,
    bytes: &[u8],
    only_sheet: Option<&str>,
    limits: &ImportLimits,
) -> Result<Vec<Sheet>, ReadError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ReadError::file(too_big(bytes.len() as u64, limits)));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::file("is empty"));
    }
    let lower = name.to_lowercase();
    let zip = bytes.starts_with(b"PK\x03\x04");
    if lower.ends_with(".xls") {
        return Err(ReadError::file(
            "is an Excel 97-2003 workbook (.xls); save it as .xlsx or CSV and import that",
        ));
    }
    if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
        if !zip {
            return Err(ReadError::file(
                "is not an XLSX workbook (an XLSX file is a zip archive, and this is not one)",
            ));
        }
        return read_xlsx(bytes, only_sheet, limits);
    }
    if zip && !(lower.ends_with(".csv") || lower.ends_with(".txt")) {
        return read_xlsx(bytes, only_sheet, limits);
    }
    if let Some(sheet) = only_sheet {
        return Err(ReadError::file(format!(
            "is a CSV file, which has no sheets, so --sheet '{sheet}' cannot be chosen"
        )));
    }
    read_csv(bytes, limits).map(|sheet| vec![sheet])
}

pub fn too_big(bytes: u64, limits: &ImportLimits) -> String {
    format!(
        "is {:.1} MB; the largest file that can be imported is {:.0} MB, so split it into smaller files",
        bytes as f64 / 1_048_576.0,
        limits.max_file_bytes as f64 / 1_048_576.0
    )
}

/// The text of a CSV file: UTF-8 without its byte-order mark, or Windows-1252.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// `;` when the first non-empty line holds more semicolons than commas outside quotes.
/// A line ends at a line feed or a carriage return (old Mac files end lines
/// with a carriage return alone).
fn sniff_delimiter(text: &str) -> u8 {
    let line = text
        .split(['\r', '\n'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

fn read_csv(bytes: &[u8], limits: &ImportLimits) -> Result<Sheet, ReadError> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let (mut line, mut counted_to) = (1u32, 0usize);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let row = e.position().map(|p| p.line() as u32);
            ReadError {
                row,
                ..ReadError::file(format!("could not be read as CSV: {e}"))
            }
        })?;
        // The csv crate's own line count misses blank lines: count line
        // breaks up to where the record starts, carrying on from the last record.
        let mut start = record
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .min(text.len());
        // A record's position includes the blank lines skipped before it.
        while start < text.len() && matches!(text.as_bytes()[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > counted_to {
            line = line.saturating_add(line_breaks(&text.as_bytes()[counted_to..start]));
            counted_to = start;
        }
        let number = line;
        if record.len() > limits.max_columns {
            return Err(ReadError {
                row: Some(number),
                ..ReadError::file(format!(
                    "row {number} has {} columns; the most a sheet may have is {}",
                    record.len(),
                    limits.max_columns
                ))
            });
        }
        let mut cells = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            check_length(&None, number, i, field, limits)?;
            cells.push(if field.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(field.to_string())
            });
        }
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells.iter().map(Cell::text).collect());
            continue;
        }
        if rows.len() == limits.max_rows {
            return Err(ReadError::file(too_many_rows(limits)));
        }
        rows.push(DataRow { number, cells });
    }
    finish(None, headers, rows)
}

/// Line breaks in `bytes`: "\r\n", "\n", or "\r" alone, as the csv crate
/// ends records (and old Mac files end lines).
fn line_breaks(bytes: &[u8]) -> u32 {
    let mut count = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        let lone_return = b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        if b == b'\n' || lone_return {
            count = count.saturating_add(1);
        }
    }
    count
}

fn too_many_rows(limits: &ImportLimits) -> String {
    format!(
        "has more than {} rows below the header; split it into smaller files",
        limits.max_rows
    )
}

fn check_length(
    sheet: &Option<String>,
    row: u32,
    column: usize,
    text: &str,
    limits: &ImportLimits,
) -> Result<(), ReadError> {
    let chars = text.chars().count();
    if chars > limits.max_cell_chars {
        return Err(ReadError {
            sheet: sheet.clone(),
            row: Some(row),
            column: Some(column_letter(column)),
            message: format!(
                "holds {chars} characters; the most a cell may hold is {}",
                limits.max_cell_chars
            ),
        });
    }
    Ok(())
}

/// A sheet from its header and rows, or why it has none to import.
fn finish(
    name: Option<String>,
    headers: Option<Vec<String>>,
    rows: Vec<DataRow>,
) -> Result<Sheet, ReadError> {
    let Some(headers) = headers else {
        return Err(ReadError::sheet(&name, "is empty"));
    };
    if rows.is_empty() {
        return Err(ReadError::sheet(
            &name,
            "has a header row but no rows of projects below it",
        ));
    }
    Ok(Sheet {
        name,
        headers,
        rows,
    })
}

/// The bytes a workbook unpacks to, counted by unpacking it into nothing;
/// stops counting just past `limit`.
fn counted_unzipped_size(
    mut archive: zip::ZipArchive<Cursor<&[u8]>>,
    limit: u64,
) -> Result<u64, ReadError> {
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive
            .by_index(i)
            .map_err(|e| ReadError::file(format!("is not a readable XLSX workbook ({e})")))?;
        let budget = limit.saturating_sub(total).saturating_add(1);
        let read = std::io::copy(&mut std::io::Read::take(part, budget), &mut std::io::sink())
            .map_err(|e| ReadError::file(format!("is not a readable XLSX workbook ({e})")))?;
        total = total.saturating_add(read);
        if total > limit {
            break;
        }
    }
    Ok(total)
}

/// Refuses a workbook whose parts say they unpack to more than the limit.
/// calamine reads some parts (the shared strings) whole when it opens a
/// workbook, so this check comes first. The zip reader stops at each part's
/// declared size, so a part cannot unpack to more than it declares.
fn check_unzipped_size(bytes: &[u8], limits: &ImportLimits) -> Result<(), ReadError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ReadError::file(format!(
            "is not a readable XLSX workbook ({e}); open it in a spreadsheet program and save it again as .xlsx or CSV"
        ))
    })?;
    if archive.len() > limits.max_zip_entries {
        return Err(ReadError::file(format!(
            "holds {} parts, more than the {} a workbook may have",
            archive.len(),
            limits.max_zip_entries
        )));
    }
    let allowed = limits.max_unzipped_bytes / (1024 * 1024);
    let refuse = |size: String| {
        ReadError::file(format!(
            "would unpack to {size} the {allowed} MB allowed; it may be damaged or built to exhaust memory"
        ))
    };
    match archive.decompressed_size() {
        Some(declared) => {
            let declared = u64::try_from(declared).unwrap_or(u64::MAX);
            if declared > limits.max_unzipped_bytes {
                return Err(refuse(format!(
                    "{} MB, more than",
                    declared / (1024 * 1024)
                )));
            }
        }
        // Some writers leave sizes to a trailer after each part: unpack into
        // nothing, counting, and stop once past the limit.
        None => {
            if counted_unzipped_size(archive, limits.max_unzipped_bytes)?
                > limits.max_unzipped_bytes
            {
                return Err(refuse("more than".to_string()));
            }
        }
    }
    Ok(())
}

fn read_xlsx(
    bytes: &[u8],
    only_sheet: Option<&str>,
    limits: &ImportLimits,
) -> Result<Vec<Sheet>, ReadError> {
    check_unzipped_size(bytes, limits)?;
    // calamine can panic on a damaged workbook (a cell reference such as
    // "AAAAAAAAA1" overflows its column arithmetic): that is a file that
    // cannot be read, not a crash. Nothing outlives the closure, so no state
    // is left half-changed.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(bytes, only_sheet, limits)
    }))
    .unwrap_or_else(|_| {
        Err(ReadError::file(
            "is not a readable XLSX workbook (it is damaged); open it in a spreadsheet program and save it again as .xlsx or CSV",
        ))
    })
}

fn read_workbook(
    bytes: &[u8],
    only_sheet: Option<&str>,
    limits: &ImportLimits,
) -> Result<Vec<Sheet>, ReadError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ReadError::file(format!(
            "is not a readable XLSX workbook ({e}); open it in a spreadsheet program and save it again as .xlsx or CSV"
        ))
    })?;
    let names = workbook.sheet_names();
    let chosen: Vec<String> = match only_sheet {
        Some(wanted) => {
            let found = names
                .iter()
                .find(|n| n.as_str() == wanted)
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)));
            match found {
                Some(n) => vec![n.clone()],
                None => {
                    return Err(ReadError::file(format!(
                        "has no sheet called '{wanted}'; its sheets are {}",
                        names
                            .iter()
                            .map(|n| format!("'{n}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        }
        None => names,
    };
    let mut sheets = Vec::new();
    for name in chosen {
        match read_worksheet(&mut workbook, &name, limits)? {
            Some(sheet) => sheets.push(sheet),
            // A blank sheet among others holds nothing to import; asked for by name, it is an error.
            None if only_sheet.is_some() => {
                return Err(ReadError::sheet(&Some(name), "is empty"));
            }
            None => {}
        }
    }
    if sheets.is_empty() {
        return Err(ReadError::file("has no values in any sheet"));
    }
    Ok(sheets)
}

fn cell_from(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                Some(date) => Cell::Date(date),
                None => Cell::Error(format!("{y:04}-{m:02}-{d:02} is not a real date")),
            }
        }
        DataRef::DateTime(dt) => Cell::Number(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

/// One worksheet, streamed so that a sheet over the row limit stops early;
/// `None` when it holds no values.
fn read_worksheet(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &ImportLimits,
) -> Result<Option<Sheet>, ReadError> {
    let sheet_name = Some(name.to_string());
    let broken = |e: calamine::XlsxError| {
        ReadError::sheet(
            &sheet_name,
            format!("could not be read ({e}); open the workbook in a spreadsheet program and save it again"),
        )
    };
    let mut reader = workbook.worksheet_cells_reader(name).map_err(broken)?;
    let mut headers: Option<Vec<String>> = None;
    let mut rows: Vec<DataRow> = Vec::new();
    let mut current: Option<DataRow> = None;
    let finish_row = |row: DataRow,
                      headers: &mut Option<Vec<String>>,
                      rows: &mut Vec<DataRow>|
     -> Result<(), ReadError> {
        if row.cells.iter().all(Cell::is_empty) {
            return Ok(());
        }
        if headers.is_none() {
            *headers = Some(row.cells.iter().map(Cell::text).collect());
        } else if rows.len() == limits.max_rows {
            return Err(ReadError::sheet(&sheet_name, too_many_rows(limits)));
        } else {
            rows.push(row);
        }
        Ok(())
    };
    while let Some(cell) = reader.next_cell().map_err(broken)? {
        let (row, column) = cell.get_position();
        let (row, column) = (row.saturating_add(1), column as usize);
        if column >= limits.max_columns {
            return Err(ReadError {
                sheet: sheet_name.clone(),
                row: Some(row),
                column: Some(column_letter(column)),
                message: format!(
                    "is beyond the {} columns a sheet may have",
                    limits.max_columns
                ),
            });
        }
        let value = cell_from(cell.get_value());
        if let Cell::Text(text) = &value {
            check_length(&sheet_name, row, column, text, limits)?;
        }
        if current.as_ref().is_some_and(|r| r.number != row) {
            if let Some(done) = current.take() {
                finish_row(done, &mut headers, &mut rows)?;
            }
        }
        let entry = current.get_or_insert_with(|| DataRow {
            number: row,
            cells: Vec::new(),
        });
        if entry.cells.len() <= column {
            entry.cells.resize(column + 1, Cell::Empty);
        }
        entry.cells[column] = value;
    }
    if let Some(done) = current.take() {
        finish_row(done, &mut headers, &mut rows)?;
    }
    if headers.is_none() {
        return Ok(None);
    }
    finish(sheet_name.clone(), headers, rows).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "workbook" whose shared strings unpack to `megabytes` of zeros.
    fn zip_bomb(megabytes: usize, streamed: bool) -> Vec<u8> {
        use std::io::Write;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let zeros = vec![b'0'; 1024 * 1024];
        let mut out = Vec::new();
        if streamed {
            let mut writer = zip::ZipWriter::new_stream(&mut out);
            writer.start_file("xl/sharedStrings.xml", options).unwrap();
            for _ in 0..megabytes {
                writer.write_all(&zeros).unwrap();
            }
            writer.finish().unwrap();
        } else {
            let mut writer = zip::ZipWriter::new(Cursor::new(&mut out));
            writer.start_file("xl/sharedStrings.xml", options).unwrap();
            for _ in 0..megabytes {
                writer.write_all(&zeros).unwrap();
            }
            writer.finish().unwrap();
        }
        out
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_unpacked() {
        let limits = ImportLimits {
            max_unzipped_bytes: 8 * 1024 * 1024,
            ..ImportLimits::default()
        };
        for streamed in [false, true] {
            let bomb = zip_bomb(20, streamed);
            assert!(
                bomb.len() < 100_000,
                "20 MB packs small ({} bytes)",
                bomb.len()
            );
            let error = read_sheets("budget.xlsx", &bomb, None, &limits).unwrap_err();
            // Declared sizes are read from the directory; a streamed file's
            // are counted, stopping just past the limit.
            let expected = if streamed {
                "would unpack to more than the 8 MB allowed"
            } else {
                "would unpack to 20 MB, more than the 8 MB allowed"
            };
            assert!(
                error.message.contains(expected),
                "streamed={streamed}: {}",
                error.message
            );
        }
        // Under the limit, the same kind of file gets as far as being read as a workbook.
        let small = zip_bomb(1, false);
        let error = read_sheets("budget.xlsx", &small, None, &limits).unwrap_err();
        assert!(
            error.message.contains("is not a readable XLSX workbook"),
            "{}",
            error.message
        );
    }

    #[test]
    fn windows_1252_and_bom_are_decoded() {
        assert_eq!(decode(b"\xEF\xBB\xBFCost\n"), "Cost\n");
        assert_eq!(decode(b"\xA31.2m Health & Care"), "£1.2m Health & Care");
        assert_eq!(decode("£1.2m".as_bytes()), "£1.2m");
    }

    #[test]
    fn the_delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("Title;Cost;Stage\n"), b';');
        assert_eq!(sniff_delimiter("\"A;B;C\",Cost\n"), b',');
        assert_eq!(sniff_delimiter("\n\nTitle,Cost\n"), b',');
    }

    #[test]
    fn csv_rows_keep_their_line_numbers_and_skip_blank_rows() {
        let sheets = read_sheets(
            "a.csv",
            b"Title,Stage\n\nOne,idea\n,\nTwo,concept\n",
            None,
            &ImportLimits::default(),
        )
        .unwrap();
        let numbers: Vec<u32> = sheets[0].rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![3, 5]);
    }

    /// A workbook of one sheet, "Sheet1", whose worksheet part is `sheet_xml`.
    fn workbook(sheet_xml: &str) -> Vec<u8> {
        use std::io::Write;
        let parts = [
            (
                "[Content_Types].xml",
                r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            (
                "xl/workbook.xml",
                r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            ("xl/worksheets/sheet1.xml", sheet_xml),
        ];
        let mut out = Vec::new();
        let mut writer = zip::ZipWriter::new(Cursor::new(&mut out));
        for (name, text) in parts {
            writer
                .start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
        out
    }

    fn sheet_xml(cells: &str) -> String {
        format!(
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
        )
    }

    #[test]
    fn a_hand_built_workbook_is_read() {
        let book = workbook(&sheet_xml(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Title</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Payroll</t></is></c><c r="B2"><v>350</v></c></row>"#,
        ));
        let sheets = read_sheets("a.xlsx", &book, None, &ImportLimits::default()).unwrap();
        assert_eq!(sheets[0].headers, vec!["Title"]);
        assert_eq!(
            sheets[0].rows[0].cells,
            vec![Cell::Text("Payroll".into()), Cell::Number(350.0)]
        );
    }

    /// Found by fuzzing (fuzz/fuzz_targets/xlsx_reader.rs): calamine's column
    /// arithmetic overflowed, and panicked, on a very long column reference.
    #[test]
    fn a_damaged_cell_reference_is_an_error_not_a_panic() {
        let book = workbook(&sheet_xml(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Title</t></is></c></row><row r="2"><c r="AAAAAAAAAAAAAAAA2"><v>1</v></c></row>"#,
        ));
        let error = read_sheets("a.xlsx", &book, None, &ImportLimits::default()).unwrap_err();
        assert!(
            error.message.contains("not a readable XLSX workbook")
                || error.message.contains("beyond the 1000 columns"),
            "{}",
            error.message
        );
    }

    /// Found by fuzzing (fuzz/fuzz_targets/csv_reader.rs): a carriage return
    /// alone ends a record, as in CSV saved by old Mac Excel, but was not
    /// counted as a line, so rows repeated the same number.
    #[test]
    fn carriage_returns_alone_end_lines() {
        let sheets = read_sheets(
            "a.csv",
            b"Title;Stage\r\rOne;idea\rTwo;concept\r\nThree;alpha\n",
            None,
            &ImportLimits::default(),
        )
        .unwrap();
        let numbers: Vec<u32> = sheets[0].rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![3, 4, 5]);
        assert_eq!(sheets[0].headers, vec!["Title", "Stage"]);
        assert_eq!(sniff_delimiter("Title;Cost;Stage\rA;1,5,6,7;B\r"), b';');
    }

    #[test]
    fn bad_files_give_reasons() {
        let limits = ImportLimits::default();
        let message =
            |name: &str, bytes: &[u8]| read_sheets(name, bytes, None, &limits).unwrap_err().message;
        assert_eq!(message("a.csv", b""), "is empty");
        assert!(message("a.csv", b"Title,Stage\n").contains("no rows of projects"));
        assert!(message("a.xlsx", b"\x00\x01garbage").contains("not an XLSX"));
        assert!(message("a.xlsx", b"PK\x03\x04not really a zip").contains("not a readable XLSX"));
        let small = ImportLimits {
            max_rows: 1,
            max_cell_chars: 3,
            ..limits
        };
        let e = read_sheets("a.csv", b"T,S\na,b\nc,d\n", None, &small).unwrap_err();
        assert!(e.message.contains("more than 1 rows"), "{}", e.message);
        let e = read_sheets("a.csv", b"T,S\nabcd,b\n", None, &small).unwrap_err();
        assert_eq!((e.row, e.column.as_deref()), (Some(2), Some("A")));
    }
}
