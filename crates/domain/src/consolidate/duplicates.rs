//! Finding likely duplicate or overlapping projects without comparing every pair.
//!
//! When departments' spreadsheets are consolidated, the same piece of work
//! turns up twice: "Children's case mgmt system replacement" from one sheet and
//! "Replace children's social care case management system" from another. This
//! module ranks such pairs for a person to review; it never merges anything.
//!
//! The search runs in three steps, each deterministic:
//!
//! 1. **Normalise** each title and summary into terms: lower case, possessives
//!    and punctuation gone, public-sector abbreviations expanded (mgmt →
//!    management, ASC → adult social care, CRM, RPA, EHCP, SEND…), stop words
//!    dropped, and a light stemming so "replacement", "replacing" and
//!    "replace" are one term.
//! 2. **Block** with MinHash locality-sensitive hashing: each entry's set of
//!    distinctive terms (those in no more than a set share of entries) gets a
//!    signature of `bands × rows_per_band` minimum hashes under fixed seeds;
//!    entries agreeing on every row of some band share a bucket and become a
//!    candidate pair. Titles and title-plus-summary are hashed separately, so a
//!    twin with no summary is still found. Pairs whose terms overlap a lot
//!    collide with high probability; unrelated pairs almost never do, so the
//!    work grows with the number of entries, not its square. Buckets larger
//!    than `max_bucket` are skipped as uninformative.
//! 3. **Score** each candidate: cosine similarity of TF-IDF term weights
//!    (titles, and titles with summaries, taking the higher), plus smaller
//!    weights for the same department, shared themes, costs within 25% and
//!    overlapping dates. Each candidate carries the reasons a person would
//!    check: "titles share 'children', 'case', 'management', 'system'".
//!
//! Text similarity must reach [`DuplicateSettings::min_text`] before the
//! context counts, so two unrelated projects in the same department with
//! similar costs are never paired on context alone.

use chrono::NaiveDate;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::money::Money;

/// A hasher with fixed keys: the same input always gives the same buckets.
type FixedState = BuildHasherDefault<DefaultHasher>;

/// One project, from the register or an incoming row, as the search sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    pub summary: String,
    /// The department's slug or name; compared ignoring case.
    pub department: Option<String>,
    /// Theme slugs or names; compared ignoring case.
    pub themes: Vec<String>,
    pub cost: Option<Money>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// Tuning of the search. The defaults suit registers of tens to tens of
/// thousands of projects.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateSettings {
    /// Candidates scoring below this are left out (0 to 1).
    pub min_score: f64,
    /// Text similarity below this is never a candidate, whatever the context.
    pub min_text: f64,
    /// Seed of the MinHash functions; fixed so results repeat.
    pub seed: u64,
    pub bands: usize,
    pub rows_per_band: usize,
    /// Buckets holding more entries than this are skipped.
    pub max_bucket: usize,
    /// Terms in more than this share of entries are too common to block on.
    pub common_term_share: f64,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        DuplicateSettings {
            min_score: 0.45,
            min_text: 0.35,
            seed: 0x5eed_2026_c0de_0001,
            bands: 40,
            rows_per_band: 5,
            max_bucket: 200,
            common_term_share: 0.1,
        }
    }
}

/// Two entries that may describe the same work, by their positions in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateCandidate {
    /// The earlier entry's index.
    pub a: usize,
    /// The later entry's index.
    pub b: usize,
    /// How likely a duplicate or overlap, from 0 to 1.
    pub score: f64,
    /// Why, in words a programme office reads.
    pub reasons: Vec<String>,
}

/// The ranked candidates and what the search did to find them.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateSearch {
    /// Best first; ties in index order.
    pub candidates: Vec<DuplicateCandidate>,
    /// Distinct pairs that blocking put forward and that were scored.
    pub pairs_scored: usize,
    /// Buckets skipped for holding more than `max_bucket` entries.
    pub oversized_buckets: usize,
}

