//! Building the demo council, and larger synthetic organisations for benchmarks.

use portfolio_domain::demo;
use portfolio_domain::project::Reference;
use portfolio_domain::{Role, Stage, ValidationErrors};
use portfolio_store::{Actor, NewProject};

use crate::import::ImportFile;
use crate::{App, AppError, Result};

/// Projects written per transaction when seeding.
const SEED_BATCH: usize = 1_000;

/// What `seed_demo` made.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    pub organisation_slug: String,
    pub admin_email: String,
    /// A department lead, who signs in with the administrator's password.
    pub lead_email: String,
    pub projects: usize,
}

impl App {
    /// Creates an organisation with the demo's departments and themes and the
    /// given projects. Every project goes through the same validation as a form.
    pub async fn seed_organisation(
        &self,
        slug: &str,
        name: &str,
        drafts: &[portfolio_domain::ProjectDraft],
        actor: &Actor,
    ) -> Result<usize> {
        let org = self
            .store
            .create_organisation(slug, name, demo::CODE_PREFIX, actor)
            .await?;
        let mut departments = Vec::new();
        for (dslug, dname) in demo::DEPARTMENTS {
            departments.push(
                self.store
                    .create_department(org.id, dslug, dname, actor)
                    .await?,
            );
        }
        let mut themes = Vec::new();
        for (tslug, tname, description) in demo::THEMES {
            themes.push(
                self.store
                    .create_theme(org.id, tslug, tname, description, actor)
                    .await?,
            );
        }
        let reference = Reference {
            departments: &departments,
            themes: &themes,
        };
        let inputs = drafts
            .iter()
            .map(|draft| draft.validate(&reference).map_err(AppError::Validation))
            .collect::<Result<Vec<_>>>()?;
        for chunk in inputs.chunks(SEED_BATCH) {
            let items: Vec<NewProject<'_>> = chunk
                .iter()
                .map(|input| NewProject { input, actor })
                .collect();
            self.store
                .create_projects(org.id, demo::CODE_PREFIX, &items)
                .await?;
        }
        Ok(drafts.len())
    }

    /// Builds Northmere County Council with its 76 projects, an administrator
    /// and a department lead (who submits priorities), both with `admin_password`.
    /// Refuses when the organisation already exists.
    pub async fn seed_demo(&self, admin_password: &str) -> Result<DemoSeed> {
        self.seed_demo_council(admin_password, true).await
    }

