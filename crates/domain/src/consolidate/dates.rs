//! Dates as departments write them in spreadsheets, read into calendar dates.
//!
//! Accepted: British day/month/year ("01/04/2021", "1/4/21", "1.4.2021"),
//! written months ("1 April 2021", "1st Apr 21", "01-Apr-2021"), a month alone
//! ("Apr 2021", "April 2021", "Apr-21", read as the first of the month), ISO
//! ("2021-04-01", with or without a time), a financial quarter ("Q3 2022/23",
//! read as the first day of that quarter) and Excel serial numbers (the 1900
//! date system, as a number from an XLSX cell or five digits in a CSV).
//!
//! Numbers are always read day/month/year: a US-style "04/13/2021" is refused
//! rather than silently swapped, because "04/05/2021" would then mean two
//! different days depending on the row. Impossible dates (31/02/2021) and years
//! outside the range the rest of Portfolio accepts are refused with the reason.

use chrono::{Datelike, Duration, NaiveDate};

use super::cell::{is_not_known, CellValue};
use crate::quarters::{FinancialYear, MAX_YEAR, MIN_YEAR};

const EXAMPLES: &str = "write it like 01/04/2021, 1 April 2021, Apr 2021 or 2021-04-01";

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Reads a date cell. `year_start_month` is the organisation's first month of
/// the financial year (4 = April), used for quarter labels.
pub fn parse_date(input: &str, year_start_month: u32) -> Result<CellValue<NaiveDate>, String> {
    let s = input.trim();
    if is_not_known(s) {
        return Ok(CellValue::NotKnown);
    }
    let upper = s.to_uppercase();
    if upper.starts_with('Q') || upper.contains(" Q") {
        return quarter_start(s, year_start_month).map(CellValue::Known);
    }
    let date_part = without_time(s);
    let serial_like = date_part.chars().all(|c| c.is_ascii_digit() || c == '.')
        && date_part.matches('.').count() <= 1;
    if !date_part.is_empty() && serial_like {
        return plain_number(date_part).map(CellValue::Known);
    }
    let numeric = date_part
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | '.'));
    let date = if numeric {
        numeric_date(date_part)?
    } else {
        written_date(s)?
    };
    in_range(date).map(CellValue::Known)
}

/// The date of an Excel serial number in the 1900 date system, as an XLSX
/// numeric cell holds it; a fraction (the time of day) is ignored.
pub fn date_from_excel_serial(serial: f64) -> Result<NaiveDate, String> {
    in_range(excel_serial_date(serial)?)
}

/// Excel's 1900 system counts 1 January 1900 as day 1 and, copying a Lotus
/// 1-2-3 bug, believes in 29 February 1900 (day 60). Days from 61 onwards are
/// therefore one more than the real count from 31 December 1899.
fn excel_serial_date(serial: f64) -> Result<NaiveDate, String> {
    // 2,958,465 is 31 December 9999, Excel's last date.
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return Err(format!(
            "{serial} is not an Excel date serial number (they run from 1 to 2958465)"
        ));
    }
    let day = serial.floor() as i64;
    if day == 60 {
        return Err(
            "Excel serial 60 is 29 February 1900, a day that never existed (a Lotus 1-2-3 bug Excel keeps)"
                .into(),
        );
    }
    let epoch_day = if day < 60 { 31 } else { 30 };
    NaiveDate::from_ymd_opt(1899, 12, epoch_day)
        .and_then(|e| e.checked_add_signed(Duration::days(day)))
        .ok_or_else(|| format!("{serial} is not an Excel date serial number"))
}

fn in_range(date: NaiveDate) -> Result<NaiveDate, String> {
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!(
            "year {} is outside the years Portfolio accepts ({MIN_YEAR} to {MAX_YEAR})",
            date.year()
        ))
    }
}

/// "2021-04-01T00:00:00" and "01/04/2021 00:00" without their times.
fn without_time(s: &str) -> &str {
    match s.split_once(['T', ' ']) {
        Some((date, time))
            if time.contains(':')
                && time
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z')) =>
        {
            date
        }
        _ => s,
    }
}

/// Five digits are an Excel serial number a CSV export left unformatted; four
/// are a year alone, which is not a date.
fn plain_number(s: &str) -> Result<NaiveDate, String> {
    let whole = s.split('.').next().unwrap_or(s);
    match whole.len() {
        4 if !s.contains('.') => Err(format!("'{s}' is a year alone, not a date; {EXAMPLES}")),
        5 => {
            let serial: f64 = s
                .parse()
                .map_err(|_| format!("'{s}' is not a date; {EXAMPLES}"))?;
            date_from_excel_serial(serial).map_err(|why| format!("'{s}': {why}"))
        }
        _ => Err(format!("'{s}' is not a date; {EXAMPLES}")),
    }
}

