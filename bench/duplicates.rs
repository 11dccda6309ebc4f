//! Benchmark of the duplicate search: 10,000 generated register entries with
//! planted pairs, written in different words, as departments' spreadsheets
//! describe the same work.
//!
//!     cargo run --release -p portfolio-domain --example duplicates-bench -- [OUT_DIR]
//!
//! Prints one `RESULT` line: the time `find_duplicates` takes (generation not
//! included), the recall of the planted pairs, and how many candidates it
//! returned. With `OUT_DIR`, also writes the entries (`entries.csv`) and the
//! planted pairs (`planted.csv`) there, for `bench/duplicates_rapidfuzz.py`
//! to search the same register. Everything is generated from a fixed seed:
//! every run sees the same 10,000 entries.
//!
//! Env knobs: `ENTRIES` (default 10000) and `PLANTED` (default 500).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate};
use portfolio_domain::consolidate::duplicates::{find_duplicates, DuplicateSettings, Entry};
use portfolio_domain::Money;

/// SplitMix64: a small deterministic generator, so every run sees the same register.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The service areas projects are about.
const AREAS: [&str; 60] = [
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
    "human resources",
    "information technology",
    "building control",
    "environmental health",
    "garden waste",
    "fly-tipping",
    "housing benefit",
    "social housing allocations",
    "tenancy management",
    "occupational therapy",
    "reablement",
    "early help",
    "safeguarding referrals",
    "youth services",
    "adult learning",
    "land charges",
    "street cleansing",
    "grounds maintenance",
    "fleet management",
    "property maintenance",
];

/// What a project builds or buys.
const OBJECTS: [&str; 40] = [
    "case management system",
    "online booking",
    "customer portal",
    "mobile app",
    "data warehouse",
    "document management system",
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
    "appointments system",
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
    "route optimisation",
    "sensor network",
    "rostering system",
    "eligibility checker",
    "referral form",
    "complaints tracker",
    "finance system",
    "data sharing agreement",
    "audit trail",
    "notifications service",
];

/// What is done to it.
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

/// How a twin says the same action as a verb.
const ACTION_VERBS: [(&str, &[&str]); 12] = [
    ("replacement", &["replace", "replacing"]),
    ("upgrade", &["upgrading", "upgraded"]),
    ("procurement", &["procure", "procuring"]),
    ("rollout", &["rollout", "rolling out"]),
    ("pilot", &["piloting", "pilots"]),
    ("migration", &["migrate", "migrating"]),
    ("review", &["reviewing", "reviews"]),
    ("redesign", &["redesigning", "redesigned"]),
    ("implementation", &["implement", "implementing"]),
    ("discovery", &["discovery work on", "discovery for"]),
    ("expansion", &["expand", "expanding"]),
    ("consolidation", &["consolidate", "consolidating"]),
];

/// Shortenings a second department writes, as in the councils' own sheets.
const SHORTENINGS: [(&str, &str); 14] = [
    ("management", "mgmt"),
    ("system", "sys"),
    ("children's social care", "CSC"),
    ("adult social care", "ASC"),
    ("customer relationship management", "CRM"),
    ("robotic process automation", "RPA"),
    ("information technology", "IT"),
    ("human resources", "HR"),
    ("application", "app"),
    ("development", "dev"),
    ("information", "info"),
    ("special educational needs", "SEND"),
    ("technology", "tech"),
    (" and ", " & "),
];

/// Other words for the same thing, which only a person knows are the same.
const SYNONYMS: [(&str, &str); 10] = [
    ("online booking", "booking system"),
    ("customer portal", "resident portal"),
    ("mobile app", "smartphone app"),
    ("data warehouse", "data platform"),
    ("chatbot", "virtual assistant"),
    ("telephony", "phone system"),
    ("web chat", "live chat"),
    ("text reminders", "SMS reminders"),
    ("optimisation", "optimization"),
    ("digitisation", "digitization"),
];

/// Made-up product and place names, such as real titles carry ("Mosaic", "Northmere").
const SYLLABLES: [&str; 32] = [
    "kes", "tor", "mer", "vale", "wick", "ash", "brook", "lin", "dar", "hol", "pen", "ford", "sel",
    "mor", "tan", "rid", "quin", "bar", "lo", "nes", "cal", "dun", "fel", "gar", "nor", "ing",
    "ley", "ton", "ham", "stead", "by", "worth",
];

