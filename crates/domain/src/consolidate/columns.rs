//! Recognising a spreadsheet's column headers as the register's fields.
//!
//! Every department names its columns differently: "Project name", "Scheme",
//! "Initiative"; "Dept", "Directorate", "Service area"; "Cost (£k)", "Budget".
//! [`ColumnMapping::propose`] reads a header row and proposes, per column, the
//! field it holds with the reason ("exact synonym", "close match to 'Project
//! title'"), or leaves it unmapped. The proposal is serialisable so the
//! programme office can correct it once and the store can keep it per source;
//! [`ColumnMapping::reapply`] brings a saved mapping to next month's file even
//! if its columns have moved.
//!
//! Stage and phase: councils write "Phase" far more often for the lifecycle
//! stage ("Phase: Delivery") than for the GOV.UK service phase. A bare "Phase"
//! column is therefore read as the stage, unless the sheet also has a column
//! that is plainly the stage ("Stage", "Status", "Lifecycle"); then "Phase"
//! is read as the GOV.UK phase. Headers naming the GOV.UK phase outright
//! ("GOV.UK phase", "Service phase") are always the phase.
//!
//! Each field is held by at most one column. Exact synonyms are assigned
//! first, then close matches, then headers that contain a synonym; a column
//! whose field is already held says by which column.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::money::MoneyUnit;
use super::normalise::{fold, similarity};
use crate::quarters::FinancialYear;

/// A field of the register that a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Title,
    Summary,
    Department,
    Themes,
    Stage,
    Phase,
    Sponsor,
    Manager,
    StartDate,
    EndDate,
    CostTotal,
    Capital,
    Revenue,
    Confidence,
    Tags,
    Published,
    FinancialYear,
    /// The register's own code (DP-042), as its export writes it: a row
    /// holding one is that project, and a new project keeps the code.
    RegisterCode,
    /// What the project changes for residents (the public roadmap's text).
    Residents,
}

impl Field {
    pub const ALL: [Field; 20] = [
        Field::Code,
        Field::Title,
        Field::Summary,
        Field::Department,
        Field::Themes,
        Field::Stage,
        Field::Phase,
        Field::Sponsor,
        Field::Manager,
        Field::StartDate,
        Field::EndDate,
        Field::CostTotal,
        Field::Capital,
        Field::Revenue,
        Field::Confidence,
        Field::Tags,
        Field::Published,
        Field::FinancialYear,
        Field::RegisterCode,
        Field::Residents,
    ];

    /// Fields an import cannot do without.
    pub const REQUIRED: [Field; 3] = [Field::Title, Field::Department, Field::Stage];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Department => "department",
            Field::Themes => "themes",
            Field::Stage => "stage",
            Field::Phase => "phase",
            Field::Sponsor => "sponsor",
            Field::Manager => "manager",
            Field::StartDate => "start_date",
            Field::EndDate => "end_date",
            Field::CostTotal => "cost_total",
            Field::Capital => "capital",
            Field::Revenue => "revenue",
            Field::Confidence => "confidence",
            Field::Tags => "tags",
            Field::Published => "published",
            Field::FinancialYear => "financial_year",
            Field::RegisterCode => "register_code",
            Field::Residents => "residents",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Code => "Project code",
            Field::Title => "Title",
            Field::Summary => "Summary",
            Field::Department => "Department",
            Field::Themes => "Themes",
            Field::Stage => "Stage",
            Field::Phase => "GOV.UK phase",
            Field::Sponsor => "Sponsor",
            Field::Manager => "Project manager",
            Field::StartDate => "Start date",
            Field::EndDate => "End date",
            Field::CostTotal => "Total cost",
            Field::Capital => "Capital",
            Field::Revenue => "Revenue",
            Field::Confidence => "Delivery confidence",
            Field::Tags => "Tags",
            Field::Published => "Published",
            Field::FinancialYear => "Financial year",
            Field::RegisterCode => "Register code",
            Field::Residents => "What this changes for residents",
        }
    }

    /// Whether the column holds money, so its header may carry a unit.
    pub fn is_money(self) -> bool {
        matches!(self, Field::CostTotal | Field::Capital | Field::Revenue)
    }
}

