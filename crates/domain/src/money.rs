//! Money as a whole number of pence.
//!
//! Amounts are never floats. Parsing accepts what people type in a form
//! ("£1,250.50", "1250.5", "120000") and refuses fractions of a penny.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in pence. Negative amounts are allowed by the type
/// (a saving is a negative cost) but project costs refuse them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// The largest amount accepted anywhere: £10 billion, far above any council budget,
/// and far enough below `i64::MAX` that sums of thousands of amounts cannot overflow.
pub const MAX_PENCE: i64 = 1_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_pence(pence: i64) -> Result<Self, String> {
        // unsigned_abs: i64::MIN has no positive counterpart.
        if pence.unsigned_abs() > MAX_PENCE.unsigned_abs() {
            return Err("must be no more than £10,000,000,000".into());
        }
        Ok(Money(pence))
    }

    pub fn pence(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Parses pounds as typed by a person: optional "£", thousands commas,
    /// at most two decimal places.
    pub fn parse_pounds(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("enter an amount in pounds, like 1250 or 1250.50".into());
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_prefix('£').unwrap_or(s).replace(',', "");
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w.to_string(), f.to_string()),
            None => (s.clone(), String::new()),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err("enter an amount in pounds, like 1250 or 1250.50".into());
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "'{}' is not an amount in pounds, like 1250 or 1250.50",
                input.trim()
            ));
        }
        if frac.len() > 2 {
            return Err("must be a whole number of pence (at most two decimal places)".into());
        }
        if whole.len() > 12 {
            return Err("must be no more than £10,000,000,000".into());
        }
        let pounds: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| "is too large".to_string())?
        };
        let pence_part: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().unwrap_or(0) * 10,
            _ => frac.parse::<i64>().unwrap_or(0),
        };
        let total = pounds * 100 + pence_part;
        Money::from_pence(if negative { -total } else { total })
    }

    /// "1250.50" — pounds with two decimals and no symbol, for form fields and CSV.
    pub fn to_plain_pounds(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Display for Money {
    /// "£1,250.50", or "£1,250" when there are no pence.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in pounds.chars().enumerate() {
            if i > 0 && (pounds.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if abs.is_multiple_of(100) {
            write!(f, "{sign}£{grouped}")
        } else {
            write!(f, "{sign}£{grouped}.{:02}", abs % 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_negative_number_is_refused_not_a_panic() {
        assert!(Money::from_pence(i64::MIN).is_err());
        assert!(Money::from_pence(i64::MAX).is_err());
        assert!(Money::from_pence(-MAX_PENCE).is_ok());
        assert!(Money::from_pence(-MAX_PENCE - 1).is_err());
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Money::parse_pounds("£1,250.50").unwrap().pence(), 125_050);
        assert_eq!(Money::parse_pounds("1250.5").unwrap().pence(), 125_050);
        assert_eq!(Money::parse_pounds("120000").unwrap().pence(), 12_000_000);
        assert_eq!(Money::parse_pounds(".75").unwrap().pence(), 75);
        assert_eq!(Money::parse_pounds("-10").unwrap().pence(), -1000);
    }

    #[test]
    fn refuses_fractions_of_a_penny_and_words() {
        assert!(Money::parse_pounds("1.005")
            .unwrap_err()
            .contains("whole number of pence"));
        assert!(Money::parse_pounds("tbc").is_err());
        assert!(Money::parse_pounds("").is_err());
        assert!(Money::parse_pounds("1e5").is_err());
        assert!(Money::parse_pounds("99999999999999").is_err());
    }

    #[test]
    fn displays_with_thousands_separators() {
        assert_eq!(Money::from_pence(125_050).unwrap().to_string(), "£1,250.50");
        assert_eq!(
            Money::from_pence(100_000_000).unwrap().to_string(),
            "£1,000,000"
        );
        assert_eq!(Money::from_pence(5).unwrap().to_string(), "£0.05");
        assert_eq!(
            Money::from_pence(125_050).unwrap().to_plain_pounds(),
            "1250.50"
        );
    }
}