/// Each department as its own sheet writes it, then as others write it.
const DEPARTMENTS: [&[&str]; 8] = [
    &[
        "Adults and Health",
        "Adults & Health",
        "ADULTS AND HEALTH",
        "adults-and-health",
    ],
    &[
        "Children's Services",
        "Childrens Services",
        "Children and Families",
        "childrens-services",
    ],
    &[
        "Place",
        "Place Directorate",
        "PLACE",
        "Environment and Place",
    ],
    &[
        "Resources",
        "Corporate Resources",
        "resources",
        "Finance and Resources",
    ],
    &[
        "Housing",
        "Housing Services",
        "Housing & Communities",
        "housing",
    ],
    &[
        "Public Health",
        "Public health",
        "Health Protection",
        "public-health",
    ],
    &[
        "Customer Services",
        "Customer & Digital",
        "Customer services",
        "customer-services",
    ],
    &[
        "Economy and Growth",
        "Growth",
        "Economy & Growth",
        "economy-and-growth",
    ],
];

const THEMES: [&str; 6] = [
    "smart-working",
    "communities",
    "net-zero",
    "customer-experience",
    "data-and-insight",
    "savings",
];

/// The parts a title is built from, so that a twin can say them differently.
#[derive(Clone)]
struct Idea {
    name: Option<String>,
    area: &'static str,
    object: &'static str,
    action: &'static str,
    department: usize,
}

fn proper_name(random: &mut Random) -> String {
    let syllables = 2 + random.below(2);
    let word: String = (0..syllables).map(|_| random.pick(&SYLLABLES)).collect();
    let mut letters = word.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => word,
    }
}

fn capitalised(text: &str) -> String {
    let mut letters = text.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

/// The title as the first department writes it.
fn original_title(idea: &Idea, random: &mut Random) -> String {
    let Idea {
        area,
        object,
        action,
        ..
    } = idea;
    let body = match random.below(4) {
        0 => format!("{area} {object} {action}"),
        1 => format!("{action} of the {area} {object}"),
        2 => format!("{object} {action} for {area}"),
        _ => format!("{area}: {object} {action}"),
    };
    match &idea.name {
        Some(name) => format!("{name} {body}"),
        None => capitalised(&body),
    }
}

/// The same work as another department writes it: other words for the
/// action, shortenings, another word order, words added or left out, and
/// now and then a synonym.
fn twin_title(idea: &Idea, random: &mut Random) -> String {
    let verbs = ACTION_VERBS
        .iter()
        .find(|(action, _)| *action == idea.action)
        .map_or(&[][..], |(_, verbs)| *verbs);
    let action = if !verbs.is_empty() && random.chance(60) {
        verbs[random.below(verbs.len())].to_string()
    } else {
        idea.action.to_string()
    };
    let (area, object) = (idea.area, idea.object);
    let mut body = match random.below(5) {
        0 => format!("{action} {area} {object}"),
        1 => format!("{object} ({area}) - {action}"),
        2 => format!("{area} {object} {action}"),
        3 => format!("{action} the {object} used by {area}"),
        _ => format!("{area} team: {action} {object}"),
    };
    for (long, short) in SHORTENINGS {
        if body.contains(long) && random.chance(50) {
            body = body.replace(long, short);
        }
    }
    if random.chance(15) {
        let (word, other) = SYNONYMS[random.below(SYNONYMS.len())];
        body = body.replace(word, other);
    }
    let mut title = match (&idea.name, random.below(3)) {
        (Some(name), 0) => format!("{body} ({name})"),
        (Some(name), 1) => format!("{name} - {body}"),
        _ => body,
    };
    match random.below(6) {
        0 => title = format!("Digital {title}"),
        1 => title.push_str(" phase 2"),
        2 => title.push_str(" - business case"),
        3 => title.push_str(" programme"),
        _ => {}
    }
    capitalised(&title)
}

/// A description as a department writes one, or none (half of them).
fn summary(idea: &Idea, random: &mut Random) -> String {
    if random.chance(50) {
        return String::new();
    }
    let Idea {
        area,
        object,
        action,
        ..
    } = idea;
    match random.below(4) {
        0 => format!("The {object} used by {area} staff is out of support; this {action} keeps the service running."),
        1 => format!("{} of the {object} so that residents can deal with {area} online.", capitalised(action)),
        2 => format!("Business case for the {area} {object}, covering {action} and training."),
        _ => format!("Work with suppliers on the {object} for {area}, starting with a {action}."),
    }
}

fn date(random: &mut Random) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2025, 4, 1).expect("a real date");
    start + Duration::days(random.below(3 * 365) as i64)
}

