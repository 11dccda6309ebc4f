//! What every reader target checks of an answer: a sheet within the limits,
//! or a reason. A panic anywhere is a crash in itself.

use portfolio_readers::{read_sheets, Cell, ReadError, Sheet};
use portfolio_readers::ImportLimits;

/// Limits small enough that fuzzed inputs reach them.
pub const LIMITS: ImportLimits = ImportLimits {
    max_file_bytes: 1024 * 1024,
    max_rows: 40,
    max_columns: 12,
    max_cell_chars: 48,
    max_unzipped_bytes: 8 * 1024 * 1024,
    max_zip_entries: 32,
};

/// Reads `bytes` as a file called `name` and checks the answer.
pub fn read_and_check(name: &str, bytes: &[u8], only_sheet: Option<&str>) {
    let answer = read_sheets(name, bytes, only_sheet, &LIMITS);
    check(&answer, only_sheet);
    // The same call gives the same answer (compared as text: NaN is a number a cell may hold).
    let again = read_sheets(name, bytes, only_sheet, &LIMITS);
    assert_eq!(format!("{answer:?}"), format!("{again:?}"));
    // A file over the size limit is refused before it is read.
    if bytes.len() >= 2 {
        let tight = ImportLimits {
            max_file_bytes: bytes.len() as u64 - 1,
            ..LIMITS
        };
        let refused = read_sheets(name, bytes, only_sheet, &tight).unwrap_err();
        assert!(refused.message.contains("the largest file"), "{refused:?}");
    }
}

fn check(answer: &Result<Vec<Sheet>, ReadError>, only_sheet: Option<&str>) {
    let sheets = match answer {
        Ok(sheets) => sheets,
        Err(e) => {
            assert!(!e.message.trim().is_empty(), "an error without a reason");
            return;
        }
    };
    assert!(!sheets.is_empty(), "Ok with no sheets");
    if only_sheet.is_some() {
        assert_eq!(
            sheets.len(),
            1,
            "one sheet asked for, {} read",
            sheets.len()
        );
    }
    for sheet in sheets {
        assert!(
            sheet.headers.len() <= LIMITS.max_columns,
            "{} headers",
            sheet.headers.len()
        );
        assert!(!sheet.rows.is_empty(), "a sheet without rows");
        assert!(
            sheet.rows.len() <= LIMITS.max_rows,
            "{} rows",
            sheet.rows.len()
        );
        for row in &sheet.rows {
            assert!(row.number >= 1, "row number {}", row.number);
            assert!(
                row.cells.len() <= LIMITS.max_columns,
                "row {} has {} cells",
                row.number,
                row.cells.len()
            );
            assert!(
                !row.cells.iter().all(Cell::is_empty),
                "row {} is empty",
                row.number
            );
            for cell in &row.cells {
                if let Cell::Text(text) = cell {
                    assert!(
                        text.chars().count() <= LIMITS.max_cell_chars,
                        "a cell of {} characters",
                        text.chars().count()
                    );
                }
                // Showing a cell to a person never panics either.
                let _ = cell.text();
            }
        }
    }
}