fn four_digit_year(digits: &str) -> Option<i32> {
    match digits.len() {
        4 => digits.parse().ok(),
        // Two-digit years: 00–69 are this century, 70–99 the last.
        2 => digits
            .parse::<i32>()
            .ok()
            .map(|y| if y < 70 { 2000 + y } else { 1900 + y }),
        _ => None,
    }
}

fn numeric_date(s: &str) -> Result<NaiveDate, String> {
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let bad = || format!("'{s}' is not a date; {EXAMPLES}");
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return Err(bad());
    }
    let (year, month, day) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else {
        (parts[2], parts[1], parts[0])
    };
    let year = four_digit_year(year).ok_or_else(bad)?;
    let month: u32 = month.parse().map_err(|_| bad())?;
    let day: u32 = day.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(format!(
            "'{s}' is not a date: month {month} does not exist (dates are read day/month/year)"
        ));
    }
    calendar_date(s, year, month, day)
}

fn calendar_date(s: &str, year: i32, month: u32, day: u32) -> Result<NaiveDate, String> {
    if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
        return Ok(date);
    }
    let month_name = capitalised(MONTHS[(month - 1) as usize]);
    let days = days_in_month(year, month);
    match days {
        Some(days) => Err(format!(
            "'{s}' is not a real date: {month_name} {year} has {days} days"
        )),
        None => Err(format!(
            "'{s}' is not a real date: year {year} is outside the years Portfolio accepts ({MIN_YEAR} to {MAX_YEAR})"
        )),
    }
}

fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "apr", "April", "Sept" → 4, 4, 9.
fn month_number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    if w.len() < 3 {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == w || (w.len() == 3 && m.starts_with(&w)))
        .map(|i| i as u32 + 1)
}

/// "1", "01", "1st", "22nd" → the day number.
fn day_number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| w.strip_suffix(suffix))
        .unwrap_or(&w);
    if (1..=2).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