    /// Builds Northmere County Council with an administrator, and with its 76
    /// projects unless `with_projects` is false: then the register starts
    /// empty, for the departments' spreadsheets ([`demo_spreadsheets`]) to
    /// be imported and consolidated. Refuses when the organisation exists.
    pub async fn seed_demo_council(
        &self,
        admin_password: &str,
        with_projects: bool,
    ) -> Result<DemoSeed> {
        if self
            .store
            .organisation_by_slug(demo::ORGANISATION_SLUG)
            .await
            .is_ok()
        {
            return Err(AppError::Validation(ValidationErrors::single(
                "organisation",
                "the demo council already exists in this database",
            )));
        }
        let actor = Actor::system("demo");
        let drafts = if with_projects {
            demo::projects()
        } else {
            Vec::new()
        };
        let n = self
            .seed_organisation(
                demo::ORGANISATION_SLUG,
                demo::ORGANISATION_NAME,
                &drafts,
                &actor,
            )
            .await?;
        self.seed_demo_capacity(with_projects, &actor).await?;
        self.add_user(
            demo::ORGANISATION_SLUG,
            demo::ADMIN_EMAIL,
            demo::ADMIN_NAME,
            Role::Administrator,
            admin_password,
            &actor,
        )
        .await?;
        self.add_scoped_user(
            demo::ORGANISATION_SLUG,
            demo::LEAD_EMAIL,
            demo::LEAD_NAME,
            Role::DepartmentLead,
            &[demo::LEAD_DEPARTMENT.to_string()],
            &[],
            admin_password,
            &actor,
        )
        .await?;
        self.add_user(
            demo::ORGANISATION_SLUG,
            demo::BOARD_EMAIL,
            demo::BOARD_NAME,
            Role::BoardMember,
            admin_password,
            &actor,
        )
        .await?;
        let org = self
            .store
            .organisation_by_slug(demo::ORGANISATION_SLUG)
            .await?;
        self.seed_demo_scoring(org.id, &actor).await?;
        self.seed_demo_scenarios(&actor).await?;
        self.seed_demo_raid(admin_password, with_projects, &actor)
            .await?;
        // The manager runs the first Families and Communities project (by
        // code) with a RAID item, so every part of a project is theirs to edit.
        let with_raid: Vec<i64> = self
            .store
            .raid_items(org.id)
            .await?
            .iter()
            .filter_map(|i| i.project.as_ref().map(|p| p.id))
            .collect();
        let mut candidates: Vec<_> = self
            .store
            .all_projects(org.id)
            .await?
            .into_iter()
            .filter(|p| p.department.slug == demo::MANAGER_DEPARTMENT)
            .map(|p| (!with_raid.contains(&p.id), p.code))
            .collect();
        candidates.sort();
        let managed: Vec<String> = candidates
            .into_iter()
            .take(1)
            .map(|(_, code)| code)
            .collect();
        if managed.is_empty() {
            // Without projects the manager runs none yet.
            self.add_user(
                demo::ORGANISATION_SLUG,
                demo::MANAGER_EMAIL,
                demo::MANAGER_NAME,
                Role::ProjectManager,
                admin_password,
                &actor,
            )
            .await?;
        } else {
            self.add_scoped_user(
                demo::ORGANISATION_SLUG,
                demo::MANAGER_EMAIL,
                demo::MANAGER_NAME,
                Role::ProjectManager,
                &[],
                &managed,
                admin_password,
                &actor,
            )
            .await?;
        }
        if with_projects {
            self.seed_demo_last_board(&actor).await?;
            self.seed_demo_governance(&actor).await?;
            self.seed_demo_highlights(&actor).await?;
            self.seed_demo_next_board(&actor).await?;
        }
        Ok(DemoSeed {
            organisation_slug: demo::ORGANISATION_SLUG.to_string(),
            admin_email: demo::ADMIN_EMAIL.to_string(),
            lead_email: demo::LEAD_EMAIL.to_string(),
            projects: n,
        })
    }
}

impl App {
    /// The demo council's RAID owners (users with `password`) and, with its
    /// projects, its RAID register, each item validated as a form would be.
    async fn seed_demo_raid(
        &self,
        password: &str,
        with_projects: bool,
        actor: &Actor,
    ) -> Result<()> {
        use portfolio_domain::demo::raid as demo_raid;
        for (email, name, role) in demo_raid::OWNERS {
            self.add_user(demo::ORGANISATION_SLUG, email, name, role, password, actor)
                .await?;
        }
        if !with_projects {
            return Ok(());
        }
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let mut ids: Vec<i64> = Vec::new();
        for item in demo_raid::items(&demo::projects()) {
            let draft = portfolio_domain::raid::RaidDraft {
                linked_risk: item.linked_risk.and_then(|i| ids.get(i).copied()),
                ..item.draft
            };
            let valid = self.validate_raid_item(&caller, &draft, None).await?;
            let stored = self
                .store
                .create_raid_item(caller.organisation_id(), &valid, actor)
                .await?;
            ids.push(stored.id);
        }
        Ok(())
    }

