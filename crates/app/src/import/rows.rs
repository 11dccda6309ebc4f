//! Turning a sheet's rows into project drafts, or into problems naming the cell.
//!
//! Headers are mapped with the domain's [`ColumnMapping`] (and a person's
//! [`MappingFile`] on top); each mapped cell goes through the domain's money,
//! date and option parsers; the draft is validated as a form would be.
//!
//! Rules worth knowing:
//! - Department, stage, delivery confidence and themes must name one of the
//!   organisation's options (ignoring case, punctuation and "&"/"and"). A
//!   near miss ("In delivery") is reported as a problem with its suggestion,
//!   not applied: a wrong guess files a project in the wrong place, so a
//!   person corrects the cell.
//! - Costs: one cost line per row. Its year is the "Financial year" column's,
//!   else the financial year of the start date, else the current financial
//!   year. Capital and revenue columns fill their halves; when neither holds
//!   an amount, a single cost column counts as capital unless its header says
//!   "revenue".
//! - The row key, which finds the row again on a re-import, is the row's own
//!   code or ID column when one is mapped (`code:HC-12`), else its title
//!   lower-cased with punctuation and repeated spaces removed
//!   (`title:teams rollout`). The ID is not used as the project's code: the
//!   register numbers projects itself, and departments' IDs clash.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use portfolio_domain::consolidate::cell::CellValue;
use portfolio_domain::consolidate::columns::{ColumnMapping, Field, MappedColumn, MappingReason};
use portfolio_domain::consolidate::dates::{date_from_excel_serial, parse_date};
use portfolio_domain::consolidate::matching::{match_option, OptionMatch};
use portfolio_domain::consolidate::money::{money_from_number, parse_money, MoneyUnit};
use portfolio_domain::project::{CostDraft, Reference};
use portfolio_domain::{
    DeliveryConfidence, FinancialYear, Money, ProjectDraft, ProjectInput, Stage, ValidationErrors,
};
use serde::{Deserialize, Serialize};

use super::read::{Cell, DataRow, Sheet};
use super::{ImportProblem, ValueSuggestion};
use crate::OrganisationReference;

