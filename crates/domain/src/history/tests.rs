use super::*;
use serde_json::json;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn period() -> Period {
    Period {
        since: day("2026-03-01"),
        until: day("2026-03-31"),
    }
}

fn project(code: &str, stage: &str, confidence: Option<&str>, capital: i64) -> Value {
    json!({
        "id": 1, "code": code, "title": format!("Project {code}"), "stage": stage,
        "confidence": confidence, "department": {"id": 1, "slug": "hc", "name": "Health and Care"},
        "costs": [{"year": "2026/27", "capital_pence": capital, "revenue_pence": 100}],
        "start_date": "2026-04-01", "end_date": null, "unknown_field": [1, 2, 3],
    })
}

fn record(entity: &str, id: i64, before: Option<Value>, after: Option<Value>) -> RecordChange {
    RecordChange {
        entity: entity.to_string(),
        entity_id: id,
        before,
        after,
        change_count: 1,
        last_at: start_of(day("2026-03-10")),
        last_actor: "pmo@northmere.example".to_string(),
    }
}

fn risk(id: i64, status: &str, likelihood: i64, impact: i64) -> Value {
    json!({"id": id, "kind": "risk", "title": format!("Risk {id}"), "status": status,
           "project": {"id": 7, "code": "DP-007", "title": "Teams"},
           "risk": {"current": {"likelihood": likelihood, "impact": impact}}})
}

#[test]
fn a_period_parses_from_iso_text_or_date_boxes() {
    let today = day("2026-04-15");
    let p = Period::parse(
        &DateEntry::iso("2026-03-01"),
        &DateEntry::iso("2026-03-31"),
        today,
    )
    .unwrap();
    assert_eq!(p, period());
    assert_eq!(p.start().to_rfc3339(), "2026-03-01T00:00:00+00:00");
    assert_eq!(p.end().to_rfc3339(), "2026-04-01T00:00:00+00:00");
    let boxes = DateEntry {
        day: Some("1".into()),
        month: Some("3".into()),
        year: Some("2026".into()),
        ..DateEntry::default()
    };
    let p = Period::parse(&boxes, &DateEntry::default(), today).unwrap();
    assert_eq!(p.since, day("2026-03-01"));
    assert_eq!(p.until, today, "until defaults to today");
}

#[test]
fn since_after_until_is_refused_naming_since() {
    let e = Period::parse(
        &DateEntry::iso("2026-04-02"),
        &DateEntry::iso("2026-04-01"),
        day("2026-05-01"),
    )
    .unwrap_err();
    let message = e.for_field("since").expect("since named");
    assert!(
        message.contains("before the end of the period"),
        "{message}"
    );
    assert!(e.for_field("until").is_none());
}

#[test]
fn bad_dates_are_named_with_the_reason() {
    let today = day("2026-05-01");
    let e = Period::parse(
        &DateEntry::iso("2026-02-30"),
        &DateEntry::iso("31/03/2026"),
        today,
    )
    .unwrap_err();
    assert!(e.for_field("since").unwrap().contains("not a real date"));
    assert!(e.for_field("until").unwrap().contains("not a real date"));
    let e = Period::parse(&DateEntry::default(), &DateEntry::default(), today).unwrap_err();
    assert!(e
        .for_field("since")
        .unwrap()
        .contains("enter the first day"));
    let part = DateEntry {
        day: Some("1".into()),
        year: Some("2026".into()),
        ..DateEntry::default()
    };
    let e = Period::parse(&part, &DateEntry::default(), today).unwrap_err();
    assert_eq!(e.for_field("since"), Some("must include a month"));
    let e = Period::parse(&DateEntry::iso("1066-10-14"), &DateEntry::default(), today).unwrap_err();
    assert!(e.for_field("since").unwrap().contains("between"));
}

#[test]
fn as_at_refuses_the_future_and_blank_is_now() {
    let today = day("2026-05-01");
    assert_eq!(
        parse_as_at("as_at", &DateEntry::default(), today).unwrap(),
        None
    );
    assert_eq!(
        parse_as_at("as_at", &DateEntry::iso("2026-04-30"), today).unwrap(),
        Some(day("2026-04-30"))
    );
    let e = parse_as_at("as_at", &DateEntry::iso("2026-05-02"), today).unwrap_err();
    assert!(e.for_field("as_at").unwrap().contains("today"));
}

