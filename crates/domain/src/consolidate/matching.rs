//! Matching free text in a cell to one of the organisation's named options.
//!
//! Departments, themes, stages and delivery confidence are chosen from a list,
//! but a spreadsheet says "Health & Care", "In delivery" or "A/G". A value that
//! names an option once case, punctuation and "&"/"and" are set aside is a
//! match. A value that is close ("In delivery" → Delivery, "A/G" →
//! Amber/Green, "Resorces" → Resources) is only a suggestion with a score: a
//! person confirms it before an import uses it, because a wrong guess files a
//! project under the wrong department. Anything else is refused with the list
//! of allowed values. Sharing a generic word is not closeness: "Childrens
//! services" is not "Adult services", nor "Families and Communities".
//!
//! Options are `(key, label)` pairs. To accept other names for an option
//! (a department's old name, "Business as usual" for a stage), pass them as
//! extra pairs with the same key.

use super::normalise::{fold, similarity};

/// How a value relates to the option it was matched to.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionMatch<K> {
    /// The value names the option, ignoring case, punctuation and "&"/"and".
    Exact(K),
    /// The value is close to the option; a person confirms it before use.
    Suggestion {
        key: K,
        label: String,
        /// How close, from 0 to 1 (never 1: that would be exact).
        score: f64,
        /// Why it was suggested, for the person confirming it.
        reason: String,
    },
}

impl<K> OptionMatch<K> {
    pub fn key(&self) -> &K {
        match self {
            OptionMatch::Exact(key) | OptionMatch::Suggestion { key, .. } => key,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, OptionMatch::Exact(_))
    }
}

/// The lowest score offered as a suggestion.
pub const SUGGESTION_THRESHOLD: f64 = 0.7;

/// Words that say what kind of thing a value is rather than which one:
/// "in delivery", "the design stage", "Resources directorate".
const FILLER_WORDS: [&str; 10] = [
    "in",
    "the",
    "of",
    "and",
    "stage",
    "phase",
    "status",
    "project",
    "department",
    "directorate",
];

/// Matches `value` to one of `options`, exactly or as a suggestion, or says
/// which values are allowed.
pub fn match_option<K: Clone>(
    value: &str,
    options: &[(K, &str)],
) -> Result<OptionMatch<K>, String> {
    let folded = fold(value);
    if folded.is_empty() {
        return Err(format!("is empty; use one of {}", allowed(options)));
    }
    if let Some((key, _)) = options.iter().find(|(_, label)| fold(label) == folded) {
        return Ok(OptionMatch::Exact(key.clone()));
    }
    let mut best: Option<(f64, String, &(K, &str))> = None;
    for option in options {
        if let Some((score, reason)) = closeness(&folded, &fold(option.1)) {
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, reason, option));
            }
        }
    }
    match best {
        Some((score, reason, (key, label))) if score >= SUGGESTION_THRESHOLD => {
            Ok(OptionMatch::Suggestion {
                key: key.clone(),
                label: (*label).to_string(),
                score,
                reason,
            })
        }
        _ => Err(format!(
            "'{}' does not match any of {}",
            value.trim(),
            allowed(options)
        )),
    }
}

fn allowed<K>(options: &[(K, &str)]) -> String {
    let mut labels: Vec<&str> = Vec::new();
    for (_, label) in options {
        if !labels.contains(label) {
            labels.push(label);
        }
    }
    labels.join(", ")
}

fn content_words(folded: &str) -> Vec<&str> {
    folded
        .split(' ')
        .filter(|w| !FILLER_WORDS.contains(w))
        .collect()
}

fn initials(words: &[&str]) -> String {
    words.iter().filter_map(|w| w.chars().next()).collect()
}

/// Two words are the same word if equal, or for longer words, one typo apart.
fn same_word(a: &str, b: &str) -> bool {
    a == b || (a.len() >= 5 && b.len() >= 5 && similarity(a, b) >= 0.8)
}