/// A person's choice of field per header, and of option per near-miss value,
/// from a JSON or TOML file, a saved mapping or the import page:
/// `{"columns": {"Scheme": "title", "Notes": "ignore"},
///   "values": {"department": {"Health & Care": "health-social-care"}}}` or
/// `[columns]` / `"Scheme" = "title"` and `[values.department]` /
/// `"Health & Care" = "health-social-care"`. Field names are the register's
/// (title, department, stage, cost_total, capital, start_date…); a value is
/// confirmed as an option's key (a department's or theme's slug, a stage's or
/// delivery confidence's name such as `delivery` or `amber`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappingFile {
    choices: BTreeMap<String, Option<Field>>,
    values: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct MappingText {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The fields whose cells name one of the organisation's options, and so may
/// have confirmed values.
const VALUE_FIELDS: [Field; 4] = [
    Field::Department,
    Field::Stage,
    Field::Confidence,
    Field::Themes,
];

/// A value as confirmed values are keyed: lower case, single spaces.
fn value_key(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl MappingFile {
    /// Reads a mapping file's text; `name` ending in `.toml` is TOML, else JSON.
    pub fn parse(name: &str, text: &str) -> Result<MappingFile, String> {
        let parsed: MappingText = if name.to_lowercase().ends_with(".toml") {
            toml::from_str(text).map_err(|e| format!("is not a valid TOML mapping: {e}"))?
        } else {
            serde_json::from_str(text).map_err(|e| format!("is not a valid JSON mapping: {e}"))?
        };
        let mut choices = BTreeMap::new();
        for (header, field) in parsed.columns {
            let wanted = field.trim().to_lowercase();
            let chosen = if wanted == "ignore" || wanted.is_empty() {
                None
            } else {
                let found = Field::ALL.into_iter().find(|f| f.as_str() == wanted);
                match found {
                    Some(f) => Some(f),
                    None => {
                        let names: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
                        return Err(format!(
                            "maps '{header}' to '{field}', which is not a field; use one of {} or ignore",
                            names.join(", ")
                        ));
                    }
                }
            };
            choices.insert(header.trim().to_lowercase(), chosen);
        }
        let mut values = BTreeMap::new();
        for (field, confirmed) in parsed.values {
            let wanted = field.trim().to_lowercase();
            if !VALUE_FIELDS.iter().any(|f| f.as_str() == wanted) {
                let names: Vec<&str> = VALUE_FIELDS.iter().map(|f| f.as_str()).collect();
                return Err(format!(
                    "confirms values of '{field}'; values can be confirmed only for {}",
                    names.join(", ")
                ));
            }
            let entry: &mut BTreeMap<String, String> = values.entry(wanted).or_default();
            for (value, key) in confirmed {
                entry.insert(value_key(&value), key.trim().to_string());
            }
        }
        Ok(MappingFile { choices, values })
    }

    /// The mapping as JSON, as [`MappingFile::parse`] reads it.
    pub fn to_json(&self) -> String {
        let text = MappingText {
            columns: self
                .choices
                .iter()
                .map(|(h, f)| (h.clone(), f.map_or("ignore", Field::as_str).to_string()))
                .collect(),
            values: self.values.clone(),
        };
        serde_json::to_string(&text).unwrap_or_else(|_| "{}".into())
    }

    /// Chooses the field of the column headed `header` (`None`: ignore it).
    pub fn set_column(&mut self, header: &str, field: Option<Field>) {
        self.choices.insert(header.trim().to_lowercase(), field);
    }

    /// The field chosen for a header, if the mapping says.
    pub fn column(&self, header: &str) -> Option<Option<Field>> {
        self.choices.get(&header.trim().to_lowercase()).copied()
    }

    /// Confirms that `value` in a `field` column means the option `key`.
    pub fn confirm_value(&mut self, field: &str, value: &str, key: &str) -> Result<(), String> {
        if !VALUE_FIELDS.iter().any(|f| f.as_str() == field) {
            return Err(format!("values of '{field}' cannot be confirmed"));
        }
        self.values
            .entry(field.to_string())
            .or_default()
            .insert(value_key(value), key.to_string());
        Ok(())
    }

    /// The confirmed values, by field name and value.
    pub fn confirmed_values(&self) -> &BTreeMap<String, BTreeMap<String, String>> {
        &self.values
    }

    /// The option a value was confirmed as, if it was.
    fn confirmed(&self, field: Field, value: &str) -> Option<&str> {
        self.values
            .get(field.as_str())
            .and_then(|m| m.get(&value_key(value)))
            .map(String::as_str)
    }

    /// Whether the mapping says nothing at all.
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty() && self.values.values().all(BTreeMap::is_empty)
    }
}

/// Where problems in one sheet are reported.
pub(crate) struct SheetPlace<'a> {
    pub file: &'a str,
    pub sheet: Option<&'a str>,
}

impl SheetPlace<'_> {
    pub fn problem(
        &self,
        row: Option<u32>,
        column: Option<&MappedColumn>,
        value: Option<String>,
        reason: impl Into<String>,
    ) -> ImportProblem {
        ImportProblem {
            file: self.file.to_string(),
            sheet: self.sheet.map(str::to_string),
            row,
            column: column.map(|c| c.column.clone()),
            header: column.map(|c| c.header.clone()),
            value,
            reason: reason.into(),
            suggestion: None,
        }
    }
}

/// The mapping of a sheet's headers, with the problems that stop its import.
pub(crate) fn map_headers(
    sheet: &Sheet,
    place: &SheetPlace<'_>,
    file_mapping: Option<&MappingFile>,
) -> (ColumnMapping, Vec<ImportProblem>) {
    let mut mapping = ColumnMapping::propose(&sheet.headers).mapping;
    if let Some(file) = file_mapping {
        let chosen: Vec<(String, Option<Field>)> = mapping
            .columns
            .iter()
            .filter_map(|c| {
                file.choices
                    .get(&c.header.trim().to_lowercase())
                    .map(|f| (c.column.clone(), *f))
            })
            .collect();
        // Free the fields the file gives to other columns first.
        for (letter, field) in &chosen {
            if let Some(field) = field {
                if let Some(other) = mapping.column_for(*field).map(|c| c.column.clone()) {
                    if &other != letter {
                        let _ = mapping.choose(&other, None);
                    }
                }
            }
        }
        for (letter, field) in chosen {
            let _ = mapping.choose(&letter, field);
        }
    }
    let mut problems = Vec::new();
    for (i, column) in mapping.columns.iter().enumerate() {
        match &column.reason {
            MappingReason::RepeatedHeader { first_column } => problems.push(place.problem(
                Some(1),
                Some(column),
                None,
                format!(
                    "repeats the header of column {first_column}; give each column its own header"
                ),
            )),
            MappingReason::NoHeader
                if sheet
                    .rows
                    .iter()
                    .any(|r| r.cells.get(i).is_some_and(|c| !c.is_empty())) =>
            {
                problems.push(place.problem(
                    Some(1),
                    Some(column),
                    None,
                    "has values but no header; give the column a header",
                ))
            }
            _ => {}
        }
    }
    for field in mapping.missing(&Field::REQUIRED) {
        problems.push(place.problem(
            Some(1),
            None,
            None,
            format!(
                "no column holds the {}; name a column for it in the header or in a mapping file",
                field.label().to_lowercase()
            ),
        ));
    }
    (mapping, problems)
}

