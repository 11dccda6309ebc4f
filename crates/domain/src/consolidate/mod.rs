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
//!
//! What it must not do: any I/O. It reads no files (the store and app layers
//! read CSV and XLSX and hand over cell text or numbers), keeps no state between
//! calls, reads no clock and draws no randomness (hashing uses fixed seeds, so
//! the same input always gives the same candidates in the same order). It does
//! not decide what is written: imports are all-or-nothing in the app layer,
//! which uses these functions to build its row-by-row report and the duplicates
//! page; merging with lineage belongs to the store.

pub mod cell;
pub mod columns;
pub mod dates;
pub mod duplicates;
pub mod matching;
pub mod money;
mod normalise;