/// Header synonyms, as people write them, with the fields each may mean in
/// order of preference. Only "Phase" means two fields.
const SYNONYMS: &[(&str, &[Field])] = &[
    ("Code", &[Field::Code]),
    ("Project code", &[Field::Code]),
    ("Ref", &[Field::Code]),
    ("Reference", &[Field::Code]),
    ("Project ref", &[Field::Code]),
    ("Project reference", &[Field::Code]),
    ("ID", &[Field::Code]),
    ("Project ID", &[Field::Code]),
    ("Project number", &[Field::Code]),
    ("Project no", &[Field::Code]),
    ("Title", &[Field::Title]),
    ("Project title", &[Field::Title]),
    ("Project name", &[Field::Title]),
    ("Name", &[Field::Title]),
    ("Project", &[Field::Title]),
    ("Scheme", &[Field::Title]),
    ("Scheme name", &[Field::Title]),
    ("Initiative", &[Field::Title]),
    ("Initiative name", &[Field::Title]),
    ("Summary", &[Field::Summary]),
    ("Project summary", &[Field::Summary]),
    ("Description", &[Field::Summary]),
    ("Project description", &[Field::Summary]),
    ("Brief description", &[Field::Summary]),
    ("Overview", &[Field::Summary]),
    ("Scope", &[Field::Summary]),
    ("Outline", &[Field::Summary]),
    ("Department", &[Field::Department]),
    ("Dept", &[Field::Department]),
    ("Directorate", &[Field::Department]),
    ("Service area", &[Field::Department]),
    ("Business area", &[Field::Department]),
    ("Division", &[Field::Department]),
    ("Lead department", &[Field::Department]),
    ("Owning department", &[Field::Department]),
    ("Theme", &[Field::Themes]),
    ("Themes", &[Field::Themes]),
    ("Strategic theme", &[Field::Themes]),
    ("Strategic themes", &[Field::Themes]),
    ("Strategic objective", &[Field::Themes]),
    ("Corporate priority", &[Field::Themes]),
    ("Council priority", &[Field::Themes]),
    ("Stage", &[Field::Stage]),
    ("Project stage", &[Field::Stage]),
    ("Current stage", &[Field::Stage]),
    ("Lifecycle", &[Field::Stage]),
    ("Lifecycle stage", &[Field::Stage]),
    ("Status", &[Field::Stage]),
    ("Project status", &[Field::Stage]),
    ("Phase", &[Field::Stage, Field::Phase]),
    ("Project phase", &[Field::Stage, Field::Phase]),
    ("GOV.UK phase", &[Field::Phase]),
    ("GOVUK phase", &[Field::Phase]),
    ("Service phase", &[Field::Phase]),
    ("Service standard phase", &[Field::Phase]),
    ("Agile phase", &[Field::Phase]),
    ("Sponsor", &[Field::Sponsor]),
    ("SRO", &[Field::Sponsor]),
    ("Senior responsible owner", &[Field::Sponsor]),
    ("Senior responsible officer", &[Field::Sponsor]),
    ("Project sponsor", &[Field::Sponsor]),
    ("Executive sponsor", &[Field::Sponsor]),
    ("Business owner", &[Field::Sponsor]),
    ("Manager", &[Field::Manager]),
    ("PM", &[Field::Manager]),
    ("Project manager", &[Field::Manager]),
    ("Lead", &[Field::Manager]),
    ("Project lead", &[Field::Manager]),
    ("Lead officer", &[Field::Manager]),
    ("Delivery lead", &[Field::Manager]),
    ("Start", &[Field::StartDate]),
    ("Start date", &[Field::StartDate]),
    ("Planned start", &[Field::StartDate]),
    ("Planned start date", &[Field::StartDate]),
    ("Project start", &[Field::StartDate]),
    ("End", &[Field::EndDate]),
    ("End date", &[Field::EndDate]),
    ("Planned end", &[Field::EndDate]),
    ("Planned end date", &[Field::EndDate]),
    ("Finish", &[Field::EndDate]),
    ("Completion date", &[Field::EndDate]),
    ("Planned completion", &[Field::EndDate]),
    ("Go live", &[Field::EndDate]),
    ("Go live date", &[Field::EndDate]),
    ("Cost", &[Field::CostTotal]),
    ("Costs", &[Field::CostTotal]),
    ("Total cost", &[Field::CostTotal]),
    ("Budget", &[Field::CostTotal]),
    ("Total budget", &[Field::CostTotal]),
    ("Indicative cost", &[Field::CostTotal]),
    ("Estimated cost", &[Field::CostTotal]),
    ("Cost estimate", &[Field::CostTotal]),
    ("Whole life cost", &[Field::CostTotal]),
    ("Funding required", &[Field::CostTotal]),
    ("Investment", &[Field::CostTotal]),
    ("Capital", &[Field::Capital]),
    ("Capital cost", &[Field::Capital]),
    ("Capital budget", &[Field::Capital]),
    ("Capex", &[Field::Capital]),
    ("Revenue", &[Field::Revenue]),
    ("Revenue cost", &[Field::Revenue]),
    ("Revenue budget", &[Field::Revenue]),
    ("Opex", &[Field::Revenue]),
    ("Running cost", &[Field::Revenue]),
    ("RAG", &[Field::Confidence]),
    ("RAG status", &[Field::Confidence]),
    ("RAG rating", &[Field::Confidence]),
    ("Overall RAG", &[Field::Confidence]),
    ("DCA", &[Field::Confidence]),
    ("Delivery confidence", &[Field::Confidence]),
    ("Delivery confidence assessment", &[Field::Confidence]),
    ("Confidence", &[Field::Confidence]),
    ("Tags", &[Field::Tags]),
    ("Tag", &[Field::Tags]),
    ("Keywords", &[Field::Tags]),
    ("Labels", &[Field::Tags]),
    ("Published", &[Field::Published]),
    ("Publish", &[Field::Published]),
    ("Public", &[Field::Published]),
    ("On roadmap", &[Field::Published]),
    ("Show on roadmap", &[Field::Published]),
    ("Financial year", &[Field::FinancialYear]),
    ("FY", &[Field::FinancialYear]),
    ("Fin year", &[Field::FinancialYear]),
    ("Budget year", &[Field::FinancialYear]),
    ("Year", &[Field::FinancialYear]),
    ("Register code", &[Field::RegisterCode]),
    ("What this changes for residents", &[Field::Residents]),
    ("For residents", &[Field::Residents]),
    ("Benefit to residents", &[Field::Residents]),
    ("Resident impact", &[Field::Residents]),
];