fn written_date(s: &str) -> Result<NaiveDate, String> {
    let words: Vec<&str> = s
        .split([' ', ',', '-', '/', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let bad = || format!("'{s}' is not a date; {EXAMPLES}");
    let year = |w: &str| {
        if w.chars().all(|c| c.is_ascii_digit()) {
            four_digit_year(w)
        } else {
            None
        }
    };
    let (year, month, day) = match words.as_slice() {
        [d, m, y] if day_number(d).is_some() && month_number(m).is_some() => {
            (year(y), month_number(m), day_number(d))
        }
        [m, d, y] if month_number(m).is_some() && day_number(d).is_some() => {
            (year(y), month_number(m), day_number(d))
        }
        [m, y] if month_number(m).is_some() => (year(y), month_number(m), Some(1)),
        _ => return Err(bad()),
    };
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => calendar_date(s, y, m, d),
        _ => Err(bad()),
    }
}

/// "Q3 2022/23", "2022/23 Q3", "Q3 FY22/23" → the first day of that quarter.
fn quarter_start(s: &str, year_start_month: u32) -> Result<NaiveDate, String> {
    let bad = || format!("'{s}' is not a quarter; write it like Q3 2022/23");
    let upper = s.to_uppercase();
    let mut quarter = None;
    let mut year_words = Vec::new();
    for word in upper.split([' ', ',']).filter(|w| !w.is_empty()) {
        match word.strip_prefix('Q') {
            Some(q) if q.len() == 1 && quarter.is_none() => {
                quarter = Some(q.parse::<u32>().map_err(|_| bad())?);
            }
            _ => year_words.push(word.trim_start_matches("FY")),
        }
    }
    let quarter = quarter.ok_or_else(bad)?;
    if !(1..=4).contains(&quarter) {
        return Err(format!(
            "'{s}' is not a quarter: a financial year has quarters 1 to 4"
        ));
    }
    let year_text = year_words.concat();
    let year_text = match year_text.split_once(['/', '-']) {
        Some((a, b)) if a.len() == 2 && b.len() == 2 => format!("20{a}/{b}"),
        _ => year_text,
    };
    let year = FinancialYear::parse(&year_text).map_err(|_| bad())?;
    if !(1..=12).contains(&year_start_month) {
        return Err(format!(
            "month {year_start_month} cannot start a financial year"
        ));
    }
    let months_in = year_start_month - 1 + 3 * (quarter - 1);
    let date = NaiveDate::from_ymd_opt(
        year.start_year() + (months_in / 12) as i32,
        months_in % 12 + 1,
        1,
    )
    .ok_or_else(bad)?;
    in_range(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn read(input: &str) -> NaiveDate {
        match parse_date(input, 4) {
            Ok(CellValue::Known(date)) => date,
            other => panic!("{input:?} read as {other:?}"),
        }
    }

    fn refusal(input: &str) -> String {
        parse_date(input, 4).expect_err(input)
    }

    #[test]
    fn reads_british_and_iso_dates() {
        assert_eq!(read("01/04/2021"), d(2021, 4, 1));
        assert_eq!(read("1/4/21"), d(2021, 4, 1));
        assert_eq!(read("1.4.2021"), d(2021, 4, 1));
        assert_eq!(read("13/04/2021"), d(2021, 4, 13));
        assert_eq!(read("2021-04-01"), d(2021, 4, 1));
        assert_eq!(read("2021-04-01T00:00:00"), d(2021, 4, 1));
        assert_eq!(read("01/04/2021 00:00"), d(2021, 4, 1));
        assert_eq!(read("29/02/2024"), d(2024, 2, 29));
    }

    #[test]
    fn reads_written_months_and_months_alone() {
        assert_eq!(read("1 April 2021"), d(2021, 4, 1));
        assert_eq!(read("1st Apr 21"), d(2021, 4, 1));
        assert_eq!(read("01-Apr-2021"), d(2021, 4, 1));
        assert_eq!(read("April 1, 2021"), d(2021, 4, 1));
        assert_eq!(read("Apr 2021"), d(2021, 4, 1));
        assert_eq!(read("September 2022"), d(2022, 9, 1));
        assert_eq!(read("Sept 2022"), d(2022, 9, 1));
        assert_eq!(read("Apr-21"), d(2021, 4, 1));
    }

    #[test]
    fn reads_financial_quarters_as_their_first_day() {
        assert_eq!(read("Q3 2022/23"), d(2022, 10, 1));
        assert_eq!(read("Q4 2022/23"), d(2023, 1, 1));
        assert_eq!(read("q1 2022-23"), d(2022, 4, 1));
        assert_eq!(read("2022/23 Q2"), d(2022, 7, 1));
        assert_eq!(read("Q3 FY22/23"), d(2022, 10, 1));
        let january_year = parse_date("Q3 2022/23", 1).unwrap().known();
        assert_eq!(january_year, Some(d(2022, 7, 1)));
        assert!(refusal("Q5 2022/23").contains("quarters 1 to 4"));
        assert!(refusal("Q3 sometime").contains("Q3 2022/23"));
    }

    #[test]
    fn reads_excel_serial_numbers_with_the_lotus_leap_year_bug() {
        assert_eq!(date_from_excel_serial(44287.0), Ok(d(2021, 4, 1)));
        assert_eq!(date_from_excel_serial(44287.75), Ok(d(2021, 4, 1)));
        assert_eq!(read("44287"), d(2021, 4, 1));
        assert_eq!(excel_serial_date(1.0), Ok(d(1900, 1, 1)));
        assert_eq!(excel_serial_date(59.0), Ok(d(1900, 2, 28)));
        assert!(excel_serial_date(60.0)
            .unwrap_err()
            .contains("29 February 1900"));
        assert_eq!(excel_serial_date(61.0), Ok(d(1900, 3, 1)));
        assert_eq!(excel_serial_date(2_958_465.0), Ok(d(9999, 12, 31)));
        assert!(date_from_excel_serial(61.0).unwrap_err().contains("1990"));
        assert!(date_from_excel_serial(f64::NAN).is_err());
        assert!(date_from_excel_serial(-5.0).is_err());
        assert!(date_from_excel_serial(1e300).is_err());
    }

    #[test]
    fn us_style_dates_are_refused_not_swapped() {
        let why = refusal("04/13/2021");
        assert!(
            why.contains("month 13 does not exist (dates are read day/month/year)"),
            "{why}"
        );
    }

    #[test]
    fn impossible_and_out_of_range_dates_say_why() {
        let why = refusal("31/02/2021");
        assert!(why.contains("February 2021 has 28 days"), "{why}");
        assert!(refusal("29/02/2023").contains("28 days"));
        assert!(refusal("31 April 2021").contains("April 2021 has 30 days"));
        assert!(refusal("01/04/1850").contains("1990 to 2100"));
        assert!(refusal("2150-01-01").contains("1990 to 2100"));
        assert!(refusal("2021").contains("year alone"));
        assert!(refusal("next spring").contains("not a date"));
        assert!(refusal("1/2/3/4").contains("not a date"));
        assert!(refusal("Smarch 2021").contains("not a date"));
    }

    #[test]
    fn not_known_is_not_an_error() {
        for s in ["", "tbc", "TBC", "n/a", "-"] {
            assert_eq!(parse_date(s, 4), Ok(CellValue::NotKnown), "{s:?}");
        }
    }
}