/// Finds likely duplicates among `entries`.
pub fn find_duplicates(entries: &[Entry], settings: &DuplicateSettings) -> DuplicateSearch {
    let corpus = Corpus::build(entries);
    let (pairs, oversized_buckets) = candidate_pairs(&corpus, settings);
    let mut candidates: Vec<DuplicateCandidate> = pairs
        .iter()
        .filter_map(|&(a, b)| corpus.score(entries, a as usize, b as usize, settings))
        .collect();
    candidates.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    DuplicateSearch {
        candidates,
        pairs_scored: pairs.len(),
        oversized_buckets,
    }
}

// ---------------------------------------------------------------- terms

/// Words that carry no meaning for telling projects apart.
const STOP_WORDS: [&str; 36] = [
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "for",
    "to",
    "in",
    "on",
    "with",
    "by",
    "from",
    "at",
    "as",
    "into",
    "via",
    "per",
    "its",
    "their",
    "our",
    "is",
    "be",
    "are",
    "this",
    "that",
    "it",
    "all",
    "we",
    "will",
    "new",
    "project",
    "programme",
    "scheme",
    "initiative",
    "phase",
];

/// Abbreviations written in council spreadsheets, and what they stand for.
const ABBREVIATIONS: [(&str, &str); 28] = [
    ("mgmt", "management"),
    ("mgt", "management"),
    ("mngt", "management"),
    ("sys", "system"),
    ("dept", "department"),
    ("depts", "departments"),
    ("crm", "customer relationship management"),
    ("rpa", "robotic process automation"),
    ("ehcp", "education health care plan"),
    ("ehcps", "education health care plans"),
    ("asc", "adult social care"),
    ("csc", "children social care"),
    ("hr", "human resources"),
    ("ict", "information communication technology"),
    ("govt", "government"),
    ("info", "information"),
    ("tech", "technology"),
    ("dev", "development"),
    ("admin", "administration"),
    ("app", "application"),
    ("apps", "applications"),
    ("mgr", "manager"),
    ("svc", "service"),
    ("svcs", "services"),
    ("comms", "communications"),
    ("edms", "electronic document management system"),
    ("erp", "enterprise resource planning"),
    ("gis", "geographic information system"),
];

/// Abbreviations that are also ordinary words, expanded only when written in capitals.
const CAPITAL_ABBREVIATIONS: [(&str, &str); 2] = [
    ("SEND", "special educational needs disabilities"),
    ("IT", "information technology"),
];

/// A term of an entry: its stem, and the word as the entry wrote it (after
/// expanding abbreviations), for reasons.
struct Term {
    stem: String,
    word: String,
}

/// Strips common English endings so a word and its variants share one stem.
fn stem(word: &str) -> String {
    if word.chars().any(|c| !c.is_alphabetic()) {
        return word.to_string();
    }
    let rules: [(&str, &str, usize); 12] = [
        ("isations", "is", 3),
        ("isation", "is", 3),
        ("ments", "", 3),
        ("ment", "", 3),
        ("ings", "", 3),
        ("ing", "", 3),
        ("ions", "", 4),
        ("ion", "", 4),
        ("ies", "y", 3),
        ("es", "", 4),
        ("ed", "", 3),
        ("s", "", 3),
    ];
    let mut stemmed = word.to_string();
    for (suffix, replacement, min_left) in rules {
        if let Some(root) = word.strip_suffix(suffix) {
            let keeps_s = suffix == "s" && root.ends_with(['s', 'u', 'i']);
            if root.chars().count() >= min_left && !keeps_s {
                stemmed = format!("{root}{replacement}");
                break;
            }
        }
    }
    if stemmed.chars().count() >= 5 && stemmed.ends_with('e') {
        stemmed.pop();
    }
    stemmed
}

