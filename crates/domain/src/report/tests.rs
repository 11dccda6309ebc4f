use super::*;

fn project(code: &str, dept: &str, stage: &str, cost: i64) -> ProjectLine {
    ProjectLine {
        code: code.into(),
        title: format!("Project {code}"),
        department: dept.into(),
        stage: stage.into(),
        confidence: "Not rated".into(),
        start: NaiveDate::from_ymd_opt(2026, 4, 1),
        end: NaiveDate::from_ymd_opt(2027, 3, 31),
        cost_pence: cost,
        costed: cost > 0,
    }
}

/// 28 concept, 27 design, 21 delivery over two departments.
fn demo_like(kind: ReportKind) -> ReportInputs {
    let mut projects = Vec::new();
    let stages = ["Concept", "Design", "Delivery"];
    let counts = [28, 27, 21];
    let mut n = 0;
    for (s, c) in stages.iter().zip(counts) {
        for i in 0..c {
            n += 1;
            let dept = if i % 2 == 0 {
                "Adult Social Care"
            } else {
                "Highways"
            };
            projects.push(project(&format!("DP-{n:03}"), dept, s, 10_000));
        }
    }
    let row = |dept: &str| -> (String, Vec<i64>, i64) {
        let r: Vec<i64> = stages
            .iter()
            .map(|s| {
                projects
                    .iter()
                    .filter(|p| p.department == dept && p.stage == *s)
                    .count() as i64
            })
            .collect();
        let t = r.iter().sum();
        (dept.into(), r, t)
    };
    let departments = vec![row("Adult Social Care"), row("Highways")];
    let mut cells = [[0i64; 5]; 5];
    cells[0][4] = 2;
    cells[2][2] = 3;
    ReportInputs {
        kind,
        organisation: "Northmere County Council".into(),
        title: "Programme report".into(),
        as_at: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        previous: NaiveDate::from_ymd_opt(2026, 11, 1),
        stage_department: StageDepartment {
            total: 76,
            stages: stages.iter().map(|s| s.to_string()).collect(),
            stage_totals: vec![28, 27, 21],
            departments,
        },
        money: vec![YearMoney {
            year: "2026/27".into(),
            capital_pence: 500_000,
            revenue_pence: 260_000,
            total_pence: 760_000,
            budget_pence: Some(700_000),
        }],
        projects,
        changes: Some(ChangeSummary {
            counts: vec![("New projects".into(), 1)],
            lines: vec!["DP-001 was added".into()],
        }),
        decisions: vec![DecisionRequired {
            kind: "Gate request".into(),
            reference: "DP-002".into(),
            text: "Concept to Design".into(),
        }],
        agenda: Some(MeetingAgenda {
            title: "Programme board".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            items: vec!["Gate request: DP-002".into()],
        }),
        risks: vec![RiskLine {
            reference: "R1".into(),
            title: "Supplier fails".into(),
            project: "DP-001".into(),
            owner: "A Person".into(),
            score: 25,
            rating: "Very high".into(),
        }],
        heat_map: Some(HeatMap {
            cells,
            open_risks: 5,
            likelihood_words: vec!["Rare".into(); 5],
            impact_words: vec!["Minor".into(); 5],
        }),
        confidence: ConfidenceSummary {
            counts: vec![("Green".into(), 10), ("Not rated".into(), 66)],
            total: 76,
            ratings: vec!["Green".into(), "Red".into()],
            trend: vec![("2026-11".into(), vec![3, 1], 4)],
        },
        capacity: vec![PoolUse {
            pool: "Developers".into(),
            capacity_days: 100,
            demand_days: 120,
        }],
        scenario: None,
        narrative: Narrative::default(),
    }
}

fn headings(r: &Report) -> Vec<&str> {
    r.sections.iter().map(|s| s.heading.as_str()).collect()
}

fn all_text(r: &Report) -> String {
    serde_json::to_string(r).unwrap()
}