fn months_later(date: NaiveDate, months: i64) -> NaiveDate {
    let total = date.year() as i64 * 12 + date.month0() as i64 + months;
    let (year, month) = ((total / 12) as i32, (total % 12) as u32 + 1);
    NaiveDate::from_ymd_opt(year, month, date.day().min(28)).expect("a real date")
}

/// What an entry is about: its service area and what it builds or buys.
type Kind = (&'static str, &'static str);

/// The generated register.
struct Register {
    entries: Vec<Entry>,
    /// Each entry's area and object, to tell related pairs from unrelated ones.
    kinds: Vec<Kind>,
    /// The planted pairs as (lower, higher) indexes.
    planted: Vec<(usize, usize)>,
}

/// The register with its planted pairs.
fn generate(entries: usize, planted: usize) -> Register {
    let mut random = Random(20_261_125);
    let originals = entries - planted;
    let mut ideas: Vec<Idea> = Vec::with_capacity(originals);
    let mut seen = HashSet::new();
    while ideas.len() < originals {
        let idea = Idea {
            name: random.chance(60).then(|| proper_name(&mut random)),
            area: random.pick(&AREAS),
            object: random.pick(&OBJECTS),
            action: random.pick(&ACTIONS),
            department: random.below(DEPARTMENTS.len()),
        };
        // Every original is different work: a name, or failing that the
        // area, object and action, tells it apart.
        let key = match &idea.name {
            Some(name) => name.clone(),
            None => format!("{}|{}|{}", idea.area, idea.object, idea.action),
        };
        if seen.insert(key) {
            ideas.push(idea);
        }
    }
    let mut register: Vec<Entry> = ideas
        .iter()
        .map(|idea| {
            let start = date(&mut random);
            let themes = (0..random.below(3))
                .map(|_| random.pick(&THEMES).to_string())
                .collect();
            Entry {
                title: original_title(idea, &mut random),
                summary: summary(idea, &mut random),
                department: Some(DEPARTMENTS[idea.department][0].to_string()),
                themes,
                cost: Some(
                    Money::from_pence((5 + random.below(2_000)) as i64 * 1_000_000)
                        .expect("a cost within the limit"),
                ),
                start_date: Some(start),
                end_date: Some(months_later(start, 3 + random.below(24) as i64)),
            }
        })
        .collect();

    // Twins of distinct originals, placed among the register at random.
    let mut chosen = HashSet::new();
    let mut twins = Vec::with_capacity(planted);
    while twins.len() < planted {
        let original = random.below(originals);
        if !chosen.insert(original) {
            continue;
        }
        let idea = &ideas[original];
        let first = &register[original];
        let spellings = DEPARTMENTS[idea.department];
        let department = if random.chance(70) {
            spellings[random.below(spellings.len())].to_string()
        } else {
            DEPARTMENTS[random.below(DEPARTMENTS.len())][0].to_string()
        };
        let cost = first.cost.map(|c| {
            let change = random.below(41) as i64 - 20; // within 20%, either way
            Money::from_pence(c.pence() / 100 * (100 + change)).expect("a cost within the limit")
        });
        let shift = random.below(5) as i64 - 2;
        let twin = Entry {
            title: twin_title(idea, &mut random),
            summary: if first.summary.is_empty() || random.chance(50) {
                String::new()
            } else {
                summary(idea, &mut random)
            },
            department: Some(department),
            themes: if random.chance(50) {
                first.themes.clone()
            } else {
                Vec::new()
            },
            cost: if random.chance(80) { cost } else { None },
            start_date: first.start_date.map(|d| months_later(d, shift)),
            end_date: first.end_date.map(|d| months_later(d, shift)),
        };
        twins.push((original, twin));
    }
    // Insert each twin at a random place; keep track of where everything goes.
    let mut kinds: Vec<Kind> = ideas.iter().map(|i| (i.area, i.object)).collect();
    let mut positions: Vec<usize> = (0..originals).collect();
    let mut pairs = Vec::with_capacity(planted);
    for (original, twin) in twins {
        let at = random.below(register.len() + 1);
        register.insert(at, twin);
        kinds.insert(at, (ideas[original].area, ideas[original].object));
        for p in positions.iter_mut().filter(|p| **p >= at) {
            *p += 1;
        }
        for (_, t) in pairs.iter_mut() {
            if *t >= at {
                *t += 1;
            }
        }
        pairs.push((original, at));
    }
    let planted = pairs
        .into_iter()
        .map(|(original, twin)| {
            let o = positions[original];
            (o.min(twin), o.max(twin))
        })
        .collect();
    Register {
        entries: register,
        kinds,
        planted,
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn write_files(out: &std::path::Path, register: &Register) {
    std::fs::create_dir_all(out).expect("the output folder can be made");
    let mut entries =
        String::from("index,title,summary,department,themes,cost_pence,start,end,area,object\n");
    for (i, (e, (area, object))) in register.entries.iter().zip(&register.kinds).enumerate() {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        writeln!(
            entries,
            "{i},{},{},{},{},{},{},{},{},{}",
            csv_field(&e.title),
            csv_field(&e.summary),
            csv_field(e.department.as_deref().unwrap_or("")),
            csv_field(&e.themes.join(";")),
            e.cost.map(|c| c.pence().to_string()).unwrap_or_default(),
            date(e.start_date),
            date(e.end_date),
            csv_field(area),
            csv_field(object),
        )
        .expect("writing to a String");
    }
    std::fs::write(out.join("entries.csv"), entries).expect("entries.csv can be written");
    let mut pairs = String::from("a,b\n");
    for (a, b) in &register.planted {
        writeln!(pairs, "{a},{b}").expect("writing to a String");
    }
    std::fs::write(out.join("planted.csv"), pairs).expect("planted.csv can be written");
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (entries, planted) = (knob("ENTRIES", 10_000), knob("PLANTED", 500));
    assert!(
        planted * 2 <= entries,
        "PLANTED must be at most half of ENTRIES"
    );
    let register = generate(entries, planted);
    if let Some(out) = std::env::args().nth(1) {
        write_files(std::path::Path::new(&out), &register);
    }

    let started = Instant::now();
    let found = find_duplicates(&register.entries, &DuplicateSettings::default());
    let seconds = started.elapsed().as_secs_f64();

    let planted_pairs: HashSet<(usize, usize)> = register.planted.iter().copied().collect();
    let is_planted = |a: usize, b: usize| planted_pairs.contains(&(a, b));
    let recalled = found
        .candidates
        .iter()
        .filter(|c| is_planted(c.a, c.b))
        .count();
    // Other candidates about the same service area and the same product,
    // which the generator makes by chance and a reviewer would also look at.
    let related = found
        .candidates
        .iter()
        .filter(|c| !is_planted(c.a, c.b) && register.kinds[c.a] == register.kinds[c.b])
        .count();
    // Candidates come best first: how many planted pairs a reviewer meets
    // among the first `planted` candidates.
    let top = found
        .candidates
        .iter()
        .take(planted)
        .filter(|c| is_planted(c.a, c.b))
        .count();
    println!(
        "RESULT system=portfolio entries={entries} planted={planted} seconds={seconds:.3} \
         recall={:.3} found={recalled} candidates={} related={related} planted_in_top={top} \
         pairs_scored={} oversized_buckets={}",
        recalled as f64 / planted as f64,
        found.candidates.len(),
        found.pairs_scored,
        found.oversized_buckets
    );
    if std::env::var_os("SHOW_MISSED").is_some() {
        let listed: HashSet<(usize, usize)> = found.candidates.iter().map(|c| (c.a, c.b)).collect();
        for &(a, b) in register.planted.iter().filter(|p| !listed.contains(p)) {
            let titles = (&register.entries[a].title, &register.entries[b].title);
            println!("missed: {:?} | {:?}", titles.0, titles.1);
        }
    }
}
