//! The demo council: a deterministic fictional county council.
//!
//! Northmere County Council consolidated its departments' spreadsheets into
//! one programme of 76 projects: 28 in concept, 27 in design and 21 in
//! delivery. Everything here is computed from [`catalogue::CATALOGUE`] and a
//! fixed seed, so every run builds the same council. [`synthetic`] makes
//! larger organisations of the same shape for benchmarks.

pub mod capacity;
pub mod catalogue;
pub mod governance;
pub mod history;
pub mod raid;
pub mod scenarios;
pub mod scoring;
pub mod spreadsheets;

use crate::project::{CostDraft, ProjectDraft};
use crate::stage::Stage;
use catalogue::{CatalogueEntry, CATALOGUE};

pub const ORGANISATION_NAME: &str = "Northmere County Council";
pub const ORGANISATION_SLUG: &str = "northmere";
pub const ADMIN_EMAIL: &str = "admin@northmere.example";
pub const ADMIN_NAME: &str = "Demo Administrator";
/// A department lead of Health and Care, who submits priorities (same password as the administrator).
pub const LEAD_EMAIL: &str = "lead@northmere.example";
pub const LEAD_NAME: &str = "Demo Department Lead";
/// The department the demo lead leads (a slug of [`DEPARTMENTS`]).
pub const LEAD_DEPARTMENT: &str = "health-and-care";
/// A project manager running one Families and Communities project, the
/// first by code with a RAID item (same password as the administrator).
pub const MANAGER_EMAIL: &str = "manager@northmere.example";
pub const MANAGER_NAME: &str = "Demo Project Manager";
pub const MANAGER_DEPARTMENT: &str = "families-and-communities";
/// A member of the programme board, who decides gates (same password as the administrator).
pub const BOARD_EMAIL: &str = "board@northmere.example";
pub const BOARD_NAME: &str = "Demo Board Member";
pub const CODE_PREFIX: &str = "DP";

pub const DEPARTMENTS: [(&str, &str); 5] = [
    ("health-and-care", "Health and Care"),
    ("families-and-communities", "Families and Communities"),
    (
        "economy-infrastructure-and-skills",
        "Economy, Infrastructure and Skills",
    ),
    ("corporate-services", "Corporate Services"),
    ("public-health", "Public Health"),
];

pub const THEMES: [(&str, &str, &str); 3] = [
    (
        "smart-and-virtual-working",
        "Smart and virtual working",
        "Staff work flexibly with modern tools: Microsoft Teams for the whole organisation, cloud documents, mobile working.",
    ),
    (
        "virtual-service-delivery",
        "Virtual service delivery",
        "Residents are served online and remotely: virtual social work, streamlined assessments, self-service.",
    ),
    (
        "communities",
        "Communities connecting online",
        "Communities, voluntary groups and residents connect, find help and take part online.",
    ),
];

/// How many demo projects are at each stage, in the order they are dealt.
pub const STAGE_MIX: [(Stage, usize); 3] = [
    (Stage::Delivery, 21),
    (Stage::Design, 27),
    (Stage::Concept, 28),
];

const SPONSORS: [&str; 5] = [
    "Director of Adult Social Care",
    "Director of Children's Services",
    "Director of Economy and Infrastructure",
    "Director of Corporate Services",
    "Director of Public Health",
];

const MANAGERS: [&str; 12] = [
    "Priya Shah",
    "Tom Evans",
    "Aisha Okafor",
    "Gareth Jones",
    "Hannah Clarke",
    "Sam Whitfield",
    "Mei Lin",
    "Rhys Morgan",
    "Fatima Begum",
    "Oliver Grant",
    "Chloe Davies",
    "Daniel Novak",
];

/// A tiny deterministic generator (64-bit LCG, Knuth's constants): the demo
/// needs repeatability, not statistical quality.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn department_index(slug: &str) -> usize {
    DEPARTMENTS
        .iter()
        .position(|(s, _)| *s == slug)
        .unwrap_or(0)
}

/// The stage of each catalogue entry: a fixed shuffle dealt out by [`STAGE_MIX`].
fn demo_stages() -> Vec<Stage> {
    let mut order: Vec<usize> = (0..CATALOGUE.len()).collect();
    let mut rng = Lcg(0x4e6f_7274_686d_6572);
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut stages = vec![Stage::Concept; CATALOGUE.len()];
    let mut dealt = 0;
    for (stage, count) in STAGE_MIX {
        for &i in &order[dealt..dealt + count] {
            stages[i] = stage;
        }
        dealt += count;
    }
    stages
}

