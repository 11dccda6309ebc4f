//! Bounded, trimmed text: titles, names, summaries, tags.
//!
//! Text is stored as typed (HTML is escaped on output, never stripped on
//! input), but control characters other than line breaks and tabs are refused
//! and every field has a maximum length counted in characters.

/// Trims `input` and checks it is non-empty (when `required`), at most `max`
/// characters, and free of control characters (`multiline` allows line breaks).
pub fn clean(input: &str, max: usize, required: bool, multiline: bool) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return if required {
            Err("must not be empty".into())
        } else {
            Ok(String::new())
        };
    }
    let len = s.chars().count();
    if len > max {
        return Err(format!("must be {max} characters or fewer (it has {len})"));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "must not contain control characters (found U+{:04X})",
            bad as u32
        ));
    }
    Ok(if multiline {
        s.replace("\r\n", "\n")
    } else {
        s.to_string()
    })
}

/// A URL-safe identifier made from a name: "Health & Care" → "health-care".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A date written YYYY-MM-DD, or why not (the message says how to write it).
pub fn parse_iso_date(input: &str) -> Result<chrono::NaiveDate, String> {
    let s = input.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a real date; write it like 2027-01-31"))
}

/// A required date field: pushes "must give a date" when blank, or the
/// parse error, onto `errors` under `field`.
pub fn required_date(
    field: &str,
    input: &str,
    errors: &mut crate::errors::ValidationErrors,
) -> Option<chrono::NaiveDate> {
    if input.trim().is_empty() {
        errors.push(field, "must give a date, like 2027-01-31");
        return None;
    }
    errors.check(field, parse_iso_date(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(clean("  Teams  ", 10, true, false).unwrap(), "Teams");
        assert!(clean("   ", 10, true, false)
            .unwrap_err()
            .contains("must not be empty"));
        assert!(clean(&"x".repeat(10_000), 200, true, false)
            .unwrap_err()
            .contains("200 characters or fewer"));
        assert!(clean("a\u{0}b", 10, true, false).is_err());
        assert_eq!(clean("a\r\nb", 10, true, true).unwrap(), "a\nb");
        assert!(clean("a\nb", 10, true, false).is_err());
    }

    #[test]
    fn html_is_kept_as_text() {
        assert_eq!(
            clean("<script>x</script>", 100, true, false).unwrap(),
            "<script>x</script>"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Health & Care"), "health-care");
        assert_eq!(
            slugify("Economy, Infrastructure and Skills"),
            "economy-infrastructure-and-skills"
        );
    }
}
