//! Folding labels for comparison, and a similarity of two short strings.
//!
//! Shared by column headers and option matching: "Health & Care",
//! "health and care" and "HEALTH-AND-CARE" all fold to "health and care".

/// Lower-cases, reads "&" as "and" and "#" as "number", drops apostrophes
/// ("Children's" → "childrens"), turns other punctuation into spaces and
/// collapses runs of whitespace.
pub fn fold(input: &str) -> String {
    let mut spaced = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        match c {
            '&' | '+' => spaced.push_str(" and "),
            '#' => spaced.push_str(" number "),
            '\'' | '’' | '‘' | '`' => {}
            c if c.is_alphanumeric() => spaced.extend(c.to_lowercase()),
            _ => spaced.push(' '),
        }
    }
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Levenshtein distance counted in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// 1.0 for equal strings, falling towards 0.0 as more characters must change.
pub fn similarity(a: &str, b: &str) -> f64 {
    let longest = a.chars().count().max(b.chars().count());
    if longest == 0 {
        return 1.0;
    }
    1.0 - edit_distance(a, b) as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_punctuation_and_ampersands() {
        assert_eq!(fold("Health & Care"), "health and care");
        assert_eq!(fold("  HEALTH-AND-CARE "), "health and care");
        assert_eq!(fold("Children's Services"), "childrens services");
        assert_eq!(fold("Cost (£k)"), "cost k");
        assert_eq!(fold("Project #"), "project number");
    }

    #[test]
    fn similarity_of_typos_is_high_and_of_strangers_low() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert!(similarity("departmnet", "department") >= 0.8);
        assert!(similarity("childrens services", "families and communities") < 0.5);
        assert_eq!(similarity("", ""), 1.0);
    }
}