/// What rows are checked against.
pub(crate) struct RowRules<'a> {
    pub reference: &'a OrganisationReference,
    pub today: NaiveDate,
    /// The person's mapping, whose confirmed values settle near misses.
    pub mapping: Option<&'a MappingFile>,
    /// The organisation's options, prepared once for every row.
    pub options: &'a RowOptions,
}

/// One field's options: (key, label) pairs, and each label folded for an exact match.
pub(crate) struct Options {
    pairs: Vec<(String, String)>,
    exact: HashMap<String, String>,
}

impl Options {
    fn new(pairs: Vec<(String, String)>) -> Options {
        let exact = pairs
            .iter()
            .map(|(k, l)| (portfolio_domain::consolidate::fold(l), k.clone()))
            .collect();
        Options { pairs, exact }
    }
}

/// The organisation's departments, stages, delivery confidences and themes,
/// as cells are matched to them.
pub(crate) struct RowOptions {
    departments: Options,
    stages: Options,
    confidences: Options,
    themes: Options,
}

impl RowOptions {
    pub fn new(reference: &OrganisationReference) -> RowOptions {
        RowOptions {
            departments: Options::new(
                reference
                    .departments
                    .iter()
                    .flat_map(|d| {
                        [
                            (d.slug.clone(), d.name.clone()),
                            (d.slug.clone(), d.slug.clone()),
                        ]
                    })
                    .collect(),
            ),
            stages: Options::new(
                Stage::ALL
                    .iter()
                    .flat_map(|s| {
                        [
                            (s.as_str().to_string(), s.label().to_string()),
                            (s.as_str().to_string(), s.as_str().to_string()),
                        ]
                    })
                    .collect(),
            ),
            confidences: Options::new(
                DeliveryConfidence::ALL
                    .iter()
                    .map(|c| (c.as_str().to_string(), c.label().to_string()))
                    .collect(),
            ),
            themes: Options::new(
                reference
                    .themes
                    .iter()
                    .flat_map(|t| {
                        [
                            (t.slug.clone(), t.name.clone()),
                            (t.slug.clone(), t.slug.clone()),
                        ]
                    })
                    .collect(),
            ),
        }
    }
}

/// A row read into a validated project, and its key.
pub(crate) struct ReadRow {
    pub input: ProjectInput,
    pub row_key: String,
}

/// Why a cell matched none of the options, and the near miss to confirm, if any.
struct Unmatched {
    reason: String,
    suggestion: Option<ValueSuggestion>,
}