/// A header naming one financial year's capital or revenue, as the register's
/// own export writes them: "Capital 2026/27 (£)", "Revenue 2027/28". Such
/// columns are read together as the project's costs by year.
pub fn yearly_cost(header: &str) -> Option<(Field, FinancialYear)> {
    let lower = header.trim().to_lowercase();
    let (field, rest) = if let Some(rest) = lower.strip_prefix("capital") {
        (Field::Capital, rest)
    } else if let Some(rest) = lower.strip_prefix("revenue") {
        (Field::Revenue, rest)
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let year: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '/' || *c == '-')
        .collect();
    let tail = rest[year.len()..].trim();
    if year.is_empty() || !(tail.is_empty() || tail.starts_with('(')) {
        return None;
    }
    FinancialYear::parse(&year).ok().map(|y| (field, y))
}

/// Words in a header that give a money column's unit, not its meaning.
const UNIT_WORDS: [&str; 10] = [
    "k",
    "m",
    "000",
    "000s",
    "gbp",
    "thousand",
    "thousands",
    "million",
    "millions",
    "pounds",
];

/// The lowest similarity for a header to be a close match to a synonym.
const CLOSE_MATCH: f64 = 0.8;

/// Why a column holds a field, or why it holds none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MappingReason {
    ExactSynonym { synonym: String },
    CloseMatch { synonym: String, score: f64 },
    ContainsSynonym { synonym: String },
    ChosenByPerson,
    FieldTaken { field: Field, by_column: String },
    RepeatedHeader { first_column: String },
    NoHeader,
    NoMatch,
}