/// Builds one project draft from a catalogue entry, its stage and a generator.
fn draft(
    entry: &CatalogueEntry,
    code: String,
    title: String,
    stage: Stage,
    rng: &mut Lcg,
) -> ProjectDraft {
    // Delivery started one or two years ago; design starts this year; concept next year.
    let first_year: i32 = match stage {
        Stage::Delivery => 2024 + rng.below(2) as i32,
        Stage::Design => 2026,
        _ => 2027,
    };
    let years = 1 + entry.size as i32 / 2 + rng.below(2) as i32;
    let start_month = [4u32, 6, 9, 1][rng.below(4) as usize];
    let start_year = if start_month < 4 {
        first_year + 1
    } else {
        first_year
    };
    let end_year = first_year + years;
    let scale: i64 = match entry.size {
        1 => 2_000_000,
        2 => 8_000_000,
        3 => 30_000_000,
        _ => 120_000_000,
    };
    let costs = (0..years)
        .map(|k| {
            // Whole thousands of pounds, so figures look like budgets people set.
            let capital =
                (scale * (60 + rng.below(80) as i64) / 100 / years as i64) / 100_000 * 100_000;
            let revenue =
                (scale * (10 + rng.below(30) as i64) / 100 / years as i64) / 100_000 * 100_000;
            CostDraft {
                year: format!("{}/{:02}", first_year + k, (first_year + k + 1) % 100),
                capital_pence: capital,
                revenue_pence: revenue,
            }
        })
        .collect();
    let confidence = match stage {
        Stage::Concept if rng.below(2) == 0 => None,
        _ => Some(
            [
                "green",
                "amber_green",
                "amber_green",
                "amber",
                "amber",
                "amber_red",
                "red",
            ][rng.below(7) as usize]
                .to_string(),
        ),
    };
    let dept = department_index(entry.department);
    let mut tags = Vec::new();
    if entry.statutory {
        tags.push("statutory".to_string());
    }
    let lower = entry.title.to_lowercase();
    for (needle, tag) in [
        ("rpa", "rpa"),
        ("teams", "teams"),
        ("send", "send"),
        ("case management", "case-management"),
        ("children", "children"),
    ] {
        if lower.contains(needle) {
            tags.push(tag.to_string());
        }
    }
    let service_phase = if entry.for_residents.is_empty() {
        None
    } else {
        match stage {
            Stage::Concept => Some("discovery"),
            Stage::Design => Some("alpha"),
            Stage::Delivery => Some("beta"),
            _ => None,
        }
    };
    ProjectDraft {
        code: Some(code),
        title,
        summary: entry.summary.to_string(),
        department: entry.department.to_string(),
        themes: entry.themes.iter().map(|t| t.to_string()).collect(),
        stage: stage.as_str().to_string(),
        phase: service_phase.map(str::to_string),
        sponsor: SPONSORS[dept].to_string(),
        manager: MANAGERS[rng.below(MANAGERS.len() as u64) as usize].to_string(),
        start_date: Some(format!("{start_year}-{start_month:02}-01")),
        end_date: Some(format!("{end_year}-03-31")),
        costs,
        confidence,
        tags,
        published: !entry.for_residents.is_empty() && stage != Stage::Concept,
        residents: entry.for_residents.to_string(),
    }
}

/// The demo council's 76 projects, DP-001 to DP-076, always the same.
pub fn projects() -> Vec<ProjectDraft> {
    let stages = demo_stages();
    let mut rng = Lcg(2020);
    CATALOGUE
        .iter()
        .zip(stages)
        .enumerate()
        .map(|(i, (entry, stage))| {
            draft(
                entry,
                format!("{CODE_PREFIX}-{:03}", i + 1),
                entry.title.to_string(),
                stage,
                &mut rng,
            )
        })
        .collect()
}

/// `n` projects for a large organisation, the demo's catalogue repeated with
/// numbered titles; stages follow the demo's mix. Deterministic for a seed.
pub fn synthetic(n: usize, seed: u64) -> Vec<ProjectDraft> {
    let stages = demo_stages();
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| {
            let k = i % CATALOGUE.len();
            let entry = &CATALOGUE[k];
            let round = i / CATALOGUE.len();
            let title = if round == 0 {
                entry.title.to_string()
            } else {
                format!("{} (phase {})", entry.title, round + 1)
            };
            draft(
                entry,
                format!("{CODE_PREFIX}-{:05}", i + 1),
                title,
                stages[k],
                &mut rng,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organisation::{Department, Theme};
    use crate::project::Reference;

    fn reference() -> (Vec<Department>, Vec<Theme>) {
        let d = DEPARTMENTS
            .iter()
            .enumerate()
            .map(|(i, (slug, name))| Department {
                id: i as i64 + 1,
                slug: slug.to_string(),
                name: name.to_string(),
            })
            .collect();
        let t = THEMES
            .iter()
            .enumerate()
            .map(|(i, (slug, name, description))| Theme {
                id: i as i64 + 1,
                slug: slug.to_string(),
                name: name.to_string(),
                description: description.to_string(),
            })
            .collect();
        (d, t)
    }

    #[test]
    fn the_demo_programme_is_28_27_21() {
        let projects = projects();
        assert_eq!(projects.len(), 76);
        let count = |s: &str| projects.iter().filter(|p| p.stage == s).count();
        assert_eq!(
            (count("concept"), count("design"), count("delivery")),
            (28, 27, 21)
        );
    }

    #[test]
    fn every_demo_project_validates_and_is_deterministic() {
        let (d, t) = reference();
        let reference = Reference {
            departments: &d,
            themes: &t,
        };
        for p in projects() {
            p.validate(&reference)
                .unwrap_or_else(|e| panic!("{}: {e}", p.title));
        }
        assert_eq!(projects(), projects());
        let codes: std::collections::BTreeSet<_> = projects().into_iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), 76);
    }

    #[test]
    fn synthetic_organisations_scale() {
        let (d, t) = reference();
        let reference = Reference {
            departments: &d,
            themes: &t,
        };
        let many = synthetic(1000, 7);
        assert_eq!(many.len(), 1000);
        assert!(many.iter().all(|p| p.validate(&reference).is_ok()));
        assert_eq!(many[999].code.as_deref(), Some("DP-01000"));
    }
}