#[test]
fn a_cabinet_report_follows_the_committee_shape() {
    let r = build(&demo_like(ReportKind::Cabinet)).unwrap();
    assert_eq!(
        headings(&r),
        [
            "Purpose of the report",
            "Recommendations",
            "Background",
            "Programme summary",
            "Prioritisation and funding",
            "Top risks",
            "Financial implications",
            "Legal implications",
            "Equality impact",
            "Appendices",
        ]
    );
    let text = all_text(&r);
    assert!(text
        .contains("The programme has 76 projects: 28 in concept, 27 in design, 21 in delivery."));
}

#[test]
fn a_board_pack_leads_with_decisions_then_the_agenda() {
    let r = build(&demo_like(ReportKind::Board)).unwrap();
    let h = headings(&r);
    assert_eq!(
        &h[..3],
        ["Decisions required", "Agenda", "Officer's commentary"]
    );
    assert!(h.contains(&"Changes since 1 November 2026"));
    let text = all_text(&r);
    assert!(text.contains("Concept to Design"), "{text}");
}

#[test]
fn every_chart_has_a_text_alternative_and_a_table() {
    let r = build(&demo_like(ReportKind::Board)).unwrap();
    let charts: Vec<&Chart> = r
        .sections
        .iter()
        .flat_map(|s| &s.blocks)
        .filter_map(|b| match b {
            Block::Chart { chart } => Some(chart),
            _ => None,
        })
        .collect();
    let kinds: Vec<&ChartKind> = charts.iter().map(|c| &c.kind).collect();
    for k in [
        ChartKind::PipelineByStage,
        ChartKind::StageByDepartment,
        ChartKind::ConfidenceTrend,
        ChartKind::RiskHeatMap,
        ChartKind::SpendAgainstBudget,
        ChartKind::CapacityByPool,
        ChartKind::Timeline,
    ] {
        assert!(kinds.contains(&&k), "{k:?} missing");
    }
    for c in charts {
        assert!(!c.description.is_empty());
        assert!(!c.table.rows.is_empty(), "{:?}", c.kind);
    }
}

#[test]
fn stage_counts_that_do_not_make_the_total_refuse_the_report() {
    let mut inputs = demo_like(ReportKind::Cabinet);
    inputs.stage_department.total = 74;
    let err = build(&inputs).unwrap_err();
    assert_eq!(err.parts, 76);
    assert_eq!(err.whole, 74);
    assert!(err.to_string().contains("add up to 76, not 74"), "{err}");
}

#[test]
fn a_department_row_that_does_not_sum_is_refused() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.stage_department.departments[0].1[0] += 1;
    let err = check(&inputs).unwrap_err();
    assert!(err.check.contains("Adult Social Care"), "{err}");
}

#[test]
fn heat_map_cells_must_make_the_open_risks() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.heat_map.as_mut().unwrap().open_risks = 6;
    let err = check(&inputs).unwrap_err();
    assert_eq!(
        (err.check.as_str(), err.parts, err.whole),
        ("the heat map's cells", 5, 6)
    );
}

#[test]
fn money_by_year_must_make_the_projects_costs() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.money[0].capital_pence += 1;
    assert!(check(&inputs)
        .unwrap_err()
        .check
        .contains("capital and revenue"));
    inputs.money[0].total_pence += 1;
    assert_eq!(
        check(&inputs).unwrap_err().check,
        "the costs by year (pence)"
    );
}

#[test]
fn confidence_counts_and_trend_must_sum() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.confidence.counts[0].1 = 9;
    assert_eq!(
        check(&inputs).unwrap_err().check,
        "the delivery confidence counts"
    );
    let mut inputs = demo_like(ReportKind::Board);
    inputs.confidence.trend[0].2 = 5;
    assert!(check(&inputs).unwrap_err().check.contains("2026-11"));
}

