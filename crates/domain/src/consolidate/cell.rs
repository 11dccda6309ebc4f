//! A spreadsheet cell's value, or a plain statement that it is not known yet.
//!
//! Departments write "tbc", "n/a", "-" or leave a cell blank when they do not
//! know a cost or a date. That is information, not a mistake: an import keeps
//! the field empty and the report says so, rather than refusing the row.

use serde::{Deserialize, Serialize};

/// What a cell says: a parsed value, or that the value is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellValue<T> {
    Known(T),
    NotKnown,
}

impl<T> CellValue<T> {
    /// The value, or `None` when the cell said it was not known.
    pub fn known(self) -> Option<T> {
        match self {
            CellValue::Known(v) => Some(v),
            CellValue::NotKnown => None,
        }
    }

    pub fn is_known(&self) -> bool {
        matches!(self, CellValue::Known(_))
    }
}

/// The ways people write "not known" in a cell, compared after trimming and
/// lower-casing.
pub const NOT_KNOWN_WORDS: [&str; 16] = [
    "",
    "tbc",
    "tbd",
    "tba",
    "n/a",
    "na",
    "n.a.",
    "-",
    "–",
    "—",
    "?",
    "unknown",
    "not known",
    "to be confirmed",
    "to be decided",
    "none given",
];

/// Whether a cell says the value is not known ("tbc", "n/a", "-", blank).
pub fn is_not_known(input: &str) -> bool {
    let s = input.trim().to_lowercase();
    NOT_KNOWN_WORDS.contains(&s.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_known_is_recognised_whatever_the_case() {
        for s in [
            "",
            "  ",
            "tbc",
            "TBC",
            "n/a",
            "N/A",
            "-",
            "To be confirmed",
            "?",
        ] {
            assert!(is_not_known(s), "{s:?}");
        }
        for s in ["0", "nil", "abc", "£0"] {
            assert!(!is_not_known(s), "{s:?}");
        }
    }

    #[test]
    fn known_unwraps_to_an_option() {
        assert_eq!(CellValue::Known(3).known(), Some(3));
        assert_eq!(CellValue::<i32>::NotKnown.known(), None);
    }
}
