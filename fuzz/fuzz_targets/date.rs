//! `parse_date` on arbitrary text, for every first month of a financial year
//! (and impossible ones): a date within the accepted years, "not known", or a
//! reason; never a panic.
#![no_main]

use chrono::Datelike;
use libfuzzer_sys::fuzz_target;
use portfolio_domain::consolidate::cell::CellValue;
use portfolio_domain::consolidate::dates::{date_from_excel_serial, parse_date};
use portfolio_domain::quarters::{MAX_YEAR, MIN_YEAR};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for month in [0, 1, 4, 12, 13, u32::MAX] {
        match parse_date(text, month) {
            Ok(CellValue::Known(date)) => assert!(
                (MIN_YEAR..=MAX_YEAR).contains(&date.year()),
                "{text:?} read as {date}"
            ),
            Ok(CellValue::NotKnown) => {}
            Err(why) => assert!(
                !why.trim().is_empty(),
                "{text:?}: a refusal without a reason"
            ),
        }
    }
    if let Ok(serial) = text.trim().parse::<f64>() {
        if let Ok(date) = date_from_excel_serial(serial) {
            assert!((MIN_YEAR..=MAX_YEAR).contains(&date.year()), "{serial}");
        }
    }
});