/// How close a folded value is to a folded label, with the reason, scaled
/// below 1 because only an exact match is certain.
fn closeness(value: &str, label: &str) -> Option<(f64, String)> {
    let value_words = content_words(value);
    let label_words = content_words(label);
    let mut best: Option<(f64, String)> = None;
    let mut consider = |score: f64, reason: String| {
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, reason));
        }
    };
    consider(
        similarity(value, label),
        "spelt almost the same".to_string(),
    );
    if !value_words.is_empty() && !label_words.is_empty() {
        let shared = value_words
            .iter()
            .filter(|v| label_words.iter().any(|l| same_word(v, l)))
            .count();
        let dice = 2.0 * shared as f64 / (value_words.len() + label_words.len()) as f64;
        let all_words = value.split(' ').count() == value_words.len()
            && label.split(' ').count() == label_words.len();
        let reason = if dice >= 1.0 && !all_words {
            "the same once words such as 'in' and 'stage' are set aside".to_string()
        } else {
            "shares most of its words".to_string()
        };
        consider(dice, reason);
        let letters_only = value_words.iter().all(|w| w.len() == 1)
            || (value_words.len() == 1 && value_words[0].len() <= 3);
        if letters_only && label_words.len() > 1 && value_words.concat() == initials(&label_words) {
            consider(0.9, "the initials of the option".to_string());
        }
    }
    best.map(|(score, reason)| (score * 0.95, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPARTMENTS: [(&str, &str); 4] = [
        ("health-and-care", "Health and Care"),
        ("families-and-communities", "Families and Communities"),
        ("resources", "Resources"),
        ("adult-services", "Adult Services"),
    ];

    const STAGES: [(&str, &str); 4] = [
        ("concept", "Concept"),
        ("design", "Design"),
        ("delivery", "Delivery"),
        ("on_hold", "On hold"),
    ];

    const CONFIDENCE: [(u8, &str); 5] = [
        (1, "Green"),
        (2, "Amber/Green"),
        (3, "Amber"),
        (4, "Amber/Red"),
        (5, "Red"),
    ];

    fn suggested<K: Clone + std::fmt::Debug>(value: &str, options: &[(K, &str)]) -> (K, f64) {
        match match_option(value, options) {
            Ok(OptionMatch::Suggestion { key, score, .. }) => (key, score),
            other => panic!("{value:?} gave {other:?}"),
        }
    }

    #[test]
    fn names_that_differ_only_in_case_punctuation_or_ampersand_match() {
        for value in ["Health & Care", "health and care", "HEALTH-AND-CARE"] {
            assert_eq!(
                match_option(value, &DEPARTMENTS),
                Ok(OptionMatch::Exact("health-and-care")),
                "{value}"
            );
        }
        assert_eq!(
            match_option("Amber-Green", &CONFIDENCE),
            Ok(OptionMatch::Exact(2))
        );
        assert_eq!(
            match_option("on-hold", &STAGES),
            Ok(OptionMatch::Exact("on_hold"))
        );
    }

    #[test]
    fn near_misses_are_suggestions_to_confirm() {
        let (key, score) = suggested("In delivery", &STAGES);
        assert_eq!(key, "delivery");
        assert!(score > 0.9 && score < 1.0, "{score}");
        assert_eq!(suggested("A/G", &CONFIDENCE).0, 2);
        assert_eq!(suggested("AR", &CONFIDENCE).0, 4);
        assert_eq!(suggested("Resorces", &DEPARTMENTS).0, "resources");
        assert_eq!(suggested("Design stage", &STAGES).0, "design");
        assert_eq!(
            suggested("Health and Social Care", &DEPARTMENTS).0,
            "health-and-care"
        );
        let Ok(OptionMatch::Suggestion { reason, label, .. }) = match_option("A/G", &CONFIDENCE)
        else {
            panic!("A/G is a suggestion")
        };
        assert_eq!(label, "Amber/Green");
        assert!(reason.contains("initials"), "{reason}");
    }

    #[test]
    fn a_shared_generic_word_is_not_a_match() {
        let why = match_option("Childrens services", &DEPARTMENTS).unwrap_err();
        assert!(
            why.contains("'Childrens services' does not match any of"),
            "{why}"
        );
        assert!(
            why.contains("Health and Care, Families and Communities, Resources, Adult Services"),
            "{why}"
        );
    }

    #[test]
    fn nothing_close_lists_the_allowed_values_once() {
        let options = [
            ("delivery", "Delivery"),
            ("delivery", "In flight"),
            ("live", "Live"),
        ];
        assert_eq!(
            match_option("in flight", &options),
            Ok(OptionMatch::Exact("delivery"))
        );
        let why = match_option("In progress", &STAGES).unwrap_err();
        assert!(why.contains("Concept, Design, Delivery, On hold"), "{why}");
        assert!(match_option("  ", &STAGES)
            .unwrap_err()
            .starts_with("is empty"));
        let why = match_option("x", &options).unwrap_err();
        assert!(why.ends_with("Delivery, In flight, Live"), "{why}");
    }
}