/// Matches a cell to an option (keyed by its name or slug): exactly, or as
/// the person confirmed it; a near miss is a problem with its suggestion.
fn choose(
    value: &str,
    field: Field,
    what: &str,
    options: &Options,
    rules: &RowRules<'_>,
) -> Result<String, Unmatched> {
    if let Some(key) = options
        .exact
        .get(&portfolio_domain::consolidate::fold(value))
    {
        return Ok(key.clone());
    }
    if let Some(key) = rules.mapping.and_then(|m| m.confirmed(field, value)) {
        if options.pairs.iter().any(|(k, _)| k == key) {
            return Ok(key.to_string());
        }
    }
    let borrowed: Vec<(String, &str)> = options
        .pairs
        .iter()
        .map(|(k, l)| (k.clone(), l.as_str()))
        .collect();
    match match_option(value, &borrowed) {
        Ok(OptionMatch::Exact(key)) => Ok(key),
        Ok(OptionMatch::Suggestion {
            key, label, reason, ..
        }) => Err(Unmatched {
            reason: format!(
                "is not exactly a {what}; did you mean '{label}' ({reason})? Confirm the suggestion or correct the cell"
            ),
            suggestion: Some(ValueSuggestion {
                field: field.as_str().to_string(),
                value: value.trim().to_string(),
                key,
                label,
            }),
        }),
        Err(reason) => Err(Unmatched {
            reason: format!("is not a {what}: {reason}"),
            suggestion: None,
        }),
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split([';', ',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A title as a row key: lower case, letters and digits, single spaces.
fn title_key(title: &str) -> String {
    let lower = title.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

fn money_of(cell: &Cell, unit: MoneyUnit) -> Result<Option<Money>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(n) => money_from_number(*n, unit).map(Some),
        Cell::Text(s) => parse_money(s, unit).map(CellValue::known),
        Cell::Error(e) => Err(format!("is the spreadsheet error {e}")),
        Cell::Bool(_) | Cell::Date(_) => Err("is not an amount of money".into()),
    }
}

fn date_of(cell: &Cell, year_start_month: u32) -> Result<Option<NaiveDate>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Number(n) => date_from_excel_serial(*n).map(Some),
        Cell::Text(s) => parse_date(s, year_start_month).map(CellValue::known),
        Cell::Error(e) => Err(format!("is the spreadsheet error {e}")),
        Cell::Bool(_) => Err("is not a date".into()),
    }
}

fn bool_of(cell: &Cell) -> Result<bool, String> {
    match cell {
        Cell::Empty => Ok(false),
        Cell::Bool(b) => Ok(*b),
        other => match other.text().trim().to_lowercase().as_str() {
            "" | "no" | "n" | "false" | "0" => Ok(false),
            "yes" | "y" | "true" | "1" => Ok(true),
            _ => Err("is not yes or no".into()),
        },
    }
}

/// The column a validation error's field names.
fn field_of_error(field: &str) -> Vec<Field> {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    match head {
        "code" => vec![Field::RegisterCode, Field::Code],
        "residents" => vec![Field::Residents],
        "title" => vec![Field::Title],
        "summary" => vec![Field::Summary],
        "department" => vec![Field::Department],
        "themes" => vec![Field::Themes],
        "stage" => vec![Field::Stage],
        "phase" => vec![Field::Phase],
        "sponsor" => vec![Field::Sponsor],
        "manager" => vec![Field::Manager],
        "start_date" => vec![Field::StartDate],
        "end_date" => vec![Field::EndDate],
        "costs" => vec![
            Field::Capital,
            Field::Revenue,
            Field::CostTotal,
            Field::FinancialYear,
        ],
        "confidence" => vec![Field::Confidence],
        "tags" => vec![Field::Tags],
        _ => Vec::new(),
    }
}

/// Problems from validation errors, each placed on the column it concerns.
pub(crate) fn validation_problems(
    errors: &ValidationErrors,
    row: &DataRow,
    mapping: &ColumnMapping,
    place: &SheetPlace<'_>,
) -> Vec<ImportProblem> {
    errors
        .0
        .iter()
        .map(|e| {
            let column = field_of_error(&e.field)
                .into_iter()
                .find_map(|f| mapping.column_for(f));
            let value = column.and_then(|c| {
                mapping
                    .columns
                    .iter()
                    .position(|m| m.column == c.column)
                    .and_then(|i| row.cells.get(i))
                    .map(Cell::text)
            });
            place.problem(Some(row.number), column, value, e.message.clone())
        })
        .collect()
}

/// A row's cells by the field their column holds (a field per slot).
#[derive(Default)]
struct FieldCells<'a>([Option<(&'a MappedColumn, &'a Cell)>; Field::ALL.len()]);

impl<'a> FieldCells<'a> {
    fn insert(&mut self, field: Field, value: (&'a MappedColumn, &'a Cell)) {
        self.0[field as usize] = Some(value);
    }

    fn get(&self, field: &Field) -> Option<&(&'a MappedColumn, &'a Cell)> {
        self.0[*field as usize].as_ref()
    }
}

/// Reads one row into a validated project, or every problem it has.
pub(crate) fn read_row(
    row: &DataRow,
    mapping: &ColumnMapping,
    place: &SheetPlace<'_>,
    rules: &RowRules<'_>,
) -> Result<ReadRow, Vec<ImportProblem>> {
    let reference = rules.reference;
    let year_start = reference.organisation.financial_year_start_month;
    let mut problems = Vec::new();
    let mut draft = ProjectDraft::default();
    let mut cells = FieldCells::default();
    // (year, capital, revenue) from the cost-by-year columns, in column order.
    let mut yearly: Vec<(&MappedColumn, &Cell)> = Vec::new();
    for (i, column) in mapping.columns.iter().enumerate() {
        if let (Some(field), Some(cell)) = (column.field, row.cells.get(i)) {
            if column.year.is_some() {
                yearly.push((column, cell));
            } else {
                cells.insert(field, (column, cell));
            }
        }
    }
    let text = |field: Field| -> String {
        cells
            .get(&field)
            .map(|(_, c)| c.text().trim().to_string())
            .unwrap_or_default()
    };
    let mut fail = |field: Field, reason: String, suggestion: Option<ValueSuggestion>| {
        let (column, cell) = match cells.get(&field) {
            Some((column, cell)) => (Some(*column), Some(cell.text())),
            None => (mapping.column_for(field), None),
        };
        let mut problem = place.problem(Some(row.number), column, cell, reason);
        problem.suggestion = suggestion;
        problems.push(problem);
    };

    draft.title = text(Field::Title);
    draft.summary = text(Field::Summary);
    draft.sponsor = text(Field::Sponsor);
    draft.manager = text(Field::Manager);
    draft.tags = split_list(&text(Field::Tags));
    draft.residents = text(Field::Residents);

    let department = text(Field::Department);
    if department.is_empty() {
        fail(
            Field::Department,
            "is empty; every project needs a department".into(),
            None,
        );
    } else {
        match choose(
            &department,
            Field::Department,
            "department of this organisation",
            &rules.options.departments,
            rules,
        ) {
            Ok(slug) => draft.department = slug,
            Err(e) => fail(Field::Department, e.reason, e.suggestion),
        }
    }

    let stage = text(Field::Stage);
    if stage.is_empty() {
        fail(
            Field::Stage,
            "is empty; every project needs a stage".into(),
            None,
        );
    } else {
        match Stage::parse(&stage) {
            Ok(s) => draft.stage = s.as_str().to_string(),
            Err(_) => match choose(&stage, Field::Stage, "stage", &rules.options.stages, rules) {
                Ok(key) => draft.stage = key,
                Err(e) => fail(Field::Stage, e.reason, e.suggestion),
            },
        }
    }

    let confidence = text(Field::Confidence);
    if !confidence.is_empty() && !portfolio_domain::consolidate::cell::is_not_known(&confidence) {
        match DeliveryConfidence::parse(&confidence) {
            Ok(c) => draft.confidence = Some(c.as_str().to_string()),
            Err(_) => match choose(
                &confidence,
                Field::Confidence,
                "delivery confidence",
                &rules.options.confidences,
                rules,
            ) {
                Ok(key) => draft.confidence = Some(key),
                Err(e) => fail(Field::Confidence, e.reason, e.suggestion),
            },
        }
    }

    let phase = text(Field::Phase);
    if !phase.is_empty() && !portfolio_domain::consolidate::cell::is_not_known(&phase) {
        draft.phase = Some(phase);
    }

    for theme in split_list(&text(Field::Themes)) {
        match choose(
            &theme,
            Field::Themes,
            "theme of this organisation",
            &rules.options.themes,
            rules,
        ) {
            Ok(slug) => draft.themes.push(slug),
            Err(e) => fail(
                Field::Themes,
                format!("'{theme}' {}", e.reason),
                e.suggestion,
            ),
        }
    }

    let mut dates = [None, None];
    for (slot, field) in [Field::StartDate, Field::EndDate].into_iter().enumerate() {
        if let Some((_, cell)) = cells.get(&field) {
            match date_of(cell, year_start) {
                Ok(d) => dates[slot] = d,
                Err(reason) => fail(field, reason, None),
            }
        }
    }
    draft.start_date = dates[0].map(|d| d.to_string());
    draft.end_date = dates[1].map(|d| d.to_string());

    if let Some((_, cell)) = cells.get(&Field::Published) {
        match bool_of(cell) {
            Ok(b) => draft.published = b,
            Err(reason) => fail(Field::Published, reason, None),
        }
    }

    let mut amounts: HashMap<Field, Money> = HashMap::new();
    for field in [Field::Capital, Field::Revenue, Field::CostTotal] {
        if let Some((column, cell)) = cells.get(&field) {
            match money_of(cell, column.unit.unwrap_or_default()) {
                Ok(Some(m)) => {
                    amounts.insert(field, m);
                }
                Ok(None) => {}
                Err(reason) => fail(field, reason, None),
            }
        }
    }
    // A sheet with costs by financial year reads its costs from those
    // columns only: a total beside them is their sum, not another cost.
    let mut yearly_problems = Vec::new();
    let mut by_year: BTreeMap<FinancialYear, (Option<Money>, Option<Money>)> = BTreeMap::new();
    for (column, cell) in &yearly {
        let (Some(field), Some(year)) = (column.field, column.year) else {
            continue;
        };
        match money_of(cell, column.unit.unwrap_or_default()) {
            Ok(Some(m)) => {
                let entry = by_year.entry(year).or_default();
                if field == Field::Capital {
                    entry.0 = Some(m);
                } else {
                    entry.1 = Some(m);
                }
            }
            Ok(None) => {}
            Err(reason) => yearly_problems.push(place.problem(
                Some(row.number),
                Some(*column),
                Some(cell.text()),
                reason,
            )),
        }
    }
    if mapping.has_yearly_costs() {
        amounts.clear();
        for (year, (capital, revenue)) in &by_year {
            draft.costs.push(CostDraft {
                year: year.to_string(),
                capital_pence: capital.map_or(0, |m| m.pence()),
                revenue_pence: revenue.map_or(0, |m| m.pence()),
            });
        }
    }
    let (capital, revenue) =
        if amounts.contains_key(&Field::Capital) || amounts.contains_key(&Field::Revenue) {
            (
                amounts.get(&Field::Capital).copied(),
                amounts.get(&Field::Revenue).copied(),
            )
        } else {
            let total = amounts.get(&Field::CostTotal).copied();
            let is_revenue = cells
                .get(&Field::CostTotal)
                .is_some_and(|(c, _)| c.header.to_lowercase().contains("revenue"));
            if is_revenue {
                (None, total)
            } else {
                (total, None)
            }
        };
    if capital.is_some() || revenue.is_some() {
        let year_text = text(Field::FinancialYear);
        let year = if year_text.is_empty()
            || portfolio_domain::consolidate::cell::is_not_known(&year_text)
        {
            Ok(FinancialYear::containing(
                dates[0].unwrap_or(rules.today),
                year_start,
            ))
        } else {
            FinancialYear::parse(&year_text)
        };
        match year {
            Ok(year) => draft.costs.push(CostDraft {
                year: year.to_string(),
                capital_pence: capital.map_or(0, |m| m.pence()),
                revenue_pence: revenue.map_or(0, |m| m.pence()),
            }),
            Err(reason) => fail(Field::FinancialYear, reason, None),
        }
    }

    let register_code = text(Field::RegisterCode);
    let code = text(Field::Code);
    let row_key = if !register_code.is_empty() {
        draft.code = Some(register_code.clone());
        format!("register:{}", register_code.to_uppercase())
    } else if code.is_empty() {
        format!("title:{}", title_key(&draft.title))
    } else {
        format!("code:{}", code.to_uppercase())
    };

    problems.extend(yearly_problems);
    if !problems.is_empty() {
        // Validation would only repeat what the cells already said.
        return Err(problems);
    }
    let checked = draft.validate(&Reference {
        departments: &reference.departments,
        themes: &reference.themes,
    });
    match checked {
        Ok(input) => Ok(ReadRow { input, row_key }),
        Err(errors) => Err(validation_problems(&errors, row, mapping, place)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_files_read_json_and_toml() {
        let json = MappingFile::parse(
            "m.json",
            r#"{"columns": {"Scheme": "title", "Notes": "ignore"}}"#,
        )
        .unwrap();
        let toml = MappingFile::parse(
            "m.toml",
            "[columns]\n\"Scheme\" = \"title\"\n\"Notes\" = \"ignore\"\n",
        )
        .unwrap();
        assert_eq!(json, toml);
        let bad = MappingFile::parse("m.json", r#"{"columns": {"Scheme": "name"}}"#).unwrap_err();
        assert!(bad.contains("'name', which is not a field"), "{bad}");
    }

    #[test]
    fn title_keys_ignore_case_and_punctuation() {
        assert_eq!(title_key("  Teams  roll-out!"), "teams roll out");
    }
}