/// The terms of a piece of free text, in order, repeats included.
fn terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '’'))) {
        let mut word = raw.trim_matches(['\'', '’']);
        for possessive in ["'s", "’s"] {
            word = word.strip_suffix(possessive).unwrap_or(word);
        }
        let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
        if word.is_empty() {
            continue;
        }
        let lower = word.to_lowercase();
        let expansion = CAPITAL_ABBREVIATIONS
            .iter()
            .find(|(abbreviation, _)| *abbreviation == word)
            .or_else(|| {
                ABBREVIATIONS
                    .iter()
                    .find(|(abbreviation, _)| *abbreviation == lower)
            })
            .map(|(_, expansion)| *expansion);
        let words: Vec<&str> = match expansion {
            Some(expansion) => expansion.split(' ').collect(),
            None => vec![lower.as_str()],
        };
        for w in words {
            if !STOP_WORDS.contains(&w) {
                out.push(Term {
                    stem: stem(w),
                    word: w.to_string(),
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------- corpus

/// One entry's terms as ids, in first-seen order without repeats, with the
/// word it used for each.
#[derive(Default)]
struct Profile {
    title: Vec<(u32, String)>,
    summary: Vec<(u32, String)>,
    /// Sorted title term ids.
    title_ids: Vec<u32>,
    /// Sorted (term, weight) over title and summary: titles count double.
    weights: Vec<(u32, f64)>,
    title_norm: f64,
    weights_norm: f64,
}

/// The interned terms of all entries, with how many entries use each.
struct Corpus {
    stems: Vec<String>,
    entry_counts: Vec<u32>,
    idf: Vec<f64>,
    profiles: Vec<Profile>,
}

impl Corpus {
    fn build(entries: &[Entry]) -> Corpus {
        let mut ids: HashMap<String, u32, FixedState> = HashMap::default();
        let mut stems = Vec::new();
        let mut intern = |stem: String| -> u32 {
            if let Some(&id) = ids.get(stem.as_str()) {
                return id;
            }
            let id = stems.len() as u32;
            stems.push(stem.clone());
            ids.insert(stem, id);
            id
        };
        let mut profiles = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut profile = Profile::default();
            for term in terms(&entry.title) {
                let id = intern(term.stem);
                if !profile.title.iter().any(|(t, _)| *t == id) {
                    profile.title.push((id, term.word));
                }
            }
            for term in terms(&entry.summary) {
                let id = intern(term.stem);
                if !profile.summary.iter().any(|(t, _)| *t == id) {
                    profile.summary.push((id, term.word));
                }
            }
            profiles.push(profile);
        }
        let mut entry_counts = vec![0u32; stems.len()];
        for profile in &profiles {
            let mut seen: Vec<u32> = profile
                .title
                .iter()
                .chain(&profile.summary)
                .map(|(t, _)| *t)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                entry_counts[t as usize] += 1;
            }
        }
        let n = entries.len() as f64;
        let idf: Vec<f64> = entry_counts
            .iter()
            .map(|&count| ((n + 1.0) / (f64::from(count) + 1.0)).ln() + 1.0)
            .collect();
        for profile in &mut profiles {
            let mut title_ids: Vec<u32> = profile.title.iter().map(|(t, _)| *t).collect();
            title_ids.sort_unstable();
            let mut weights: HashMap<u32, f64, FixedState> = HashMap::default();
            for &t in &title_ids {
                *weights.entry(t).or_default() += 2.0 * idf[t as usize];
            }
            for (t, _) in &profile.summary {
                *weights.entry(*t).or_default() += idf[*t as usize];
            }
            let mut weights: Vec<(u32, f64)> = weights.into_iter().collect();
            weights.sort_unstable_by_key(|(t, _)| *t);
            profile.title_norm = title_ids
                .iter()
                .map(|&t| idf[t as usize].powi(2))
                .sum::<f64>()
                .sqrt();
            profile.weights_norm = weights.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            profile.title_ids = title_ids;
            profile.weights = weights;
        }
        Corpus {
            stems,
            entry_counts,
            idf,
            profiles,
        }
    }

    /// Cosine similarity of two entries' titles, each term weighted by its rarity.
    fn title_similarity(&self, a: &Profile, b: &Profile) -> f64 {
        if a.title_norm == 0.0 || b.title_norm == 0.0 {
            return 0.0;
        }
        let dot: f64 = shared_sorted(&a.title_ids, &b.title_ids)
            .map(|t| self.idf[t as usize].powi(2))
            .sum();
        dot / (a.title_norm * b.title_norm)
    }

    /// Cosine similarity over titles and summaries together.
    fn text_similarity(a: &Profile, b: &Profile) -> f64 {
        if a.weights_norm == 0.0 || b.weights_norm == 0.0 {
            return 0.0;
        }
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        while i < a.weights.len() && j < b.weights.len() {
            let (ta, wa) = a.weights[i];
            let (tb, wb) = b.weights[j];
            match ta.cmp(&tb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += wa * wb;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot / (a.weights_norm * b.weights_norm)
    }

    fn score(
        &self,
        entries: &[Entry],
        a: usize,
        b: usize,
        settings: &DuplicateSettings,
    ) -> Option<DuplicateCandidate> {
        let (pa, pb) = (&self.profiles[a], &self.profiles[b]);
        let title = self.title_similarity(pa, pb);
        let text = title.max(Corpus::text_similarity(pa, pb));
        if text < settings.min_text {
            return None;
        }
        let (ea, eb) = (&entries[a], &entries[b]);
        let same = |x: &str, y: &str| x.trim().eq_ignore_ascii_case(y.trim());
        let same_department = match (&ea.department, &eb.department) {
            (Some(da), Some(db)) => !da.trim().is_empty() && same(da, db),
            _ => false,
        };
        let shared_themes: Vec<&str> = ea
            .themes
            .iter()
            .filter(|t| !t.trim().is_empty() && eb.themes.iter().any(|u| same(t, u)))
            .map(|t| t.trim())
            .collect();
        let cost = match (ea.cost, eb.cost) {
            (Some(ca), Some(cb)) => cost_closeness(ca, cb),
            _ => None,
        };
        let dates = date_overlap(ea, eb);
        let context = [
            (same_department, 0.10),
            (!shared_themes.is_empty(), 0.05),
            (cost.is_some(), 0.05),
            (dates.is_some(), 0.05),
        ]
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, weight)| weight)
        .sum::<f64>();
        let score = (0.75 * text + context).min(1.0);
        if score < settings.min_score {
            return None;
        }

        let mut reasons = Vec::new();
        let shared_title: Vec<&str> = pa
            .title
            .iter()
            .filter(|(t, _)| pb.title_ids.binary_search(t).is_ok())
            .map(|(_, w)| w.as_str())
            .collect();
        if !shared_title.is_empty() {
            reasons.push(format!("titles share {}", quoted(&shared_title)));
        }
        let mut shared_summary: Vec<(u32, &str)> = pa
            .summary
            .iter()
            .filter(|(t, _)| {
                pb.weights.binary_search_by_key(t, |(u, _)| *u).is_ok()
                    && pa.title_ids.binary_search(t).is_err()
                    && pb.title_ids.binary_search(t).is_err()
            })
            .map(|(t, w)| (*t, w.as_str()))
            .collect();
        if shared_summary.len() >= 2 {
            // Rarest first: the words that say most about what the work is.
            shared_summary.sort_by(|x, y| {
                self.entry_counts[x.0 as usize]
                    .cmp(&self.entry_counts[y.0 as usize])
                    .then(self.stems[x.0 as usize].cmp(&self.stems[y.0 as usize]))
            });
            let words: Vec<&str> = shared_summary.iter().take(5).map(|(_, w)| *w).collect();
            reasons.push(format!("descriptions share {}", quoted(&words)));
        }
        if same_department {
            reasons.push("same department".into());
        }
        if !shared_themes.is_empty() {
            let noun = if shared_themes.len() == 1 {
                "theme"
            } else {
                "themes"
            };
            reasons.push(format!("share the {noun} {}", quoted(&shared_themes)));
        }
        reasons.extend(cost);
        reasons.extend(dates);
        Some(DuplicateCandidate {
            a,
            b,
            score,
            reasons,
        })
    }
}

fn shared_sorted<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    a.iter().copied().filter(|t| b.binary_search(t).is_ok())
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "costs within 10%" when two known, non-zero costs differ by at most 25%
/// of the larger, rounded up to a multiple of 5%.
fn cost_closeness(a: Money, b: Money) -> Option<String> {
    let (low, high) = (
        a.pence().min(b.pence()).max(0) as u128,
        a.pence().max(b.pence()).max(0) as u128,
    );
    if high == 0 {
        return None;
    }
    if low == high {
        return Some(format!("same cost ({a})"));
    }
    let percent = ((high - low) * 100).div_ceil(high);
    (percent <= 25).then(|| format!("costs within {}%", percent.div_ceil(5) * 5))
}

/// "dates overlap" when both entries' date ranges are known and meet.
fn date_overlap(a: &Entry, b: &Entry) -> Option<String> {
    let range = |e: &Entry| match (e.start_date, e.end_date) {
        (Some(s), Some(f)) if s <= f => Some((s, f)),
        _ => None,
    };
    let ((sa, fa), (sb, fb)) = (range(a)?, range(b)?);
    (sa <= fb && sb <= fa).then(|| "dates overlap".to_string())
}

// ---------------------------------------------------------------- blocking

/// SplitMix64's finaliser: a fast, well-mixed, seedable 64-bit hash.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a: a term's hash that depends on nothing but its text.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Distinct candidate pairs (lower index first, sorted) and the number of
/// oversized buckets skipped.
fn candidate_pairs(corpus: &Corpus, settings: &DuplicateSettings) -> (Vec<(u32, u32)>, usize) {
    let bands = settings.bands.max(1);
    let rows = settings.rows_per_band.max(1);
    // Hash function i is x ↦ (x ^ xor_i) × multiplier_i over well-mixed term
    // hashes: cheap enough to apply bands × rows times to every term.
    let seeds: Vec<(u64, u64)> = (0..bands * rows)
        .map(|i| {
            let xor = mix(settings.seed ^ mix(i as u64));
            (xor, mix(xor) | 1)
        })
        .collect();
    let term_hashes: Vec<u64> = corpus.stems.iter().map(|s| mix(fnv1a(s))).collect();
    let common_limit =
        ((settings.common_term_share * corpus.profiles.len() as f64).ceil() as u32).max(2);
    let distinctive = |ids: Vec<u32>| -> Vec<u32> {
        let rare: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&t| corpus.entry_counts[t as usize] <= common_limit)
            .collect();
        if rare.is_empty() {
            ids
        } else {
            rare
        }
    };

    // (bucket key, entry) for every band of every entry; sorting groups the buckets.
    let mut memberships: Vec<(u64, u32)> = Vec::with_capacity(corpus.profiles.len() * bands * 2);
    for (index, profile) in corpus.profiles.iter().enumerate() {
        let mut tables = vec![(0u64, distinctive(profile.title_ids.clone()))];
        // Without a summary the second table would repeat the first.
        if !profile.summary.is_empty() {
            tables.push((
                1,
                distinctive(profile.weights.iter().map(|(t, _)| *t).collect()),
            ));
        }
        for (table, set) in tables {
            if set.is_empty() {
                continue;
            }
            for band in 0..bands {
                let mut key = mix(table << 32 | band as u64);
                for &(xor, multiplier) in &seeds[band * rows..(band + 1) * rows] {
                    let minimum = set
                        .iter()
                        .map(|&t| (term_hashes[t as usize] ^ xor).wrapping_mul(multiplier))
                        .min()
                        .unwrap_or(0);
                    key = mix(key ^ minimum);
                }
                memberships.push((key, index as u32));
            }
        }
    }

    memberships.sort_unstable();
    memberships.dedup();
    let mut pairs = Vec::new();
    let mut oversized = 0;
    for bucket in memberships.chunk_by(|x, y| x.0 == y.0) {
        if bucket.len() > settings.max_bucket {
            oversized += 1;
            continue;
        }
        for (i, &(_, a)) in bucket.iter().enumerate() {
            for &(_, b) in &bucket[i + 1..] {
                pairs.push((a, b));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs, oversized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str) -> Entry {
        Entry {
            title: title.into(),
            ..Entry::default()
        }
    }

    fn stems(text: &str) -> Vec<String> {
        terms(text).into_iter().map(|t| t.stem).collect()
    }

    #[test]
    fn normalising_expands_abbreviations_and_joins_word_forms() {
        assert_eq!(
            stems("Children's case mgmt sys replacement"),
            stems("children case management system replace")
        );
        assert_eq!(stems("replacing"), stems("replacement"));
        assert_eq!(stems("Services"), stems("service"));
        assert_eq!(stems("RPA"), stems("robotic process automation"));
        assert_eq!(stems("ASC"), stems("adult social care"));
        assert_eq!(
            stems("SEND"),
            stems("special educational needs & disabilities")
        );
        assert_eq!(stems("send letters"), stems("sending letter"));
        assert_ne!(stems("send"), stems("SEND"));
        assert_eq!(stems("the new project for Teams"), vec!["team".to_string()]);
        assert_eq!(stem("process"), "process");
        assert_eq!(stem("authorities"), stem("authority"));
        assert_eq!(stem("case"), stem("cases"));
        assert_eq!(stem("care"), stem("cares"));
        assert_eq!(stem("2026"), "2026");
    }

    #[test]
    fn the_childrens_case_management_pair_is_a_strong_candidate() {
        let entries = vec![
            Entry {
                title: "Children's case mgmt system replacement".into(),
                department: Some("families-and-communities".into()),
                cost: Some(Money::from_pence(50_000_000).unwrap()),
                ..Entry::default()
            },
            entry("Microsoft Teams rollout for all staff"),
            entry("Robotic process automation of invoice matching"),
            Entry {
                title: "Replace children's social care case management system".into(),
                department: Some("Families-and-Communities".into()),
                cost: Some(Money::from_pence(54_000_000).unwrap()),
                ..Entry::default()
            },
            entry("Library self-service kiosks"),
        ];
        let found = find_duplicates(&entries, &DuplicateSettings::default());
        assert_eq!(found.candidates.len(), 1, "{:?}", found.candidates);
        let pair = &found.candidates[0];
        assert_eq!((pair.a, pair.b), (0, 3));
        assert!(pair.score >= 0.7, "{}", pair.score);
        assert_eq!(
            pair.reasons,
            vec![
                "titles share 'children', 'case', 'management', 'system', 'replacement'",
                "same department",
                "costs within 10%",
            ]
        );
    }

    #[test]
    fn abbreviations_and_descriptions_find_twins() {
        let entries = vec![
            entry("RPA for adult social care financial assessments"),
            entry("Automating ASC financial assessment with robotic process automation"),
            Entry {
                title: "Front door improvements".into(),
                summary: "Single online referral form for early help and safeguarding concerns, replacing email referrals".into(),
                themes: vec!["Communities".into()],
                ..Entry::default()
            },
            Entry {
                title: "Digital front door".into(),
                summary: "An online referral form for safeguarding concerns and early help instead of email referrals".into(),
                themes: vec!["communities".into()],
                ..Entry::default()
            },
        ];
        let found = find_duplicates(&entries, &DuplicateSettings::default());
        let pairs: Vec<(usize, usize)> = found.candidates.iter().map(|c| (c.a, c.b)).collect();
        assert!(pairs.contains(&(0, 1)), "{:?}", found.candidates);
        assert!(pairs.contains(&(2, 3)), "{:?}", found.candidates);
        assert_eq!(pairs.len(), 2, "{:?}", found.candidates);
        let front_door = found.candidates.iter().find(|c| c.a == 2).unwrap();
        assert!(
            front_door
                .reasons
                .iter()
                .any(|r| r.starts_with("descriptions share")),
            "{:?}",
            front_door.reasons
        );
        assert!(front_door
            .reasons
            .contains(&"share the theme 'Communities'".to_string()));
    }

    #[test]
    fn unrelated_projects_are_not_paired_even_with_matching_context() {
        let same_context = |title: &str| Entry {
            title: title.into(),
            department: Some("resources".into()),
            themes: vec!["smart-working".into()],
            cost: Some(Money::from_pence(10_000_000).unwrap()),
            start_date: NaiveDate::from_ymd_opt(2026, 4, 1),
            end_date: NaiveDate::from_ymd_opt(2027, 3, 31),
            ..Entry::default()
        };
        let entries = vec![
            same_context("Payroll system upgrade"),
            same_context("Microsoft Teams telephony"),
            same_context("Council tax online account"),
            same_context("Highways defect reporting app"),
        ];
        let found = find_duplicates(&entries, &DuplicateSettings::default());
        assert!(found.candidates.is_empty(), "{:?}", found.candidates);
    }

    #[test]
    fn context_reasons_are_worded_for_people() {
        let pounds = |p: i64| Money::from_pence(p * 100).unwrap();
        assert_eq!(
            cost_closeness(pounds(100_000), pounds(93_000)).as_deref(),
            Some("costs within 10%")
        );
        assert_eq!(
            cost_closeness(pounds(100_000), pounds(100_000)).as_deref(),
            Some("same cost (£100,000)")
        );
        assert_eq!(cost_closeness(pounds(100_000), pounds(70_000)), None);
        assert_eq!(cost_closeness(pounds(0), pounds(0)), None);
        let dated = |s: (i32, u32), e: (i32, u32)| Entry {
            start_date: NaiveDate::from_ymd_opt(s.0, s.1, 1),
            end_date: NaiveDate::from_ymd_opt(e.0, e.1, 1),
            ..Entry::default()
        };
        assert!(date_overlap(&dated((2026, 4), (2027, 3)), &dated((2027, 1), (2028, 1))).is_some());
        assert!(date_overlap(&dated((2026, 4), (2026, 9)), &dated((2027, 1), (2028, 1))).is_none());
    }

    #[test]
    fn the_same_input_gives_the_same_answer() {
        let entries: Vec<Entry> = [
            "Waste collection route optimisation",
            "Optimise waste collection routes",
            "Bin collection rounds optimisation",
            "Payroll upgrade",
        ]
        .iter()
        .map(|t| entry(t))
        .collect();
        let first = find_duplicates(&entries, &DuplicateSettings::default());
        let second = find_duplicates(&entries, &DuplicateSettings::default());
        assert_eq!(first, second);
        assert!(!first.candidates.is_empty());
    }

    /// A deterministic pseudo-random sequence for generating test registers.
    struct Sequence(u64);

    impl Sequence {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(1);
            mix(self.0)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    const AREAS: [&str; 40] = [
        "children's social care",
        "adult social care",
        "housing repairs",
        "waste collection",
        "council tax",
        "school admissions",
        "highways defects",
        "libraries",
        "parking permits",
        "planning applications",
        "licensing",
        "registrars",
        "pest control",
        "blue badge",
        "concessionary travel",
        "street lighting",
        "flood risk",
        "trading standards",
        "youth justice",
        "foster carers",
        "care leavers",
        "home to school transport",
        "special educational needs",
        "domestic abuse",
        "homelessness",
        "public health",
        "leisure centres",
        "allotments",
        "bereavement services",
        "business rates",
        "payroll",
        "procurement",
        "member enquiries",
        "freedom of information",
        "complaints",
        "contact centre",
        "emergency planning",
        "museums",
        "archives",
        "electoral services",
    ];

    const OBJECTS: [&str; 30] = [
        "case management system",
        "online booking",
        "customer portal",
        "mobile app",
        "data warehouse",
        "document management",
        "payments platform",
        "scheduling tool",
        "customer relationship management",
        "chatbot",
        "workflow automation",
        "online forms",
        "performance dashboard",
        "telephony",
        "mapping",
        "self-service kiosks",
        "records digitisation",
        "integration hub",
        "identity verification",
        "appointments",
        "robotic process automation",
        "e-learning",
        "knowledge base",
        "inspection app",
        "asset register",
        "income management",
        "reporting suite",
        "web chat",
        "digital signatures",
        "text reminders",
    ];

    const ACTIONS: [&str; 12] = [
        "replacement",
        "upgrade",
        "procurement",
        "rollout",
        "pilot",
        "migration",
        "review",
        "redesign",
        "implementation",
        "discovery",
        "expansion",
        "consolidation",
    ];

    const SYLLABLES: [&str; 24] = [
        "kes", "tor", "mer", "vale", "wick", "ash", "brook", "lin", "dar", "hol", "pen", "ford",
        "sel", "mor", "tan", "rid", "quin", "bar", "lo", "nes", "cal", "dun", "fel", "gar",
    ];

    /// A made-up product or place name, such as real titles carry ("Mosaic", "Northmere").
    fn proper_name(seq: &mut Sequence) -> String {
        (0..3).map(|_| seq.pick(&SYLLABLES)).collect()
    }

    fn paraphrase(title: &str, seq: &mut Sequence) -> String {
        let swaps: [(&str, &str); 9] = [
            ("management", "mgmt"),
            ("system", "sys"),
            ("children's social care", "CSC"),
            ("adult social care", "ASC"),
            ("customer relationship management", "CRM"),
            ("robotic process automation", "RPA"),
            ("replacement", "replace"),
            ("implementation", "implement"),
            ("upgrade", "upgrading"),
        ];
        let mut text = title.to_string();
        for (long, short) in swaps {
            if seq.below(2) == 0 {
                text = text.replace(long, short);
            }
        }
        let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
        if words.len() > 4 && seq.below(2) == 0 {
            words.remove(seq.below(words.len()));
        }
        let rotate = seq.below(words.len());
        words.rotate_left(rotate);
        if seq.below(3) == 0 {
            words.insert(0, "Digital".into());
        }
        words.join(" ")
    }

    #[test]
    fn planted_duplicates_are_found_among_two_thousand_entries() {
        let mut seq = Sequence(2026);
        let originals = 1_800;
        let mut entries: Vec<Entry> = (0..originals)
            .map(|_| {
                let mut title = format!(
                    "{} {} {}",
                    seq.pick(&AREAS),
                    seq.pick(&OBJECTS),
                    seq.pick(&ACTIONS)
                );
                if seq.below(10) < 6 {
                    title = format!("{} {title}", proper_name(&mut seq));
                }
                Entry {
                    title,
                    department: Some(format!("department-{}", seq.below(8))),
                    cost: Some(Money::from_pence(seq.below(1_000) as i64 * 1_000_000).unwrap()),
                    ..Entry::default()
                }
            })
            .collect();
        let mut planted = Vec::new();
        for _ in 0..200 {
            let original = seq.below(originals);
            let twin = Entry {
                title: paraphrase(&entries[original].title, &mut seq),
                department: if seq.below(2) == 0 {
                    entries[original].department.clone()
                } else {
                    Some(format!("department-{}", seq.below(8)))
                },
                ..Entry::default()
            };
            planted.push((original, entries.len()));
            entries.push(twin);
        }

        let found = find_duplicates(&entries, &DuplicateSettings::default());
        let pairs: std::collections::HashSet<(usize, usize)> =
            found.candidates.iter().map(|c| (c.a, c.b)).collect();
        let recalled = planted.iter().filter(|p| pairs.contains(p)).count();
        let recall = recalled as f64 / planted.len() as f64;
        let n = entries.len();
        let all_pairs = n * (n - 1) / 2;
        let missed: Vec<(&str, &str)> = planted
            .iter()
            .filter(|p| !pairs.contains(p))
            .take(10)
            .map(|&(a, b)| (entries[a].title.as_str(), entries[b].title.as_str()))
            .collect();
        assert!(recall >= 0.9, "recall {recall}; missed {missed:#?}");
        assert!(
            found.pairs_scored * 50 < all_pairs,
            "{} pairs scored of {all_pairs}",
            found.pairs_scored
        );
        eprintln!(
            "recall {recall}, pairs scored {} ({:.3}% of {all_pairs}), candidates {}, oversized buckets {}",
            found.pairs_scored,
            found.pairs_scored as f64 * 100.0 / all_pairs as f64,
            found.candidates.len(),
            found.oversized_buckets
        );
    }
}