    /// The demo council's gate requests awaiting the board, made through the
    /// same service a project manager uses (the demo's own administrator).
    async fn seed_demo_governance(&self, actor: &Actor) -> Result<()> {
        use portfolio_domain::demo::governance;
        use portfolio_domain::gates::{Gate, GateRequestDraft};
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let mut projects = self.store.all_projects(caller.organisation_id()).await?;
        projects.sort_by(|a, b| a.code.cmp(&b.code));
        for wanted in &governance::GATE_REQUESTS {
            let Some(project) = projects
                .iter()
                .filter(|p| p.stage == wanted.stage)
                .nth(wanted.position)
            else {
                continue;
            };
            let Some(gate) = Gate::next_from(project.stage) else {
                continue;
            };
            let checklist = self.gate_checklist(&caller, &gate.slug()).await?;
            self.request_gate(
                &caller,
                &GateRequestDraft {
                    project: project.code.clone(),
                    to_stage: gate.to.as_str().to_string(),
                    summary: wanted.summary.to_string(),
                    evidence: governance::evidence(&checklist.items),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// The Programme Board's last meeting, four weeks ago: its agenda built
    /// from the escalated risks and the Red and Amber/Red projects, a
    /// strategy item added by hand, a decision on every item and three
    /// actions, all through the services the programme office uses.
    async fn seed_demo_last_board(&self, actor: &Actor) -> Result<()> {
        use portfolio_domain::demo::governance as g;
        use portfolio_domain::meetings::{
            AgendaItemDraft, AgendaKind, DecisionDraft, MeetingActionDraft,
        };
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let on = crate::meetings::today() - chrono::Duration::days(g::LAST_MEETING_DAYS_AGO);
        let created = self.create_meeting(&caller, &board_draft(on)).await?;
        let id = created.meeting.id;
        let record = self
            .add_agenda_item(
                &caller,
                id,
                &AgendaItemDraft {
                    title: g::STRATEGY_ITEM.0.to_string(),
                    detail: g::STRATEGY_ITEM.1.to_string(),
                },
            )
            .await?;
        for item in &record.agenda {
            let text = match item.kind {
                AgendaKind::EscalatedRisk => g::RISK_DECISION,
                AgendaKind::ProjectConfidence => g::PROJECT_DECISION,
                _ => g::STRATEGY_DECISION,
            };
            self.record_decision(
                &caller,
                id,
                &DecisionDraft {
                    agenda_item: item.id,
                    text: text.to_string(),
                    ..Default::default()
                },
            )
            .await?;
        }
        let strategy = record.agenda.iter().find(|i| i.by_hand).map(|i| i.id);
        let risk = record
            .agenda
            .iter()
            .find(|i| i.kind == AgendaKind::EscalatedRisk)
            .map(|i| i.id)
            .or(strategy);
        for (n, (description, owner, days, status)) in g::ACTIONS.iter().enumerate() {
            let action = self
                .add_meeting_action(
                    &caller,
                    id,
                    &MeetingActionDraft {
                        agenda_item: if n == 2 { risk } else { strategy },
                        description: description.to_string(),
                        owner: owner.to_string(),
                        due_on: (on + chrono::Duration::days(*days)).to_string(),
                    },
                )
                .await?;
            if *status != "not_started" {
                self.set_meeting_action_status(&caller, action.id, action.version, status)
                    .await?;
            }
        }
        Ok(())
    }

    /// Highlight reports for the two months before the demo starts, from
    /// every project in delivery; the later month's rating is the
    /// project's own, so the register's confidence is unchanged.
    async fn seed_demo_highlights(&self, actor: &Actor) -> Result<()> {
        use portfolio_domain::demo::governance as g;
        use portfolio_domain::highlights::{HighlightDraft, MilestoneDraft, Month};
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let mut projects = self.store.all_projects(caller.organisation_id()).await?;
        projects.sort_by(|a, b| a.code.cmp(&b.code));
        let last = Month::of(crate::meetings::today()).previous();
        for p in projects.iter().filter(|p| p.stage == Stage::Delivery) {
            let Some(now) = p.confidence else { continue };
            let items: Vec<i64> = self
                .reportable_items(&caller, &p.code)
                .await?
                .iter()
                .take(2)
                .map(|i| i.id)
                .collect();
            // The later month first: its rating is the project's own, and the
            // earlier one then leaves the project alone (a later report exists).
            for (month, rating) in [(last, now), (last.previous(), g::earlier_rating(now))] {
                let (reason, narrative) = g::highlight_words(rating);
                let milestones = p
                    .end_date
                    .map(|end| {
                        vec![MilestoneDraft {
                            name: "Service live for residents".into(),
                            planned: end.to_string(),
                            forecast: String::new(),
                            actual: String::new(),
                        }]
                    })
                    .unwrap_or_default();
                self.save_highlight_report(
                    &caller,
                    &p.code,
                    None,
                    0,
                    &HighlightDraft {
                        period: month.as_string(),
                        confidence: rating.as_str().into(),
                        reason: reason.into(),
                        narrative: narrative.into(),
                        milestones,
                        top_items: items.clone(),
                        decisions_needed: if matches!(
                            rating,
                            portfolio_domain::DeliveryConfidence::Red
                        ) {
                            "Approve the re-plan and the revised costs.".into()
                        } else {
                            String::new()
                        },
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The Programme Board's next meeting, in two weeks: its agenda holds
    /// the gate requests waiting, the escalated risks and the projects
    /// rated Red or Amber/Red, for the board to decide.
    async fn seed_demo_next_board(&self, actor: &Actor) -> Result<()> {
        use portfolio_domain::demo::governance as g;
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let on = crate::meetings::today() + chrono::Duration::days(g::NEXT_MEETING_IN_DAYS);
        self.create_meeting(&caller, &board_draft(on)).await?;
        Ok(())
    }

    /// The demo council's scenarios (defined, not yet run).
    async fn seed_demo_scenarios(&self, actor: &Actor) -> Result<()> {
        let org = self
            .store
            .organisation_by_slug(demo::ORGANISATION_SLUG)
            .await?;
        let caller = self
            .command_line_caller(demo::ORGANISATION_SLUG, &actor.label)
            .await?;
        let pools = self.pool_slugs(&caller).await?;
        for draft in demo::scenarios::scenarios() {
            let input = draft.validate(&pools)?;
            self.store.create_scenario(org.id, &input, actor).await?;
        }
        Ok(())
    }

    /// The demo council's resource pools, budgets for 2026/27–2028/29 and,
    /// with its projects, a plan for each (validated as a form would be).
    async fn seed_demo_capacity(&self, with_projects: bool, actor: &Actor) -> Result<()> {
        use portfolio_domain::capacity::{Budget, PlanContext};
        use portfolio_domain::demo::capacity as demo_capacity;
        use portfolio_domain::project::ProjectCode;
        let org = self
            .store
            .organisation_by_slug(demo::ORGANISATION_SLUG)
            .await?;
        for draft in demo_capacity::pool_drafts() {
            let input = draft.validate()?;
            self.store
                .create_resource_pool(org.id, &input, actor)
                .await?;
        }
        for (year, draft) in demo_capacity::budget_drafts() {
            let budget = Budget {
                version: 0,
                ..draft.validate(&year)?
            };
            self.store.put_budget(org.id, &budget, actor).await?;
        }
        if !with_projects {
            return Ok(());
        }
        let pools = self.store.resource_pools(org.id).await?;
        let projects = self.store.all_projects(org.id).await?;
        let codes: Vec<ProjectCode> = projects
            .iter()
            .filter_map(|p| ProjectCode::parse(&p.code).ok())
            .collect();
        let mut plans = Vec::new();
        for (code, draft) in demo_capacity::plan_drafts(&demo::projects()) {
            let Some(project) = projects.iter().find(|p| p.code == code) else {
                continue;
            };
            let plan = draft.validate(
                project,
                &PlanContext {
                    pools: &pools,
                    codes: &codes,
                    plans: &plans,
                    start_month: org.financial_year_start_month,
                },
            )?;
            plans.push(plan);
        }
        self.store.put_project_plans(org.id, &plans, actor).await?;
        Ok(())
    }
}

/// The demo council's five departmental spreadsheets as files: the 76
/// projects of the demo programme and 24 overlaps, in each department's own
/// shape (XLSX workbooks, a Windows-1252 semicolon CSV, a UTF-8 CSV with a
/// byte-order mark…). Always the same bytes' content.
/// A Programme Board meeting of the demo council on `on`.
fn board_draft(on: chrono::NaiveDate) -> portfolio_domain::meetings::MeetingDraft {
    use portfolio_domain::demo::governance as g;
    portfolio_domain::meetings::MeetingDraft {
        body: "programme_board".into(),
        meets_on: on.to_string(),
        location: g::MEETING_PLACE.into(),
        attendees: g::BOARD_MEMBERS.iter().map(|e| e.to_string()).collect(),
        guests: g::BOARD_GUESTS.iter().map(|e| e.to_string()).collect(),
        ..Default::default()
    }
}

pub fn demo_spreadsheets() -> Vec<ImportFile> {
    use portfolio_domain::demo::spreadsheets::{spreadsheets, DemoFormat};
    spreadsheets()
        .into_iter()
        .map(|file| {
            let bytes = match file.format {
                DemoFormat::Xlsx => workbook_bytes(&file.sheets),
                DemoFormat::Csv {
                    windows_1252,
                    byte_order_mark,
                    delimiter,
                } => csv_bytes(&file.sheets, windows_1252, byte_order_mark, delimiter),
            };
            ImportFile {
                name: file.file_name.to_string(),
                bytes,
            }
        })
        .collect()
}

fn csv_bytes(
    sheets: &[portfolio_domain::demo::spreadsheets::DemoSheet],
    windows_1252: bool,
    byte_order_mark: bool,
    delimiter: u8,
) -> Vec<u8> {
    use portfolio_domain::demo::spreadsheets::DemoCell;
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for sheet in sheets {
        let _ = w.write_record(&sheet.headers);
        for row in &sheet.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    DemoCell::Empty => String::new(),
                    DemoCell::Text(s) => s.clone(),
                    DemoCell::Number(n) => n.to_string(),
                    DemoCell::Date(d) => d.format("%d/%m/%Y").to_string(),
                })
                .collect();
            let _ = w.write_record(&cells);
        }
    }
    let text = w.into_inner().unwrap_or_default();
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut bytes = Vec::new();
    if windows_1252 {
        let (encoded, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        bytes.extend_from_slice(&encoded);
    } else {
        if byte_order_mark {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

fn workbook_bytes(sheets: &[portfolio_domain::demo::spreadsheets::DemoSheet]) -> Vec<u8> {
    use portfolio_domain::demo::spreadsheets::DemoCell;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let dated = Format::new().set_num_format("dd/mm/yyyy");
    for sheet in sheets {
        let ws = book.add_worksheet();
        let _ = ws.set_name(sheet.name);
        for (c, h) in sheet.headers.iter().enumerate() {
            let _ = ws.write_string_with_format(0, c as u16, *h, &bold);
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                let _ = match cell {
                    DemoCell::Empty => Ok(&mut *ws),
                    DemoCell::Text(s) => ws.write_string(r, c, s),
                    DemoCell::Number(n) => ws.write_number(r, c, *n),
                    DemoCell::Date(d) => {
                        use chrono::Datelike;
                        match ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        ) {
                            Ok(date) => ws.write_datetime_with_format(r, c, &date, &dated),
                            Err(_) => ws.write_string(r, c, d.format("%d/%m/%Y").to_string()),
                        }
                    }
                };
            }
        }
        let _ = ws.autofit();
    }
    book.save_to_buffer().unwrap_or_default()
}
