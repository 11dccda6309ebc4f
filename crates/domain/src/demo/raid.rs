//! The demo council's RAID register: the three programme risks of the
//! brief (capacity, investment and priorities; the pull "back to normal";
//! rising citizen expectations) with their actions, a spread of project
//! risks, issues, assumptions and dependencies, and the people who own them.
//!
//! Fixed text and dates, so every run builds the same register. Projects are
//! named by title and found in the demo's project list, whose order gives
//! their codes (the first is DP-001).

use crate::project::ProjectDraft;
use crate::raid::{ActionDraft, RaidDraft, ScoreDraft};
use crate::role::Role;

/// People who own the demo's RAID items, besides the administrator and the
/// department lead: (email, name, role). They sign in with the demo password.
pub const OWNERS: [(&str, &str, Role); 5] = [
    ("cdo@northmere.example", "Rachel Adeyemi", Role::Viewer),
    (
        "programme.manager@northmere.example",
        "Marcus Reid",
        Role::ProgrammeOffice,
    ),
    (
        "finance.head@northmere.example",
        "Joanna Pike",
        Role::Viewer,
    ),
    (
        "transformation.head@northmere.example",
        "Dev Patel",
        Role::Viewer,
    ),
    (
        "customer.head@northmere.example",
        "Sian Hughes",
        Role::Viewer,
    ),
];

const CDO: &str = "cdo@northmere.example";
const PM: &str = "programme.manager@northmere.example";
const FINANCE: &str = "finance.head@northmere.example";
const TRANSFORMATION: &str = "transformation.head@northmere.example";
const CUSTOMER: &str = "customer.head@northmere.example";
const LEAD: &str = super::LEAD_EMAIL;

/// A demo item, and for an issue the index (in [`items`]) of the risk it is.
pub struct DemoItem {
    pub draft: RaidDraft,
    pub linked_risk: Option<usize>,
}

fn score(likelihood: i64, impact: i64) -> Option<ScoreDraft> {
    Some(ScoreDraft { likelihood, impact })
}

fn action(description: &str, owner: &str, due: &str, status: &str) -> ActionDraft {
    ActionDraft {
        description: description.into(),
        owner: owner.into(),
        due: Some(due.into()),
        status: status.into(),
    }
}

/// A risk: title, project title (None: programme), owner, cause/event/effect,
/// inherent/current/target (likelihood, impact), response, proximity, review date.
#[allow(clippy::too_many_arguments)]
fn risk(
    title: &str,
    project: Option<&str>,
    owner: &str,
    [cause, event, effect]: [&str; 3],
    [inherent, current, target]: [(i64, i64); 3],
    response: &str,
    proximity: &str,
    review: &str,
) -> RaidDraft {
    RaidDraft {
        kind: "risk".into(),
        project: project.map(str::to_string),
        title: title.into(),
        owner: owner.into(),
        cause: cause.into(),
        event: event.into(),
        effect: effect.into(),
        inherent: score(inherent.0, inherent.1),
        current: score(current.0, current.1),
        target: score(target.0, target.1),
        response: Some(response.into()),
        proximity: Some(proximity.into()),
        review_date: Some(review.into()),
        ..RaidDraft::default()
    }
}

/// An assumption, issue or dependency.
fn other(
    kind: &str,
    title: &str,
    project: Option<&str>,
    owner: &str,
    description: &str,
    review: &str,
) -> RaidDraft {
    RaidDraft {
        kind: kind.into(),
        project: project.map(str::to_string),
        title: title.into(),
        owner: owner.into(),
        description: description.into(),
        review_date: Some(review.into()),
        ..RaidDraft::default()
    }
}

fn issue(
    title: &str,
    project: Option<&str>,
    owner: &str,
    description: &str,
    priority: &str,
    resolution: &str,
    review: &str,
) -> RaidDraft {
    RaidDraft {
        priority: Some(priority.into()),
        resolution: resolution.into(),
        ..other("issue", title, project, owner, description, review)
    }
}