impl MappingReason {
    /// A sentence fragment for the mapping page: "close match to 'Project title'".
    pub fn describe(&self) -> String {
        match self {
            MappingReason::ExactSynonym { .. } => "exact synonym".into(),
            MappingReason::CloseMatch { synonym, score } => {
                format!("close match to '{synonym}' ({:.0}%)", score * 100.0)
            }
            MappingReason::ContainsSynonym { synonym } => format!("contains '{synonym}'"),
            MappingReason::ChosenByPerson => "chosen by a person".into(),
            MappingReason::FieldTaken { field, by_column } => format!(
                "would be {}, but column {by_column} already holds it",
                field.label().to_lowercase()
            ),
            MappingReason::RepeatedHeader { first_column } => {
                format!("repeats the header of column {first_column}")
            }
            MappingReason::NoHeader => "has no header".into(),
            MappingReason::NoMatch => "not recognised".into(),
        }
    }

    /// Whether a person should look at this column before an import.
    pub fn needs_confirming(&self) -> bool {
        matches!(
            self,
            MappingReason::CloseMatch { .. } | MappingReason::ContainsSynonym { .. }
        )
    }
}

/// One column of a sheet and the field it holds, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappedColumn {
    /// The column's letter, as the spreadsheet shows it: A, B, … AA.
    pub column: String,
    /// The header as written.
    pub header: String,
    pub field: Option<Field>,
    /// For money fields, what a plain number counts (from "Cost (£k)").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<MoneyUnit>,
    /// For a cost-by-year column ("Capital 2026/27"), its financial year;
    /// several such columns may hold capital or revenue, one per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<FinancialYear>,
    pub reason: MappingReason,
}

/// Which column holds which field, for one sheet layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// Every column of the header row, in order (trailing empty headers left out).
    pub columns: Vec<MappedColumn>,
}

/// A problem with the header row itself, naming the column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderProblem {
    /// The column's letter, or `None` when the problem is a missing field.
    pub column: Option<String>,
    pub message: String,
}

/// A proposed mapping and the problems found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderReading {
    pub mapping: ColumnMapping,
    pub problems: Vec<HeaderProblem>,
}

/// The spreadsheet letter of a zero-based column index: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let remainder = (n - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The zero-based index of a column letter: "A" → 0, "AA" → 26.
pub fn column_index(letters: &str) -> Result<usize, String> {
    let s = letters.trim().to_ascii_uppercase();
    if s.is_empty() || s.len() > 3 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "'{}' is not a column letter like A or AB",
            letters.trim()
        ));
    }
    Ok(s.bytes()
        .fold(0usize, |n, b| n * 26 + usize::from(b - b'A') + 1)
        - 1)
}

/// The header folded for comparison, with its unit words removed:
/// "Cost (£k)" → "cost", "Revenue in thousands" → "revenue".
fn header_key(header: &str) -> String {
    let folded = fold(header);
    let mut words: Vec<&str> = folded
        .split(' ')
        .filter(|w| !w.is_empty() && !UNIT_WORDS.contains(w))
        .collect();
    if words.len() > 1 && words.last() == Some(&"in") {
        words.pop();
    }
    words.join(" ")
}

/// How strongly a column claims a field; lower is stronger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Saved,
    Exact,
    Close,
    Contains,
}

struct Claim {
    strength: Strength,
    preference: usize,
    score: f64,
    column: usize,
    field: Field,
    reason: MappingReason,
}

