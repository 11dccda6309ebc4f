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

/// A quarter (1–4) of a financial year. Serialised as it is written: "2027/28 Q1".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialQuarter {
    pub year: FinancialYear,
    pub quarter: u8,
}

impl Serialize for FinancialQuarter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FinancialQuarter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        FinancialQuarter::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl FinancialQuarter {
    pub fn new(year: FinancialYear, quarter: u8) -> Result<Self, String> {
        if !(1..=4).contains(&quarter) {
            return Err("the quarter must be 1, 2, 3 or 4".into());
        }
        Ok(FinancialQuarter { year, quarter })
    }

    /// The first quarter of a financial year.
    pub fn first_of(year: FinancialYear) -> FinancialQuarter {
        FinancialQuarter { year, quarter: 1 }
    }

    /// Accepts "2027/28 Q1", "2027-28 Q1", "2027/28Q1" and "2027/28 q1".
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let bad = || format!("'{s}' is not a financial quarter; write it like 2027/28 Q1");
        let at = s.rfind(['Q', 'q']).ok_or_else(bad)?;
        let (year, quarter) = (s[..at].trim(), s[at + 1..].trim());
        let year = FinancialYear::parse(year).map_err(|_| bad())?;
        let quarter: u8 = match quarter {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return Err(bad()),
        };
        Ok(FinancialQuarter { year, quarter })
    }

    /// Quarters since a fixed origin, so that differences count quarters.
    fn ordinal(self) -> i64 {
        i64::from(self.year.0) * 4 + i64::from(self.quarter) - 1
    }

    fn from_ordinal(n: i64) -> FinancialQuarter {
        FinancialQuarter {
            year: FinancialYear(n.div_euclid(4) as i32),
            quarter: (n.rem_euclid(4) + 1) as u8,
        }
    }

    /// The quarter after this one.
    pub fn next(self) -> FinancialQuarter {
        self.plus(1)
    }

    /// The quarter `n` quarters later (earlier when `n` is negative).
    pub fn plus(self, n: i64) -> FinancialQuarter {
        FinancialQuarter::from_ordinal(self.ordinal() + n)
    }

    /// How many quarters this one is after `start` (negative when before it).
    pub fn index_from(self, start: FinancialQuarter) -> i64 {
        self.ordinal() - start.ordinal()
    }

    /// `count` consecutive quarters from this one.
    pub fn range(self, count: usize) -> Vec<FinancialQuarter> {
        (0..count as i64).map(|i| self.plus(i)).collect()
    }

    /// The first day of the quarter, for a year starting in `start_month`.
    pub fn start_date(self, start_month: u32) -> NaiveDate {
        let months = i64::from(start_month.clamp(1, 12)) - 1 + (i64::from(self.quarter) - 1) * 3;
        let year = i64::from(self.year.0) + months / 12;
        let month = (months % 12) as u32 + 1;
        NaiveDate::from_ymd_opt(year as i32, month, 1).unwrap_or(NaiveDate::MIN)
    }

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
    fn quarters_parse_count_and_step_across_years() {
        let q = FinancialQuarter::parse("2027/28 Q4").unwrap();
        assert_eq!(q.to_string(), "2027/28 Q4");
        assert_eq!(q.next().to_string(), "2028/29 Q1");
        assert_eq!(q.plus(-4).to_string(), "2026/27 Q4");
        assert_eq!(
            FinancialQuarter::parse("2026-27q2").unwrap().to_string(),
            "2026/27 Q2"
        );
        let start = FinancialQuarter::parse("2026/27 Q1").unwrap();
        assert_eq!(q.index_from(start), 7);
        assert_eq!(start.index_from(q), -7);
        assert_eq!(start.plus(7), q);
        assert!(FinancialQuarter::parse("2026/27 Q5").is_err());
        assert!(FinancialQuarter::parse("2026/27").is_err());
        assert_eq!(q.start_date(4), d(2028, 1, 1));
        assert_eq!(start.start_date(1), d(2026, 1, 1));
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(json, "\"2027/28 Q4\"");
        assert_eq!(serde_json::from_str::<FinancialQuarter>(&json).unwrap(), q);
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
