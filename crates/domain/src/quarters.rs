//! Financial years and quarters of an organisation's financial year.
//!
//! UK councils' years start on 1 April, so the year "2026/27" runs from
//! 1 April 2026 to 31 March 2027. The start month is a setting of the
//! organisation; April is the default.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A financial year, named by the calendar year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FinancialYear(i32);

pub const MIN_YEAR: i32 = 1990;
pub const MAX_YEAR: i32 = 2100;

impl FinancialYear {
    pub fn new(start_year: i32) -> Result<Self, String> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&start_year) {
            return Err(format!(
                "financial year must start between {MIN_YEAR} and {MAX_YEAR}"
            ));
        }
        Ok(FinancialYear(start_year))
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    /// The financial year containing `date` for a year starting in `start_month`.
    pub fn containing(date: NaiveDate, start_month: u32) -> FinancialYear {
        if date.month() >= start_month {
            FinancialYear(date.year())
        } else {
            FinancialYear(date.year() - 1)
        }
    }

    /// Accepts "2026/27", "2026-27", "2026/2027" and "2026".
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let bad = || format!("'{s}' is not a financial year; write it like 2026/27");
        let (first, second) = match s.split_once(['/', '-']) {
            Some((a, b)) => (a.trim(), Some(b.trim())),
            None => (s, None),
        };
        if first.len() != 4 || !first.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let start: i32 = first.parse().map_err(|_| bad())?;
        if let Some(second) = second {
            let end: i32 = match second.len() {
                2 => second.parse::<i32>().map_err(|_| bad())? + (start / 100) * 100,
                4 => second.parse().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            let expected = start + 1;
            if end != expected && end + 100 != expected {
                return Err(format!(
                    "'{s}' is not a financial year: the second year must follow the first"
                ));
            }
        }
        FinancialYear::new(start)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1) % 100)
    }
}

/// A quarter (1–4) of a financial year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FinancialQuarter {
    pub year: FinancialYear,
    pub quarter: u8,
}

impl FinancialQuarter {
    pub fn containing(date: NaiveDate, start_month: u32) -> FinancialQuarter {
        let year = FinancialYear::containing(date, start_month);
        let months_in = (date.month() + 12 - start_month) % 12;
        FinancialQuarter {
            year,
            quarter: (months_in / 3 + 1) as u8,
        }
    }
}

impl fmt::Display for FinancialQuarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Q{}", self.year, self.quarter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn april_start_years_and_quarters() {
        assert_eq!(
            FinancialYear::containing(d(2026, 4, 1), 4).to_string(),
            "2026/27"
        );
        assert_eq!(
            FinancialYear::containing(d(2027, 3, 31), 4).to_string(),
            "2026/27"
        );
        assert_eq!(
            FinancialQuarter::containing(d(2026, 4, 1), 4).to_string(),
            "2026/27 Q1"
        );
        assert_eq!(
            FinancialQuarter::containing(d(2027, 1, 15), 4).to_string(),
            "2026/27 Q4"
        );
        assert_eq!(
            FinancialQuarter::containing(d(2026, 12, 31), 1).to_string(),
            "2026/27 Q4"
        );
    }

    #[test]
    fn parses_the_ways_people_write_years() {
        assert_eq!(FinancialYear::parse("2026/27").unwrap().start_year(), 2026);
        assert_eq!(
            FinancialYear::parse("2099-2100").unwrap().start_year(),
            2099
        );
        assert_eq!(FinancialYear::parse("2026").unwrap().start_year(), 2026);
        assert!(FinancialYear::parse("2026/28").is_err());
        assert!(FinancialYear::parse("26/27").is_err());
        assert!(FinancialYear::parse("3026/27").is_err());
    }
}
