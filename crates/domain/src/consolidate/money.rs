//! Hand-written amounts of money in spreadsheet cells, read into pence.
//!
//! Departments write "£1.2m", "£350k", "1.5 million", "£240,000" or, under a
//! header such as "Cost (£k)", a plain "350" meaning £350,000. Every reading is
//! exact decimal arithmetic on the digits (never a float), so "£1.2m" is
//! exactly 120,000,000 pence. A suffix written in the cell ("k", "m",
//! "million") wins over the column's unit. Negative amounts, including the
//! accountants' "(£5k)", are refused: a project's cost is never negative, and
//! savings are benefits. "tbc", "n/a", "-" and blank cells are not known, not
//! errors.

use serde::{Deserialize, Serialize};

use super::cell::{is_not_known, CellValue};
use crate::money::{Money, MAX_PENCE};

/// What a plain number in a money column counts: pounds, thousands or millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyUnit {
    #[default]
    Pounds,
    Thousands,
    Millions,
}

impl MoneyUnit {
    /// Pence in one of this unit.
    pub fn pence(self) -> u128 {
        match self {
            MoneyUnit::Pounds => 100,
            MoneyUnit::Thousands => 100_000,
            MoneyUnit::Millions => 100_000_000,
        }
    }

    /// The unit a column header announces: "Cost (£k)", "Budget £000s",
    /// "Capital (£'000)" and "Revenue in thousands" are thousands; "Cost (£m)"
    /// and "Budget (millions)" are millions; anything else is pounds.
    pub fn from_header(header: &str) -> MoneyUnit {
        let h = header.to_lowercase().replace(['\'', '’', ' '], "");
        let thousands = ["£k", "(k)", "£000", "(000", "000s", "thousand"];
        let millions = ["£m", "(m)", "million"];
        if thousands.iter().any(|t| h.contains(t)) {
            MoneyUnit::Thousands
        } else if millions.iter().any(|m| h.contains(m)) {
            MoneyUnit::Millions
        } else {
            MoneyUnit::Pounds
        }
    }
}

const EXAMPLES: &str = "write it like £240,000, £350k or £1.2m";

/// Reads a money cell written by hand. `unit` is what a plain number means in
/// this column (see [`MoneyUnit::from_header`]).
pub fn parse_money(input: &str, unit: MoneyUnit) -> Result<CellValue<Money>, String> {
    let original = input.trim();
    if is_not_known(original) {
        return Ok(CellValue::NotKnown);
    }
    let lower = original.to_lowercase();
    if lower.starts_with('(') && lower.ends_with(')') {
        return Err(format!(
            "'{original}' is a negative amount (in brackets); a cost cannot be negative, so record savings as benefits"
        ));
    }
    let mut s = lower.as_str();
    for estimate in [
        "approximately",
        "approx.",
        "approx",
        "circa",
        "c.",
        "about",
        "~",
    ] {
        if let Some(rest) = s.strip_prefix(estimate) {
            s = rest.trim_start();
            break;
        }
    }
    if s.starts_with('-') || s.starts_with('−') || s.starts_with("£-") {
        return Err(format!(
            "'{original}' is a negative amount; a cost cannot be negative, so record savings as benefits"
        ));
    }
    let s = s
        .strip_prefix('£')
        .or_else(|| s.strip_prefix("gbp"))
        .unwrap_or(s)
        .trim_start();
    let after_first = s.char_indices().nth(1).map_or("", |(i, _)| &s[i..]);
    if after_first.contains(['-', '–', '—']) || after_first.contains(" to ") {
        return Err(format!(
            "'{original}' is a range; enter one amount, such as the upper estimate"
        ));
    }
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let suffix = suffix.trim();
    if number.is_empty() {
        return Err(format!(
            "'{original}' is not an amount of money; {EXAMPLES}"
        ));
    }
    let multiplier = match suffix {
        "" => unit.pence(),
        "k" | "thousand" | "000s" => MoneyUnit::Thousands.pence(),
        "m" | "mn" | "mil" | "million" | "millions" => MoneyUnit::Millions.pence(),
        "bn" | "billion" => 100_000_000_000,
        _ => {
            return Err(format!(
                "'{original}' is not an amount of money: '{suffix}' is not a unit (use k for thousands or m for millions); {EXAMPLES}"
            ))
        }
    };
    let pence = exact_pence(number, multiplier).map_err(|why| format!("'{original}' {why}"))?;
    Money::from_pence(pence).map(CellValue::Known)
}

/// Reads a money cell a spreadsheet stored as a number (an XLSX numeric cell),
/// in the column's unit. Float noise below a thousandth of a penny is
/// forgiven; anything else finer than a penny is refused.
pub fn money_from_number(value: f64, unit: MoneyUnit) -> Result<Money, String> {
    if !value.is_finite() {
        return Err("is not a number".into());
    }
    if value < 0.0 {
        return Err("is negative; a cost cannot be negative, so record savings as benefits".into());
    }
    let pence = value * unit.pence() as f64;
    if pence > MAX_PENCE as f64 {
        return Err("must be no more than £10,000,000,000".into());
    }
    let rounded = pence.round();
    if (pence - rounded).abs() > 0.001 {
        return Err(format!(
            "{value} is not a whole number of pence (at most two decimal places of pounds)"
        ));
    }
    Money::from_pence(rounded as i64)
}