#[test]
fn classifies_project_changes_from_first_and_last_state() {
    let records = vec![
        record(
            "project",
            1,
            None,
            Some(project("DP-010", "idea", None, 500)),
        ),
        record(
            "project",
            2,
            Some(project("DP-002", "concept", Some("amber"), 1_000)),
            Some(project("DP-002", "design", Some("green"), 1_500)),
        ),
        // Changed and changed back within the period: nothing to report.
        record(
            "project",
            3,
            Some(project("DP-003", "design", None, 1_000)),
            Some(project("DP-003", "design", None, 1_000)),
        ),
    ];
    let c = Changes::classify(period(), &records);
    assert_eq!(c.new_projects.len(), 1);
    assert_eq!(c.new_projects[0].project.code, "DP-010");
    assert_eq!(c.new_projects[0].stage, Some(Stage::Idea));
    assert_eq!(c.new_projects[0].total_cost_pence, 600);
    assert_eq!(
        c.stage_moves,
        vec![StageMove {
            project: ProjectMention {
                id: 2,
                code: "DP-002".into(),
                title: "Project DP-002".into()
            },
            from: Stage::Concept,
            to: Stage::Design,
        }]
    );
    assert_eq!(
        c.confidence_changes[0].from,
        Some(DeliveryConfidence::Amber)
    );
    assert_eq!(c.confidence_changes[0].to, Some(DeliveryConfidence::Green));
    assert_eq!(c.cost_changes[0].from_pence, 1_100);
    assert_eq!(c.cost_changes[0].to_pence, 1_600);
    assert_eq!(c.cost_changes[0].difference_pence, 500);
    assert!(c.date_changes.is_empty());
    assert_eq!(c.counts.projects_changed, 2);
    assert_eq!(c.counts.total(), 4);
}

#[test]
fn date_changes_name_both_dates() {
    let mut after = project("DP-004", "delivery", None, 0);
    after["end_date"] = json!("2027-03-31");
    let c = Changes::classify(
        period(),
        &[record(
            "project",
            4,
            Some(project("DP-004", "delivery", None, 0)),
            Some(after),
        )],
    );
    assert_eq!(c.date_changes.len(), 1);
    assert_eq!(c.date_changes[0].end_from, None);
    assert_eq!(c.date_changes[0].end_to, Some(day("2027-03-31")));
    assert_eq!(c.date_changes[0].start_from, c.date_changes[0].start_to);
}

#[test]
fn classifies_risks_opened_closed_and_rescored() {
    let records = vec![
        record("raid_item", 1, None, Some(risk(1, "open", 3, 4))),
        record(
            "raid_item",
            2,
            Some(risk(2, "open", 3, 4)),
            Some(risk(2, "closed", 3, 4)),
        ),
        record(
            "raid_item",
            3,
            Some(risk(3, "open", 3, 4)),
            Some(risk(3, "open", 5, 4)),
        ),
        record(
            "raid_item",
            4,
            Some(risk(4, "closed", 2, 2)),
            Some(risk(4, "open", 2, 2)),
        ),
        // An issue is no risk.
        record(
            "raid_item",
            5,
            None,
            Some(json!({"kind": "issue", "status": "open"})),
        ),
    ];
    let c = Changes::classify(period(), &records);
    let ids = |v: &[RiskMention]| v.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&c.risks_opened), vec![1, 4]);
    assert_eq!(ids(&c.risks_closed), vec![2]);
    assert_eq!(c.risks_rescored.len(), 1);
    assert_eq!(c.risks_rescored[0].from.score, 12);
    assert_eq!(c.risks_rescored[0].to.score, 20);
    assert_eq!(c.risks_opened[0].reference, "R1");
    assert_eq!(c.risks_opened[0].project.as_ref().unwrap().code, "DP-007");
}