fn claims_for(column: usize, key: &str) -> Vec<Claim> {
    let mut claims = Vec::new();
    let key_words: Vec<&str> = key.split(' ').collect();
    for (synonym, fields) in SYNONYMS {
        let synonym_key = fold(synonym);
        let synonym_words: Vec<&str> = synonym_key.split(' ').collect();
        let (strength, score, reason) = if synonym_key == key {
            (
                Strength::Exact,
                1.0,
                MappingReason::ExactSynonym {
                    synonym: (*synonym).to_string(),
                },
            )
        } else if key.len() >= 4 && similarity(&synonym_key, key) >= CLOSE_MATCH {
            let score = similarity(&synonym_key, key);
            (
                Strength::Close,
                score,
                MappingReason::CloseMatch {
                    synonym: (*synonym).to_string(),
                    score,
                },
            )
        } else if synonym_words.len() >= 2
            && key_words
                .windows(synonym_words.len())
                .any(|w| w == synonym_words.as_slice())
        {
            (
                Strength::Contains,
                synonym_words.len() as f64 / key_words.len() as f64,
                MappingReason::ContainsSynonym {
                    synonym: (*synonym).to_string(),
                },
            )
        } else {
            continue;
        };
        // A synonym that can mean several fields yields to one that means one.
        let shared = usize::from(fields.len() > 1);
        for (i, field) in fields.iter().enumerate() {
            claims.push(Claim {
                strength,
                preference: i + shared,
                score,
                column,
                field: *field,
                reason: reason.clone(),
            });
        }
    }
    claims
}

impl ColumnMapping {
    /// Proposes a mapping for a header row read from a sheet.
    pub fn propose<S: AsRef<str>>(headers: &[S]) -> HeaderReading {
        Self::propose_with(headers, None)
    }

    /// Proposes a mapping for a new header row, keeping the fields a saved
    /// mapping gave to the same headers (matched by header, not by position).
    pub fn reapply<S: AsRef<str>>(&self, headers: &[S]) -> HeaderReading {
        Self::propose_with(headers, Some(self))
    }

    fn propose_with<S: AsRef<str>>(headers: &[S], saved: Option<&ColumnMapping>) -> HeaderReading {
        let count = headers
            .iter()
            .rposition(|h| !h.as_ref().trim().is_empty())
            .map_or(0, |last| last + 1);
        let headers: Vec<&str> = headers[..count].iter().map(|h| h.as_ref().trim()).collect();
        let saved_choices: BTreeMap<String, (Option<Field>, MappingReason)> = saved
            .map(|m| {
                m.columns
                    .iter()
                    .filter(|c| !matches!(c.reason, MappingReason::RepeatedHeader { .. }))
                    .map(|c| (header_key(&c.header), (c.field, c.reason.clone())))
                    .collect()
            })
            .unwrap_or_default();

        let mut problems = Vec::new();
        let mut columns: Vec<MappedColumn> = Vec::with_capacity(count);
        let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut claims = Vec::new();
        for (i, header) in headers.iter().enumerate() {
            let letter = column_letter(i);
            let key = header_key(header);
            let mut reason = MappingReason::NoMatch;
            let mut yearly = None;
            if header.is_empty() {
                problems.push(HeaderProblem {
                    column: Some(letter.clone()),
                    message: format!("column {letter} has no header"),
                });
                reason = MappingReason::NoHeader;
            } else if let Some(&first) = first_seen.get(&fold(header)) {
                let first_column = column_letter(first);
                problems.push(HeaderProblem {
                    column: Some(letter.clone()),
                    message: format!(
                        "column {letter} repeats the header '{header}' of column {first_column}"
                    ),
                });
                reason = MappingReason::RepeatedHeader { first_column };
            } else {
                first_seen.insert(fold(header), i);
                if let Some((field, year)) = yearly_cost(header) {
                    yearly = Some((field, year));
                    reason = MappingReason::ExactSynonym {
                        synonym: format!("{} by financial year", field.label()),
                    };
                } else {
                    match saved_choices.get(&key) {
                        Some((Some(field), saved_reason)) => claims.push(Claim {
                            strength: Strength::Saved,
                            preference: 0,
                            score: 1.0,
                            column: i,
                            field: *field,
                            reason: saved_reason.clone(),
                        }),
                        Some((None, MappingReason::ChosenByPerson)) => {
                            reason = MappingReason::ChosenByPerson;
                        }
                        _ => claims.extend(claims_for(i, &key)),
                    }
                }
            }
            columns.push(MappedColumn {
                column: letter,
                header: (*header).to_string(),
                field: yearly.map(|(f, _)| f),
                unit: yearly.map(|_| MoneyUnit::from_header(header)),
                year: yearly.map(|(_, y)| y),
                reason,
            });
        }

        claims.sort_by(|a, b| {
            (a.strength, a.preference)
                .cmp(&(b.strength, b.preference))
                .then(b.score.total_cmp(&a.score))
                .then(a.column.cmp(&b.column))
        });
        let mut holder: BTreeMap<Field, usize> = BTreeMap::new();
        for claim in claims {
            let column = &mut columns[claim.column];
            if column.field.is_some() {
                continue;
            }
            match holder.get(&claim.field) {
                None => {
                    holder.insert(claim.field, claim.column);
                    column.field = Some(claim.field);
                    column.unit = claim
                        .field
                        .is_money()
                        .then(|| MoneyUnit::from_header(&column.header));
                    column.reason = claim.reason;
                }
                Some(&by) => {
                    if column.reason == MappingReason::NoMatch {
                        column.reason = MappingReason::FieldTaken {
                            field: claim.field,
                            by_column: column_letter(by),
                        };
                    }
                }
            }
        }
        let mapping = ColumnMapping { columns };
        for field in mapping.missing(&Field::REQUIRED) {
            problems.push(HeaderProblem {
                column: None,
                message: format!(
                    "no column was recognised as the {}; choose which column holds it",
                    field.label().to_lowercase()
                ),
            });
        }
        HeaderReading { mapping, problems }
    }