/// Exact pence for `number` (digits, thousands commas, at most one point)
/// times `multiplier` pence, or why not.
fn exact_pence(number: &str, multiplier: u128) -> Result<i64, String> {
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if fraction.contains(['.', ',']) {
        return Err("has more than one decimal point".into());
    }
    let fraction = fraction.trim_end_matches('0');
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped_well = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped_well {
        return Err("has commas that do not separate thousands".into());
    }
    let digits: String = groups.concat();
    if digits.is_empty() && fraction.is_empty() {
        return Err(format!("is not an amount of money; {EXAMPLES}"));
    }
    // 16 significant digits already exceed £10 billion in any unit.
    let significant = digits.trim_start_matches('0').len() + fraction.len();
    if significant > 16 {
        return Err("is too large: must be no more than £10,000,000,000".into());
    }
    let scale = 10u128.pow(fraction.len() as u32);
    let whole_value: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| "is not a number".to_string())?
    };
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse()
            .map_err(|_| "is not a number".to_string())?
    };
    let scaled = (whole_value * scale + fraction_value) * multiplier;
    if !scaled.is_multiple_of(scale) {
        return Err("is not a whole number of pence".into());
    }
    let pence = scaled / scale;
    if pence > MAX_PENCE as u128 {
        return Err("is too large: must be no more than £10,000,000,000".into());
    }
    Ok(pence as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pence(input: &str) -> i64 {
        pence_in(input, MoneyUnit::Pounds)
    }

    fn pence_in(input: &str, unit: MoneyUnit) -> i64 {
        match parse_money(input, unit) {
            Ok(CellValue::Known(m)) => m.pence(),
            other => panic!("{input:?} read as {other:?}"),
        }
    }

    fn refusal(input: &str) -> String {
        parse_money(input, MoneyUnit::Pounds).expect_err(input)
    }

    #[test]
    fn reads_the_ways_departments_write_money() {
        assert_eq!(pence("£1.2m"), 120_000_000);
        assert_eq!(pence("£350k"), 35_000_000);
        assert_eq!(pence("45k"), 4_500_000);
        assert_eq!(pence("45K"), 4_500_000);
        assert_eq!(pence("£240,000"), 24_000_000);
        assert_eq!(pence("240000"), 24_000_000);
        assert_eq!(pence("£1,234.56"), 123_456);
        assert_eq!(pence("1.5 million"), 150_000_000);
        assert_eq!(pence("£ 2.25 m"), 225_000_000);
        assert_eq!(pence("c. £50k"), 5_000_000);
        assert_eq!(pence("£0"), 0);
    }

    #[test]
    fn not_known_is_not_an_error() {
        for s in ["tbc", "TBC", "n/a", "-", "", "  "] {
            assert_eq!(
                parse_money(s, MoneyUnit::Pounds),
                Ok(CellValue::NotKnown),
                "{s:?}"
            );
        }
    }

    #[test]
    fn refusals_say_why() {
        let bracketed = refusal("(£5k)");
        assert!(bracketed.contains("negative"), "{bracketed}");
        assert!(refusal("-500").contains("negative"));
        let words = refusal("abc");
        assert!(words.contains("'abc' is not an amount of money"), "{words}");
        assert!(refusal("12 apples").contains("'apples' is not a unit"));
        assert!(refusal("£50k-£100k").contains("range"));
        assert!(refusal("1,23,456").contains("commas"));
        assert!(refusal("1.2.3").contains("decimal point"));
    }

    #[test]
    fn fractions_of_a_penny_are_refused() {
        assert!(refusal("£1.005").contains("not a whole number of pence"));
        assert!(parse_money("1.234567k", MoneyUnit::Pounds)
            .unwrap_err()
            .contains("not a whole number of pence"));
        // A thousandth of a thousand pounds is a whole pound.
        assert_eq!(pence("1.001k"), 100_100);
    }

    #[test]
    fn huge_numbers_are_errors_not_panics() {
        assert!(refusal("£99999999999999999999999999999999").contains("too large"));
        assert!(refusal("£20bn").contains("no more than"));
        assert!(refusal("99999999999m").contains("no more than"));
        assert!(parse_money(&"9".repeat(400), MoneyUnit::Millions).is_err());
        assert!(parse_money("£10bn", MoneyUnit::Pounds).is_ok());
    }

    #[test]
    fn a_thousands_header_scales_plain_numbers_only() {
        let unit = MoneyUnit::from_header("Cost (£k)");
        assert_eq!(unit, MoneyUnit::Thousands);
        assert_eq!(pence_in("350", unit), 35_000_000);
        assert_eq!(pence_in("12.5", unit), 1_250_000);
        assert_eq!(pence_in("£1.2m", unit), 120_000_000, "a written unit wins");
        assert_eq!(
            MoneyUnit::from_header("Capital £'000"),
            MoneyUnit::Thousands
        );
        assert_eq!(
            MoneyUnit::from_header("Budget (£000s)"),
            MoneyUnit::Thousands
        );
        assert_eq!(MoneyUnit::from_header("Cost (£m)"), MoneyUnit::Millions);
        assert_eq!(MoneyUnit::from_header("Indicative cost"), MoneyUnit::Pounds);
        assert_eq!(MoneyUnit::from_header("Cost (£)"), MoneyUnit::Pounds);
        assert_eq!(MoneyUnit::from_header("Project manager"), MoneyUnit::Pounds);
    }

    #[test]
    fn numeric_cells_forgive_float_noise_but_not_fractions_of_a_penny() {
        assert_eq!(
            money_from_number(0.1 + 0.2, MoneyUnit::Pounds)
                .unwrap()
                .pence(),
            30
        );
        assert_eq!(
            money_from_number(350.0, MoneyUnit::Thousands)
                .unwrap()
                .pence(),
            35_000_000
        );
        assert!(money_from_number(1.005, MoneyUnit::Pounds)
            .unwrap_err()
            .contains("whole number of pence"));
        assert!(money_from_number(-1.0, MoneyUnit::Pounds).is_err());
        assert!(money_from_number(f64::NAN, MoneyUnit::Pounds).is_err());
        assert!(money_from_number(1e300, MoneyUnit::Millions).is_err());
    }
}