/// The demo's RAID items, with project titles turned into codes from `projects`.
/// Items naming a project that is not in the list are left out.
pub fn items(projects: &[ProjectDraft]) -> Vec<DemoItem> {
    let code = |title: &str| {
        projects
            .iter()
            .position(|p| p.title == title)
            .map(|i| format!("{}-{:03}", super::CODE_PREFIX, i + 1))
    };
    let mut out: Vec<DemoItem> = Vec::new();
    let mut add = |mut draft: RaidDraft, project: Option<&str>, linked_risk: Option<usize>| {
        if let Some(title) = project {
            match code(title) {
                Some(c) => draft.project = Some(c),
                None => return,
            }
        }
        out.push(DemoItem { draft, linked_risk });
    };

    // 0. The programme's own risks (DESIGN.md).
    let mut capacity = risk(
        "Capacity, investment and priorities: more projects than we can deliver",
        None,
        CDO,
        [
            "Departments have named about 100 digital priorities, while the digital team, business analysts and change managers are a fixed number and capital for 2027/28 is not yet confirmed.",
            "More projects start than the council has the people or money to deliver, and they compete for the same specialists.",
            "Projects run late or stall half-built, benefits are delayed, savings in the medium-term financial plan are missed and Cabinet loses confidence in the programme.",
        ],
        [(5, 5), (4, 4), (2, 4)],
        "treat",
        "2027/28 Q1",
        "2027-01-12",
    );
    capacity.escalated = true;
    capacity.actions = vec![
        action("Score every project against the agreed criteria and bring a prioritised programme to the Digital Programme Board", PM, "2027-01-20", "in_progress"),
        action("Confirm the 2027/28 digital capital allocation with the Section 151 officer", FINANCE, "2027-02-15", "not_started"),
        action("Agree a capacity plan: recruit two business analysts and call off developers from the regional framework", CDO, "2027-03-31", "not_started"),
    ];
    add(capacity, None, None);

    // 1.
    let mut normal = risk(
        "\"Back to normal\": services return to the old ways of working",
        None,
        TRANSFORMATION,
        [
            "As the emergency period fades, some managers and teams prefer face-to-face and paper processes, and temporary virtual arrangements were never made permanent.",
            "Services drift back to office-based, paper and telephone processes alongside the new digital ones.",
            "The benefits of virtual working and virtual service delivery are lost, the council pays to run two ways of working, and the investment in Microsoft Teams is wasted.",
        ],
        [(4, 4), (3, 4), (2, 3)],
        "treat",
        "2026/27 Q4",
        "2026-11-20",
    );
    normal.escalated = true;
    normal.actions = vec![
        action("Build the new ways of working into the organisational development programme and managers' objectives", TRANSFORMATION, "2027-02-28", "in_progress"),
        action("Report adoption of Teams and online forms to the Senior Leadership Team every month", PM, "2026-11-30", "in_progress"),
        action("Retire the paper versions of forms that are now online", CUSTOMER, "2027-03-31", "not_started"),
    ];
    add(normal, None, None);

    // 2.
    let mut expectations = risk(
        "Rising citizen expectations of digital services",
        None,
        CUSTOMER,
        [
            "Residents use fast, personalised digital services elsewhere, and the move online during the emergency raised demand for them from the council too.",
            "Demand for online services outpaces what the council offers, and residents fall back on the contact centre.",
            "Complaints rise, the council's reputation suffers, and each contact costs more through the phone than online.",
        ],
        [(4, 3), (4, 3), (3, 3)],
        "treat",
        "2027/28 Q2",
        "2027-02-01",
    );
    expectations.actions = vec![
        action(
            "Publish the digital roadmap for residents on the council website",
            CDO,
            "2027-01-31",
            "in_progress",
        ),
        action(
            "Measure channel shift from telephone to online every quarter",
            CUSTOMER,
            "2027-04-30",
            "not_started",
        ),
    ];
    add(expectations, None, None);

    // Project risks.
    let children = "Children's case management system replacement";
    let erp = "Finance and procurement ERP replacement";
    let shared_care = "Shared care record integration with NHS partners";
    let telephony = "Microsoft Teams telephony for contact centre";
    let account = "Resident online account with single sign-on";
    // 3.
    let mut migration = risk(
        "Legacy case data does not migrate cleanly",
        Some(children),
        LEAD,
        [
            "Twenty years of case records in the old system, with duplicates and free-text fields.",
            "Records are lost, duplicated or mismatched when they move to the new system.",
            "Social workers cannot see a child's full history; a safeguarding decision is made on incomplete information.",
        ],
        [(4, 5), (3, 5), (2, 4)],
        "treat",
        "2027/28 Q1",
        "2027-01-08",
    );
    migration.escalated = true;
    migration.actions = vec![
        action(
            "Run two full trial migrations with reconciliation reports",
            PM,
            "2027-02-26",
            "in_progress",
        ),
        action(
            "Cleanse duplicate person records before the final migration",
            LEAD,
            "2027-03-19",
            "not_started",
        ),
    ];
    add(migration, Some(children), None);
    // 4.
    let mut slip = risk(
        "ERP go-live slips past the financial year end",
        Some(erp),
        FINANCE,
        [
            "The supplier's implementation team is stretched across three councils.",
            "Go-live moves beyond 1 April 2027.",
            "Year-end closedown runs on the old system, with a second data migration and extended licence costs.",
        ],
        [(4, 4), (4, 4), (2, 4)],
        "treat",
        "2027-04-01",
        "2026-12-18",
    );
    slip.escalated = true;
    slip.actions = vec![action(
        "Agree a contingency go-live date of 1 July 2027 with the supplier",
        FINANCE,
        "2027-01-15",
        "not_started",
    )];
    add(slip, Some(erp), None);
    // 5.
    add(
        risk(
            "Information sharing agreement with NHS partners is delayed",
            Some(shared_care),
            LEAD,
            [
                "Each NHS trust's information governance board must approve the agreement.",
                "Approval takes longer than planned.",
                "The shared care record launches without adult social care data, and hospital discharges stay slow.",
            ],
            [(3, 4), (3, 3), (2, 3)],
            "treat",
            "2027/28 Q1",
            "2027-01-29",
        ),
        Some(shared_care),
        None,
    );
    // 6.
    add(
        risk(
            "Contact centre loses calls while numbers move to Teams",
            Some(telephony),
            CUSTOMER,
            [
                "Number porting from the old telephony provider happens in one weekend.",
                "Some numbers fail to port or route wrongly.",
                "Residents cannot reach the council on Monday morning, including for urgent social care.",
            ],
            [(3, 5), (2, 5), (1, 5)],
            "treat",
            "2027-02-06",
            "2027-01-15",
        ),
        Some(telephony),
        None,
    );
    // 7.
    add(
        risk(
            "Few residents sign up for the online account",
            Some(account),
            CUSTOMER,
            [
                "Residents already have many log-ins and see little reason for another.",
                "Take-up stays below a quarter of the target in the first year.",
                "Channel shift savings are not realised.",
            ],
            [(3, 3), (3, 3), (2, 2)],
            "treat",
            "2027/28 Q3",
            "2027-03-01",
        ),
        Some(account),
        None,
    );
    // 8.
    add(
        risk(
            "Key RPA developer leaves the centre of excellence",
            Some("Robotic process automation platform and centre of excellence"),
            PM,
            [
                "One developer built and supports most of the council's bots.",
                "They leave, or are off for a long time.",
                "Bots fail without anyone able to fix them; finance and social care processes back up.",
            ],
            [(3, 4), (3, 3), (2, 2)],
            "treat",
            "2026/27 Q4",
            "2026-11-27",
        ),
        Some("Robotic process automation platform and centre of excellence"),
        None,
    );
    // 9.
    add(
        risk(
            "Highways asset system supplier fails",
            Some("Highways asset management system replacement"),
            PM,
            [
                "The preferred supplier is small and its accounts show losses for two years.",
                "The supplier goes into administration during the contract.",
                "The council has no support for the system that plans road repairs.",
            ],
            [(2, 4), (2, 4), (1, 4)],
            "transfer",
            "2027/28 Q2",
            "2027-03-15",
        ),
        Some("Highways asset management system replacement"),
        None,
    );
    // 10.
    add(
        risk(
            "Staff resist multi-factor authentication",
            Some("Multi-factor authentication and cyber security hardening"),
            CDO,
            [
                "Staff without council mobile phones are asked to use their own.",
                "Staff refuse, or share devices and codes.",
                "Roll-out stalls and the council stays exposed to account compromise.",
            ],
            [(3, 3), (2, 3), (2, 2)],
            "tolerate",
            "2027/28 Q1",
            "2027-02-12",
        ),
        Some("Multi-factor authentication and cyber security hardening"),
        None,
    );
    // 11. A closed risk, kept for the record.
    let mut closed = risk(
        "Teams licences not funded for frontline staff",
        Some("Microsoft Teams for every member of staff"),
        FINANCE,
        [
            "Frontline staff licences were outside the original business case.",
            "Licences cannot be bought for 400 frontline staff.",
            "Frontline staff are left out of the move to Teams.",
        ],
        [(3, 3), (1, 3), (1, 3)],
        "treat",
        "2026/27 Q3",
        "2026-10-30",
    );
    closed.status = "closed".into();
    closed.closed_on = Some("2026-10-30".into());
    add(
        closed,
        Some("Microsoft Teams for every member of staff"),
        None,
    );

    // Issues.
    add(
        issue("Two business analyst posts unfilled since September", None, CDO,
            "Both posts were advertised twice without an appointable candidate; design work on four projects waits.",
            "high", "Interim analysts from the regional framework while the posts are re-graded.", "2027-01-12"),
        None,
        Some(0),
    );
    add(
        issue(
            "12,000 duplicate person records in the legacy children's system",
            Some(children),
            LEAD,
            "The first trial migration found 12,000 likely duplicate person records.",
            "high",
            "",
            "2027-01-08",
        ),
        Some(children),
        Some(3),
    );
    add(
        issue(
            "Supplier moved ERP design sign-off back six weeks",
            Some(erp),
            FINANCE,
            "The supplier's solution architect was moved to another client.",
            "critical",
            "Escalated to the supplier's account director; recovery plan due in January.",
            "2026-12-18",
        ),
        Some(erp),
        Some(4),
    );
    add(
        issue(
            "Webcasting contract ends in March",
            Some("Hybrid committee meetings and webcasting"),
            PM,
            "The current webcasting contract cannot be extended again.",
            "low",
            "",
            "2027-02-01",
        ),
        Some("Hybrid committee meetings and webcasting"),
        None,
    );

    // Assumptions.
    add(
        other(
            "assumption",
            "Digital capital of £4.2m a year remains available to 2028/29",
            None,
            FINANCE,
            "The medium-term financial plan keeps the digital capital line at its 2026/27 level.",
            "2027-02-15",
        ),
        None,
        None,
    );
    add(
        other(
            "assumption",
            "Microsoft 365 licence prices hold until the 2028 renewal",
            None,
            CDO,
            "The enterprise agreement fixes prices until it is renewed in 2028.",
            "2027-06-30",
        ),
        None,
        None,
    );
    add(
        other(
            "assumption",
            "NHS partners keep funding the shared care record platform",
            Some(shared_care),
            LEAD,
            "The integrated care board funds the platform for at least three more years.",
            "2027-03-31",
        ),
        Some(shared_care),
        None,
    );

    // Dependencies.
    add(
        other(
            "dependency",
            "Office network and Wi-Fi upgrade before Teams telephony",
            Some(telephony),
            PM,
            "Teams telephony needs the upgraded network in each contact centre site first.",
            "2027-01-15",
        ),
        Some(telephony),
        None,
    );
    add(
        other("dependency", "Integrated care board's platform upgrade", Some(shared_care), LEAD,
            "Adult social care data can flow only once the NHS platform is upgraded (planned for spring 2027).", "2027-01-29"),
        Some(shared_care),
        None,
    );
    add(
        other("dependency", "Identity service chosen for the resident account", Some(account), CDO,
            "The resident account waits for the decision on the identity service, due from the procurement in February.", "2027-02-28"),
        Some(account),
        None,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_register_names_its_projects_and_links_issues_to_risks() {
        let projects = super::super::projects();
        let items = items(&projects);
        assert_eq!(items.len(), 22);
        let programme_risks: Vec<&str> = items
            .iter()
            .filter(|i| i.draft.kind == "risk" && i.draft.project.is_none())
            .map(|i| i.draft.title.as_str())
            .collect();
        assert_eq!(programme_risks.len(), 3);
        for item in &items {
            if let Some(r) = item.linked_risk {
                assert_eq!(items[r].draft.kind, "risk");
            }
            if let Some(code) = &item.draft.project {
                assert!(code.starts_with("DP-"), "{code}");
            }
        }
    }
}
