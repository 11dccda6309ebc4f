//! Consolidation: reading departments' spreadsheets and finding duplicates, as pure rules.
//!
//! Each department keeps its own spreadsheet, with its own column names and its
//! own way of writing money ("£1.2m", "350" under "Cost (£k)"), dates
//! ("1/4/21", "Q3 2022/23", an Excel serial number) and choices ("Health & Care",
//! "A/G"). This module owns turning those cells into the domain's types, or into
//! a reason a programme office can act on, and finding likely duplicate or
//! overlapping projects among the register and the incoming rows.
//!
//! - [`cell`]: a cell's value or "not known" ("tbc", "n/a", blank), which is not an error.
//! - [`money`]: hand-written amounts into [`Money`](crate::Money), with a column's unit.
//! - [`dates`]: British, ISO, month-only, quarter and Excel serial dates.
//! - [`columns`]: header synonyms into canonical fields, as a saveable [`ColumnMapping`](columns::ColumnMapping).
//! - [`matching`]: free text against an organisation's named options, exact or suggested.
//! - [`duplicates`]: blocked (MinHash LSH) and scored duplicate candidates with reasons.
//! - [`merge`]: merge plans (survivor, merged projects, a choice per field) and
//!   the survivor's values they give, and when a merge can be undone.
//!
//! What it must not do: any I/O. It reads no files (the store and app layers
//! read CSV and XLSX and hand over cell text or numbers), keeps no state between
//! calls, reads no clock and draws no randomness (hashing uses fixed seeds, so
//! the same input always gives the same candidates in the same order). It does
//! not decide what is written: imports are all-or-nothing in the app layer,
//! which uses these functions to build its row-by-row report and the duplicates
//! page. Merging decides the survivor's values here; writing the merge with its
//! lineage and audit records belongs to the store.

pub mod cell;
pub mod columns;
pub mod dates;
pub mod duplicates;
pub mod matching;
pub mod merge;
pub mod money;
mod normalise;

/// How option labels and cells are compared: lower case, "&" as "and", punctuation as spaces.
pub use normalise::fold;

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever a spreadsheet holds, reading it gives a value or a reason, never a panic.
    #[test]
    fn odd_cells_give_reasons_not_panics() {
        let odd = [
            "",
            " ",
            "£",
            "££",
            "(",
            ")",
            "()",
            "-",
            "--",
            "k",
            "m",
            ".",
            ",",
            "1,",
            ",1",
            "1..2",
            "£.5m",
            "0.000001k",
            "99999999999999999999999999",
            "1e400",
            "NaN",
            "∞",
            "١٢٣",
            "🙂",
            "Q",
            "Q0 2022/23",
            "Q9",
            "2022/23 Q",
            "//",
            "1//2021",
            "0/0/0",
            "31/12/99999",
            "Feb 30 2021",
            "30 Feb",
            "T12:00",
            "2021-13-45T25:61",
            "44287.5.5",
            "00000",
            "Health &",
            "&",
            "#",
            "A/",
            "/G",
            "é",
            "Ünïcödé Dëpärtmënt",
        ];
        let options = [("a", "Amber"), ("g", "Green")];
        for cell in odd {
            let _ = money::parse_money(cell, money::MoneyUnit::Thousands);
            let _ = dates::parse_date(cell, 4);
            let _ = matching::match_option(cell, &options);
        }
        let _ = columns::ColumnMapping::propose(&odd);
        for number in [
            f64::NAN,
            f64::INFINITY,
            -0.0,
            0.0,
            1e-300,
            f64::MAX,
            59.999,
            60.5,
        ] {
            let _ = money::money_from_number(number, money::MoneyUnit::Millions);
            let _ = dates::date_from_excel_serial(number);
        }
    }
}