#[test]
fn decisions_from_gates_and_board_meetings_are_listed_once() {
    let gate = |status: &str| {
        json!({"id": 9, "project_id": 2, "project_code": "DP-002", "project_title": "Teams",
               "from_stage": "concept", "to_stage": "design", "status": status,
               "decision": if status == "pending" { Value::Null } else {
                   json!({"outcome": status, "reasons": "Strong case", "decided_at": "2026-03-05T10:00:00.000000Z"}) }})
    };
    let records = vec![
        record(
            "gate_request",
            9,
            Some(gate("pending")),
            Some(gate("approved")),
        ),
        // Requested and still pending: no decision.
        record("gate_request", 10, None, Some(gate("pending"))),
        record(
            "board_decision",
            1,
            None,
            Some(
                json!({"id": 1, "meeting_id": 4, "meeting_title": "March board",
            "body": "Digital Programme Board", "text": "Approve the design gate", "decided_at": "2026-03-05",
            "gate_request_id": 9}),
            ),
        ),
        record(
            "board_decision",
            2,
            None,
            Some(
                json!({"id": 2, "meeting_id": 4, "meeting_title": "March board",
            "text": "Ask SLT for more capacity", "decided_at": "2026-03-05"}),
            ),
        ),
        record(
            "some_future_entity",
            1,
            None,
            Some(json!({"whatever": true})),
        ),
        record("project", 5, None, Some(json!("not an object"))),
    ];
    let c = Changes::classify(period(), &records);
    assert_eq!(c.decisions.len(), 2, "{:#?}", c.decisions);
    let gate = c
        .decisions
        .iter()
        .find(|d| d.source == DecisionSource::Gate)
        .unwrap();
    assert_eq!(gate.outcome.as_deref(), Some("approved"));
    assert_eq!(gate.meeting_title.as_deref(), Some("March board"));
    assert!(
        gate.summary.contains("Concept to Design"),
        "{}",
        gate.summary
    );
    assert_eq!(gate.project.as_ref().unwrap().code, "DP-002");
    let board = c
        .decisions
        .iter()
        .find(|d| d.source == DecisionSource::Board)
        .unwrap();
    assert_eq!(board.summary, "Ask SLT for more capacity");
    assert_eq!(c.counts.decisions, 2);
    assert!(c.new_projects.is_empty());
}

fn stored(code: &str, stage: Stage, title: &str) -> Project {
    let mut p: Project = serde_json::from_value(json!({
        "id": 1, "organisation_id": 1, "code": code, "title": title, "summary": "", "department":
        {"id": 1, "slug": "hc", "name": "Health and Care"}, "themes": [], "stage": stage, "phase": null,
        "sponsor": "", "manager": "", "start_date": null, "end_date": null, "costs": [],
        "confidence": null, "tags": [], "published": false, "version": 1,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}))
    .unwrap();
    p.id = ProjectCode::parse(code).unwrap().number() as i64;
    p
}

#[test]
fn as_at_register_filters_sorts_and_pages_like_the_store() {
    let projects = vec![
        stored("DP-010", Stage::Design, "Case management"),
        stored("DP-002", Stage::Concept, "Teams for all"),
        stored("DP-009", Stage::Design, "SEND portal"),
    ];
    let all = ProjectFilter::default();
    let page = AsAtRegister::page(&projects, &all);
    let codes: Vec<&str> = page.projects.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, vec!["DP-002", "DP-009", "DP-010"]);
    let design = ProjectFilter {
        stage: Some(Stage::Design),
        per_page: 1,
        page: 2,
        ..ProjectFilter::default()
    };
    let page = AsAtRegister::page(&projects, &design);
    assert_eq!(page.total, 2);
    assert_eq!(page.projects[0].code, "DP-010");
    let words = ProjectFilter {
        words: vec!["case".into()],
        sort: ProjectSort::Title,
        descending: true,
        ..ProjectFilter::default()
    };
    assert_eq!(AsAtRegister::page(&projects, &words).total, 1);
    let counts = grouped_counts(&projects);
    assert_eq!(counts.total, 3);
    assert!(counts.stage_department.contains(&(Stage::Design, 1, 2)));
    assert_eq!(counts.confidence, vec![(None, 3)]);
}