    /// The column holding `field`, if any (not counting costs by year).
    pub fn column_for(&self, field: Field) -> Option<&MappedColumn> {
        self.columns
            .iter()
            .find(|c| c.field == Some(field) && c.year.is_none())
    }

    /// The zero-based position of the column holding `field`, if any (not
    /// counting costs by year).
    pub fn index_of(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.field == Some(field) && c.year.is_none())
    }

    /// Whether any column holds one financial year's capital or revenue.
    pub fn has_yearly_costs(&self) -> bool {
        self.columns.iter().any(|c| c.year.is_some())
    }

    /// The fields of `wanted` that no column holds.
    pub fn missing(&self, wanted: &[Field]) -> Vec<Field> {
        wanted
            .iter()
            .copied()
            .filter(|f| self.column_for(*f).is_none())
            .collect()
    }

    /// A person's choice for one column (by letter): a field, or none to
    /// ignore the column. Refused if another column already holds the field.
    pub fn choose(&mut self, column: &str, field: Option<Field>) -> Result<(), String> {
        let index = column_index(column)?;
        if index >= self.columns.len() {
            return Err(format!("the sheet has no column {}", column_letter(index)));
        }
        if let Some(field) = field {
            if let Some(other) = self.index_of(field).filter(|&other| other != index) {
                return Err(format!(
                    "column {} already holds the {}; clear it first",
                    column_letter(other),
                    field.label().to_lowercase()
                ));
            }
        }
        let chosen = &mut self.columns[index];
        chosen.field = field;
        chosen.unit = field.filter(|f| f.is_money()).map(|_| {
            chosen
                .unit
                .unwrap_or_else(|| MoneyUnit::from_header(&chosen.header))
        });
        chosen.reason = MappingReason::ChosenByPerson;
        chosen.year = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(headers: &[&str], header: &str) -> Option<Field> {
        let reading = ColumnMapping::propose(headers);
        reading
            .mapping
            .columns
            .iter()
            .find(|c| c.header == header)
            .and_then(|c| c.field)
    }

    fn alone(header: &str) -> Option<Field> {
        field_of(&[header], header)
    }

    #[test]
    fn column_letters_run_like_a_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        for i in [0, 25, 26, 51, 52, 701, 702, 16_383] {
            assert_eq!(column_index(&column_letter(i)), Ok(i));
        }
        assert_eq!(column_letter(16_383), "XFD", "Excel's last column");
        assert!(column_index("A1").is_err());
        assert!(column_index("").is_err());
    }

    #[test]
    fn recognises_the_synonyms_departments_use() {
        for header in [
            "Project name",
            "Scheme",
            "Initiative",
            "Project title",
            "TITLE",
        ] {
            assert_eq!(alone(header), Some(Field::Title), "{header}");
        }
        for header in ["Stage", "Status", "Lifecycle", "Phase"] {
            assert_eq!(alone(header), Some(Field::Stage), "{header}");
        }
        for header in ["Dept", "Directorate", "Service area", "Dept."] {
            assert_eq!(alone(header), Some(Field::Department), "{header}");
        }
        for header in ["RAG", "DCA", "Delivery confidence", "R.A.G. status"] {
            assert_eq!(alone(header), Some(Field::Confidence), "{header}");
        }
        for header in ["Cost (£k)", "Budget", "Indicative cost", "Total cost (£)"] {
            assert_eq!(alone(header), Some(Field::CostTotal), "{header}");
        }
        assert_eq!(alone("SRO"), Some(Field::Sponsor));
        assert_eq!(alone("Sponsor"), Some(Field::Sponsor));
        for header in ["PM", "Project manager", "Lead", "Project Manager/Lead"] {
            assert!(
                alone(header) == Some(Field::Manager),
                "{header}: {:?}",
                alone(header)
            );
        }
        assert_eq!(alone("Capital (£'000)"), Some(Field::Capital));
        assert_eq!(alone("Revenue in thousands"), Some(Field::Revenue));
        assert_eq!(alone("Start date"), Some(Field::StartDate));
        assert_eq!(alone("Go-live date"), Some(Field::EndDate));
        assert_eq!(alone("Project #"), Some(Field::Code));
        assert_eq!(alone("Health & Safety notes"), None);
    }

    #[test]
    fn money_columns_carry_their_unit() {
        let reading = ColumnMapping::propose(&["Title", "Cost (£k)", "Revenue (£m)", "Capital"]);
        let unit = |f| reading.mapping.column_for(f).and_then(|c| c.unit);
        assert_eq!(unit(Field::CostTotal), Some(MoneyUnit::Thousands));
        assert_eq!(unit(Field::Revenue), Some(MoneyUnit::Millions));
        assert_eq!(unit(Field::Capital), Some(MoneyUnit::Pounds));
        assert_eq!(reading.mapping.column_for(Field::Title).unwrap().unit, None);
    }

    #[test]
    fn phase_is_the_stage_unless_a_stage_column_exists() {
        let headers = ["Phase", "Title", "Stage"];
        assert_eq!(field_of(&headers, "Stage"), Some(Field::Stage));
        assert_eq!(field_of(&headers, "Phase"), Some(Field::Phase));
        assert_eq!(field_of(&["Title", "Phase"], "Phase"), Some(Field::Stage));
        assert_eq!(alone("GOV.UK phase"), Some(Field::Phase));
        assert_eq!(alone("Service phase"), Some(Field::Phase));
    }

    #[test]
    fn reasons_say_how_each_column_was_recognised() {
        let reading = ColumnMapping::propose(&["Projet title", "Stage", "Status", "Colour"]);
        let columns = &reading.mapping.columns;
        assert_eq!(columns[0].field, Some(Field::Title));
        assert_eq!(
            columns[0].reason.describe(),
            "close match to 'Project title' (92%)"
        );
        assert!(columns[0].reason.needs_confirming());
        assert_eq!(columns[1].reason.describe(), "exact synonym");
        assert_eq!(columns[2].field, None);
        assert_eq!(
            columns[2].reason.describe(),
            "would be stage, but column B already holds it"
        );
        assert_eq!(columns[3].reason.describe(), "not recognised");
        let contained = ColumnMapping::propose(&["Estimated total cost for 2026"]);
        assert_eq!(
            contained.mapping.columns[0].reason.describe(),
            "contains 'Total cost'"
        );
    }

    #[test]
    fn empty_and_repeated_headers_name_their_columns() {
        let mut headers: Vec<String> = vec!["Title".into(), "".into(), "Department".into()];
        headers.extend((3..27).map(|i| format!("Notes {i}")));
        headers.push("title".into());
        headers.extend(["".into(), "  ".into()]);
        let reading = ColumnMapping::propose(&headers);
        let messages: Vec<&str> = reading
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert!(messages.contains(&"column B has no header"), "{messages:?}");
        assert!(
            messages.contains(&"column AB repeats the header 'title' of column A"),
            "{messages:?}"
        );
        assert_eq!(
            reading.mapping.columns.len(),
            28,
            "trailing blanks left out"
        );
        assert_eq!(reading.mapping.columns[0].field, Some(Field::Title));
        assert_eq!(reading.mapping.columns[27].field, None);
        assert!(messages
            .contains(&"no column was recognised as the stage; choose which column holds it"));
    }

    #[test]
    fn a_saved_mapping_survives_serialisation_and_moved_columns() {
        let mut reading =
            ColumnMapping::propose(&["Scheme", "Area", "Status", "Budget £k", "Notes"]);
        reading
            .mapping
            .choose("B", Some(Field::Department))
            .unwrap();
        reading.mapping.choose("E", None).unwrap();
        assert!(reading
            .mapping
            .choose("A", Some(Field::Department))
            .unwrap_err()
            .contains("column B already holds the department"));
        let json = serde_json::to_string(&reading.mapping).unwrap();
        let saved: ColumnMapping = serde_json::from_str(&json).unwrap();
        assert_eq!(saved, reading.mapping);

        let next_month = saved.reapply(&["Notes", "Status", "Scheme", "Area", "Budget £k"]);
        let m = &next_month.mapping;
        assert_eq!(m.index_of(Field::Department), Some(3));
        assert_eq!(m.index_of(Field::Title), Some(2));
        assert_eq!(m.index_of(Field::Stage), Some(1));
        assert_eq!(
            m.column_for(Field::CostTotal).unwrap().unit,
            Some(MoneyUnit::Thousands)
        );
        assert_eq!(m.columns[0].field, None);
        assert_eq!(m.columns[0].reason, MappingReason::ChosenByPerson);
        assert!(next_month.problems.is_empty(), "{:?}", next_month.problems);
    }

    #[test]
    fn costs_by_year_columns_each_hold_their_year() {
        let reading = ColumnMapping::propose(&[
            "Register code",
            "Title",
            "Department",
            "Stage",
            "Capital 2026/27 (£)",
            "Capital 2027/28 (£)",
            "Revenue 2026/27 (£)",
            "Total cost (£)",
            "Capital budget 2026 plan",
        ]);
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        let m = &reading.mapping;
        assert_eq!(m.column_for(Field::RegisterCode).unwrap().column, "A");
        let yearly: Vec<(String, Field, String)> = m
            .columns
            .iter()
            .filter_map(|c| Some((c.column.clone(), c.field?, c.year?.to_string())))
            .collect();
        assert_eq!(
            yearly,
            vec![
                ("E".to_string(), Field::Capital, "2026/27".to_string()),
                ("F".to_string(), Field::Capital, "2027/28".to_string()),
                ("G".to_string(), Field::Revenue, "2026/27".to_string()),
            ]
        );
        assert!(m.has_yearly_costs());
        assert_eq!(m.column_for(Field::CostTotal).unwrap().column, "H");
        assert_eq!(
            yearly_cost("Capital 2026/27 (£)").map(|(f, _)| f),
            Some(Field::Capital)
        );
        assert_eq!(yearly_cost("Capital budget 2026 plan"), None);
        assert_eq!(yearly_cost("Revenue 2026/28"), None, "not a financial year");
    }
}
