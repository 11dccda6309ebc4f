//! The CSV reader on arbitrary bytes: UTF-8 or Windows-1252, either delimiter,
//! any quoting. It must give sheets within the limits or a reason, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portfolio_readers::read_sheets;

mod common;

fuzz_target!(|data: &[u8]| {
    common::read_and_check("register.csv", data, None);
    // A CSV file has no sheets to choose.
    assert!(read_sheets("register.csv", data, Some("Sheet1"), &common::LIMITS).is_err());
    // Without a telling extension the format is sniffed.
    common::read_and_check("register", data, None);
    if let Ok(sheets) = read_sheets("register.csv", data, None, &common::LIMITS) {
        for sheet in &sheets {
            assert!(sheet.name.is_none(), "a CSV sheet with a name");
            // Rows keep the file's line order.
            for pair in sheet.rows.windows(2) {
                assert!(
                    pair[0].number < pair[1].number,
                    "rows {} then {}",
                    pair[0].number,
                    pair[1].number
                );
            }
        }
    }
});