#[test]
fn control_characters_never_reach_the_report() {
    let mut inputs = demo_like(ReportKind::Cabinet);
    inputs.projects[0].title = "Bad\u{0}\u{1b}[31m title\u{FFFF}".into();
    inputs.narrative.purpose = "Line one\u{7}\n\nLine two".into();
    let r = build(&inputs).unwrap();
    let text = all_text(&r);
    assert!(text.contains("Bad[31m title"));
    assert!(!text.contains('\u{0}') && !text.contains('\u{7}') && !text.contains('\u{FFFF}'));
    assert!(!text.contains("\\u0000") && !text.contains("\\u0007"));
    assert_eq!(r.sections[0].blocks.len(), 2, "two paragraphs of purpose");
}

#[test]
fn an_empty_programme_is_a_correct_report_saying_so() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.projects.clear();
    inputs.stage_department = StageDepartment {
        total: 0,
        stages: vec!["Concept".into()],
        stage_totals: vec![0],
        departments: vec![("Highways".into(), vec![0], 0)],
    };
    inputs.money.clear();
    inputs.confidence = ConfidenceSummary {
        counts: vec![("Not rated".into(), 0)],
        total: 0,
        ratings: vec![],
        trend: vec![],
    };
    let r = build(&inputs).unwrap();
    assert!(all_text(&r).contains("The programme has no projects as at this date."));
}

#[test]
fn a_project_with_no_costs_is_listed_as_such() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.projects[0].cost_pence = 0;
    inputs.projects[0].costed = false;
    inputs.money[0].capital_pence -= 10_000;
    inputs.money[0].total_pence -= 10_000;
    let text = all_text(&build(&inputs).unwrap());
    assert!(
        text.contains("1 project has no planned costs yet."),
        "{text}"
    );
    assert!(text.contains("No costs"));
}

#[test]
fn kinds_parse_by_value_or_label() {
    assert_eq!(ReportKind::parse("Board pack"), Ok(ReportKind::Board));
    assert_eq!(ReportKind::parse("cabinet"), Ok(ReportKind::Cabinet));
    assert!(ReportKind::parse("minutes")
        .unwrap_err()
        .contains("board or cabinet"));
}

fn recommended() -> ScenarioSummary {
    let line = |code: &str, included: bool, start: Option<&str>, value: f64| ScenarioProject {
        code: code.into(),
        title: format!("Project {code}"),
        included,
        start: start.map(Into::into),
        value,
        reason: if included {
            "Worth 12.5 within every limit".into()
        } else {
            "Over the 2027/28 capital budget".into()
        },
    };
    ScenarioSummary {
        name: "Current funding".into(),
        recommended_by: "Programme office".into(),
        recommended_on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        run_on: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        selected: 2,
        cost_pence: 900_000,
        budget_pence: Some(1_000_000),
        projects: vec![
            line("DP-003", false, None, 4.0),
            line("DP-002", true, Some("2027/28 Q1"), 7.5),
            line("DP-001", true, Some("2026/27 Q3"), 12.5),
        ],
        years: vec![
            ScenarioYear {
                year: "2026/27".into(),
                spend_pence: 400_000,
                budget_pence: Some(500_000),
            },
            ScenarioYear {
                year: "2027/28".into(),
                spend_pence: 500_000,
                budget_pence: Some(500_000),
            },
        ],
    }
}

#[test]
fn the_recommended_scenario_appears_only_when_there_is_one() {
    let without = build(&demo_like(ReportKind::Board)).unwrap();
    assert!(!headings(&without).contains(&"Recommended scenario"));
    let mut inputs = demo_like(ReportKind::Board);
    inputs.scenario = Some(recommended());
    let with = build(&inputs).unwrap();
    let section = with
        .sections
        .iter()
        .find(|s| s.heading == "Recommended scenario")
        .expect("the section");
    let Block::Paragraph { text } = &section.blocks[0] else {
        panic!("a paragraph first");
    };
    assert_eq!(
        text,
        "The recommended scenario, Current funding, funds 2 of the 3 projects considered at a cost of £9,000 against a budget of £10,000. Programme office recommended it on 30 November 2026, from its run of 29 November 2026."
    );
    let tables: Vec<&Table> = section
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table { table } => Some(table),
            _ => None,
        })
        .collect();
    assert_eq!(tables[0].rows[1], ["2027/28", "£5,000", "£5,000"]);
    assert_eq!(
        tables[0].footer.as_deref(),
        Some(&["Total".to_string(), "£9,000".into(), "£10,000".into()][..])
    );
    // In first by start, then out; the footer counts both and adds the value in.
    let codes: Vec<&str> = tables[1].rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        codes,
        [
            "DP-001 Project DP-001",
            "DP-002 Project DP-002",
            "DP-003 Project DP-003"
        ]
    );
    assert_eq!(tables[1].rows[2][1], "Out");
    assert_eq!(tables[1].rows[2][4], "Over the 2027/28 capital budget");
    assert_eq!(
        tables[1].footer.as_ref().unwrap()[1..4],
        ["2 in, 1 out".to_string(), String::new(), "20.0".into()]
    );
    // A Cabinet report shows it under prioritisation and funding.
    inputs.kind = ReportKind::Cabinet;
    let cabinet = build(&inputs).unwrap();
    let funding = cabinet
        .sections
        .iter()
        .find(|s| s.heading == "Prioritisation and funding")
        .unwrap();
    assert!(funding
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Subheading { text } if text == "Recommended scenario")));
}

#[test]
fn a_recommended_scenario_that_does_not_add_up_stops_the_report() {
    let mut inputs = demo_like(ReportKind::Board);
    let mut s = recommended();
    s.selected = 3;
    inputs.scenario = Some(s);
    let err = build(&inputs).unwrap_err();
    assert_eq!(err.check, "the recommended scenario's projects in");
    assert_eq!((err.parts, err.whole), (2, 3));
    let mut s = recommended();
    s.cost_pence = 1;
    inputs.scenario = Some(s);
    assert_eq!(
        build(&inputs).unwrap_err().check,
        "the recommended scenario's spend by year (pence)"
    );
}

#[test]
fn counts_are_printed_in_groups_of_three() {
    assert_eq!(whole(0), "0");
    assert_eq!(whole(76), "76");
    assert_eq!(whole(10_000), "10,000");
    assert_eq!(whole(-1_234_567), "-1,234,567");
    assert_eq!(count_word(10_000, "project", "projects"), "10,000 projects");
}

#[test]
fn the_appendix_lists_every_project_by_department_in_tables_of_at_most_500_rows() {
    let mut inputs = demo_like(ReportKind::Board);
    inputs.projects = (1..=1_200)
        .map(|i| project(&format!("DP-{i:05}"), "Highways", "Design", 100))
        .chain(
            (1_201..=1_210)
                .map(|i| project(&format!("DP-{i:05}"), "Adult Social Care", "Concept", 0)),
        )
        .collect();
    let section = appendix_section(&inputs);
    let tables: Vec<&Table> = section
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table { table } => Some(table),
            _ => None,
        })
        .collect();
    let captions: Vec<&str> = tables.iter().map(|t| t.caption.as_str()).collect();
    assert_eq!(
        captions,
        [
            "All 1,210 projects",
            "Adult Social Care: 10 projects",
            "Highways: 1,200 projects",
            "Highways (continued, 2 of 3)",
            "Highways (continued, 3 of 3)",
        ]
    );
    assert_eq!(
        tables[0].footer.as_deref(),
        Some(
            &[
                "Total".to_string(),
                "1,210 projects".into(),
                "£1,200".into()
            ][..]
        )
    );
    assert!(tables.iter().all(|t| t.rows.len() <= APPENDIX_TABLE_ROWS));
    let listed: usize = tables[1..].iter().map(|t| t.rows.len()).sum();
    assert_eq!(listed, 1_210, "every project is listed once");
    // Only a department's last table has its total.
    assert!(tables[2].footer.is_none() && tables[3].footer.is_none());
    assert_eq!(tables[4].footer.as_ref().unwrap()[1], "1,200 projects");
    assert_eq!(tables[1].rows[0][4], "No costs");
}
