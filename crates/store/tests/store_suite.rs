//! The store test-suite: every test runs against both backends on real servers.
//!
//! - SQLite: a real database file in a fresh directory under the system temp
//!   directory, removed afterwards.
//! - PostgreSQL: a fresh database `portfolio_test_<uuid>` on the server named by
//!   `PORTFOLIO_TEST_POSTGRES_URL` (an admin URL; default
//!   `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards. When
//!   the server cannot be reached the PostgreSQL tests fail: they never skip.
//!
//! Each test body is a plain `async fn name(store: &Store)`; `backend_tests!`
//! runs it once per backend.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use portfolio_domain::consolidate::merge::{
    check_undo, Lineage, Merge, MergeDraft, MergeMemberDraft, MergePlan,
};
use portfolio_domain::dashboard::Dashboard;
use portfolio_domain::demo::{self, DEPARTMENTS, THEMES};
use portfolio_domain::filter::{ProjectFilter, ProjectQuery};
use portfolio_domain::gates::{
    parse_checklist, Gate, GateDecisionDraft, GateDecisionInput, GateRequest, GateRequestDraft,
    GateStatus,
};
use portfolio_domain::highlights::{
    HighlightContext, HighlightDraft, HighlightInput, HighlightReport, MilestoneDraft, Month,
};
use portfolio_domain::intake::{Priority, PriorityDraft, PriorityFilter, PriorityStatus};
use portfolio_domain::meetings::{
    auto_agenda, AgendaItemDraft, AgendaItemInput, AgendaKind, Body, DecisionDraft,
    MeetingActionDraft, MeetingDraft, MeetingInput, Pending,
};
use portfolio_domain::organisation::{Department, Organisation, Theme};
use portfolio_domain::project::{CostDraft, Reference};
use portfolio_domain::raid::ActionStatus;
use portfolio_domain::tokens::TokenScope;
use portfolio_domain::{
    DeliveryConfidence, FinancialYear, GovUkPhase, Project, ProjectDraft, ProjectInput, Role,
    Scope, Stage, ValidationErrors,
};
use portfolio_store::{
    Actor, Backend, ConnectOptions, GateRequestFilter, ImportCounts, ImportedRow, NewProject,
    RowOrigin, Store, StoreError, TriageDecision, Triaged,
};
use portfolio_testdb::{redact, PostgresDatabase};

const ACTOR_LABEL: &str = "tester@northmere.example";

// ---------------------------------------------------------------------------
// Test databases
// ---------------------------------------------------------------------------

/// What to remove when a test is over.
enum Cleanup {
    Sqlite { dir: PathBuf },
    Postgres(PostgresDatabase),
}

impl Cleanup {
    async fn run(self) -> Result<(), String> {
        match self {
            Cleanup::Sqlite { dir } => std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("could not remove {}: {e}", dir.display())),
            Cleanup::Postgres(database) => database.drop_database().await,
        }
    }
}

/// A store on a fresh database, and what to remove afterwards.
struct TestDb {
    store: Store,
    /// The SQLite test's own temp directory (None on PostgreSQL).
    dir: Option<PathBuf>,
    cleanup: Option<Cleanup>,
}

impl TestDb {
    /// Closes the store, then removes the database. Fails the test if it cannot.
    async fn cleanup(mut self) {
        self.store.close().await;
        if let Some(cleanup) = self.cleanup.take() {
            if let Err(e) = cleanup.run().await {
                panic!("test clean-up failed: {e}");
            }
        }
    }
}

impl Drop for TestDb {
    /// A test that panicked never reached `cleanup`: remove its database anyway,
    /// on a thread of its own (this may run inside the test's runtime).
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            let done = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(cleanup.run())
            })
            .join();
            if let Ok(Err(e)) = done {
                eprintln!("test clean-up failed: {e}");
            }
        }
    }
}

async fn sqlite_store() -> TestDb {
    let dir = std::env::temp_dir().join(format!(
        "portfolio-store-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("could not create {}: {e}", dir.display()));
    let url = format!("sqlite://{}/test.sqlite", dir.display());
    let cleanup = Some(Cleanup::Sqlite { dir: dir.clone() });
    let store = match Store::connect(&url, &ConnectOptions::default()).await {
        Ok(store) => store,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            panic!("could not open the SQLite test database {url}: {e}");
        }
    };
    assert_eq!(store.backend(), Backend::Sqlite);
    TestDb {
        store,
        dir: Some(dir),
        cleanup,
    }
}

async fn postgres_store() -> TestDb {
    let database = PostgresDatabase::create("portfolio_test").await;
    let url = database.url.clone();
    let cleanup = Cleanup::Postgres(database);
    let store = match Store::connect(&url, &ConnectOptions::default()).await {
        Ok(store) => store,
        Err(e) => {
            let _ = cleanup.run().await;
            panic!(
                "could not connect to the test database at {}: {e}",
                redact(&url)
            );
        }
    };
    assert_eq!(store.backend(), Backend::Postgres);
    TestDb {
        store,
        dir: None,
        cleanup: Some(cleanup),
    }
}

/// Runs each named test body against SQLite (`mod sqlite`) and PostgreSQL (`mod postgres`).
macro_rules! backend_tests {
    (sqlite: $sqlite:ident, postgres: $postgres:ident; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::$sqlite().await;
                    super::$name(&db.store).await;
                    db.cleanup().await
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::$postgres().await;
                    super::$name(&db.store).await;
                    db.cleanup().await
                }
            )+
        }
    };
}

backend_tests!(
    sqlite: sqlite_store, postgres: postgres_store;
    migrating_twice_is_harmless_and_ping_answers,
    creates_and_reads_a_project,
    assigns_codes_and_refuses_duplicates,
    updates_with_the_right_version_and_refuses_a_stale_one,
    a_refused_check_writes_nothing,
    lists_with_filters_search_sort_and_pages,
    counts_the_demo_programme,
    organisations_are_separate,
    users_sessions_and_tokens,
    tokens_expire_are_revoked_once_and_stay_in_their_organisation,
    a_role_and_scope_change_is_read_with_the_user_and_audited,
    hostile_text_is_stored_exactly,
    concurrent_updates_let_exactly_one_win,
    concurrent_creates_get_distinct_codes,
    concurrent_credential_changes_are_all_applied,
    creates_a_batch_all_or_nothing,
    versions_tell_readers_what_changed,
    imports_all_or_nothing_and_records_provenance,
    reimport_updates_instead_of_duplicating,
    an_import_refused_by_the_check_writes_nothing,
    submits_and_accepts_a_priority_into_the_register,
    links_and_declines_priorities,
    a_second_triage_is_refused_and_writes_nothing,
    concurrent_triages_let_exactly_one_win,
    merges_write_lineage_and_audit,
    a_stale_or_refused_merge_writes_nothing,
    undoing_a_merge_restores_every_project,
    undo_is_refused_after_a_later_edit_or_twice,
    uploads_keep_their_bytes_and_belong_to_their_uploader,
    upload_mappings_refuse_stale_writes_and_save_per_source,
    scenarios_keep_versions_and_refuse_stale_edits,
    scenario_runs_record_progress_cancel_and_results,
    a_recommended_run_is_versioned_audited_and_refused_when_not_succeeded,
    gate_checklists_default_and_refuse_stale_edits,
    an_approved_gate_moves_the_project_in_one_transaction,
    a_decision_on_a_project_that_moved_is_refused,
    a_board_decision_on_a_gate_moves_the_project_and_is_logged,
    meeting_actions_and_dates_are_checked_and_versioned,
    the_latest_highlight_report_sets_the_projects_confidence,
    reports_and_branding_are_versioned_and_audited,
    sso_logins_are_single_use_and_identities_link_once,
);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn actor() -> Actor {
    Actor {
        user_id: None,
        label: ACTOR_LABEL.to_string(),
    }
}

/// An organisation with the demo's departments and themes.
struct Org {
    org: Organisation,
    departments: Vec<Department>,
    themes: Vec<Theme>,
}

impl Org {
    fn id(&self) -> i64 {
        self.org.id
    }

    fn reference(&self) -> Reference<'_> {
        Reference {
            departments: &self.departments,
            themes: &self.themes,
        }
    }

    fn validate(&self, draft: &ProjectDraft) -> ProjectInput {
        draft
            .validate(&self.reference())
            .unwrap_or_else(|e| panic!("draft '{}' does not validate: {e}", draft.title))
    }

    async fn create(&self, store: &Store, draft: &ProjectDraft) -> Project {
        let input = self.validate(draft);
        store
            .create_project(self.id(), &self.org.project_code_prefix, &input, &actor())
            .await
            .unwrap_or_else(|e| panic!("could not create '{}': {e}", draft.title))
    }

    async fn total(&self, store: &Store) -> i64 {
        store
            .project_counts(self.id())
            .await
            .expect("project counts")
            .total
    }
}

async fn new_org(store: &Store, slug: &str, prefix: &str) -> Org {
    let org = store
        .create_organisation(slug, &format!("{slug} council"), prefix, &actor())
        .await
        .expect("create organisation");
    for (dept_slug, name) in DEPARTMENTS {
        store
            .create_department(org.id, dept_slug, name, &actor())
            .await
            .expect("create department");
    }
    for (theme_slug, name, description) in THEMES {
        store
            .create_theme(org.id, theme_slug, name, description, &actor())
            .await
            .expect("create theme");
    }
    let departments = store.departments(org.id).await.expect("departments");
    let themes = store.themes(org.id).await.expect("themes");
    assert_eq!(departments.len(), DEPARTMENTS.len());
    assert_eq!(themes.len(), THEMES.len());
    Org {
        org,
        departments,
        themes,
    }
}

/// Migrates the store and creates the organisation "northmere" (prefix DP).
async fn migrated_org(store: &Store) -> Org {
    store.migrate().await.expect("migrate");
    new_org(store, "northmere", "DP").await
}

/// A small valid draft in concept, without a code.
fn draft(title: &str) -> ProjectDraft {
    ProjectDraft {
        title: title.to_string(),
        department: DEPARTMENTS[0].0.to_string(),
        stage: "concept".to_string(),
        ..ProjectDraft::default()
    }
}

/// A change to a stored project, validated against its organisation.
fn edit(org: &Org, project: &Project, change: impl FnOnce(&mut ProjectDraft)) -> ProjectInput {
    let mut draft = project.to_draft();
    change(&mut draft);
    org.validate(&draft)
}

/// Updates with the domain's update rules as the check.
async fn update(
    store: &Store,
    org: &Org,
    code: &str,
    version: i64,
    input: &ProjectInput,
) -> Result<Result<Project, ValidationErrors>, StoreError> {
    store
        .update_project(
            org.id(),
            code,
            version,
            input,
            "updated",
            &actor(),
            |current| input.check_update(current),
        )
        .await
}

/// Ann, a viewer of the organisation, with the password hash "hash-0".
async fn viewer_ann(store: &Store, org: &Org) -> portfolio_domain::organisation::User {
    store
        .create_user(
            org.id(),
            "ann@northmere.example",
            "Ann",
            Role::Viewer,
            "hash-0",
            &actor(),
        )
        .await
        .unwrap()
}

fn query(q: ProjectQuery) -> ProjectFilter {
    q.parse(50)
        .unwrap_or_else(|e| panic!("bad query {q:?}: {e}"))
}

fn codes(projects: &[Project]) -> Vec<String> {
    projects.iter().map(|p| p.code.clone()).collect()
}

// ---------------------------------------------------------------------------
// 1. Migrations and ping
// ---------------------------------------------------------------------------

async fn migrating_twice_is_harmless_and_ping_answers(store: &Store) {
    store.ping().await.expect("ping before migrating");
    let org = migrated_org(store).await;
    let project = org
        .create(store, &draft("Before the second migration"))
        .await;
    store
        .migrate()
        .await
        .expect("a second migration changes nothing and succeeds");
    store.migrate().await.expect("and a third");
    store.ping().await.expect("ping after migrating");
    assert_eq!(
        store.organisation_by_slug("northmere").await.unwrap(),
        org.org
    );
    assert_eq!(store.list_organisations().await.unwrap().len(), 1);
    assert_eq!(
        store.departments(org.id()).await.unwrap().len(),
        DEPARTMENTS.len()
    );
    assert_eq!(
        store.project(org.id(), &project.code).await.unwrap(),
        project
    );
}

// ---------------------------------------------------------------------------
// 2. Create and read back
// ---------------------------------------------------------------------------

async fn creates_and_reads_a_project(store: &Store) {
    let org = migrated_org(store).await;
    let draft = ProjectDraft {
        code: Some("dp-042".into()),
        title: "Virtual social work assessments".into(),
        summary: "Assessments by video call.\nFewer journeys for residents.".into(),
        department: "families-and-communities".into(),
        themes: vec!["communities".into(), "virtual-service-delivery".into()],
        stage: "design".into(),
        phase: Some("alpha".into()),
        sponsor: "Director of Children's Services".into(),
        manager: "Aisha Okafor".into(),
        start_date: Some("2026-04-01".into()),
        end_date: Some("2028-03-31".into()),
        costs: vec![
            CostDraft {
                year: "2027/28".into(),
                capital_pence: 999_999_999_999,
                revenue_pence: 1,
            },
            CostDraft {
                year: "2026/27".into(),
                capital_pence: 12_345_678_901,
                revenue_pence: 250_037,
            },
        ],
        confidence: Some("Amber/Red".into()),
        tags: vec!["Teams".into(), "statutory".into()],
        published: true,
        residents: "You can book a video assessment.\n\nNo home visit needed.".into(),
    };
    let created = org.create(store, &draft).await;
    let read = store
        .project(org.id(), "DP-042")
        .await
        .expect("read back by code");
    assert_eq!(read, created, "what create returns is what is stored");

    assert_eq!(read.code, "DP-042");
    assert_eq!(read.organisation_id, org.id());
    assert_eq!(read.title, "Virtual social work assessments");
    assert_eq!(
        read.summary,
        "Assessments by video call.\nFewer journeys for residents."
    );
    assert_eq!(
        read.residents,
        "You can book a video assessment.\n\nNo home visit needed."
    );
    assert_eq!(read.department.slug, "families-and-communities");
    assert_eq!(read.department.name, "Families and Communities");
    let theme_slugs: BTreeSet<&str> = read.themes.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(
        theme_slugs,
        BTreeSet::from(["communities", "virtual-service-delivery"])
    );
    assert_eq!(read.stage, Stage::Design);
    assert_eq!(read.phase, Some(GovUkPhase::Alpha));
    assert_eq!(read.sponsor, "Director of Children's Services");
    assert_eq!(read.manager, "Aisha Okafor");
    assert_eq!(read.start_date, NaiveDate::from_ymd_opt(2026, 4, 1));
    assert_eq!(read.end_date, NaiveDate::from_ymd_opt(2028, 3, 31));
    let costs: Vec<(String, i64, i64)> = read
        .costs
        .iter()
        .map(|c| {
            (
                c.year.to_string(),
                c.capital_pence.pence(),
                c.revenue_pence.pence(),
            )
        })
        .collect();
    assert_eq!(
        costs,
        vec![
            ("2026/27".to_string(), 12_345_678_901, 250_037),
            ("2027/28".to_string(), 999_999_999_999, 1),
        ],
        "costs come back to the penny, in year order"
    );
    assert_eq!(
        read.total_cost().pence(),
        12_345_678_901 + 250_037 + 999_999_999_999 + 1
    );
    assert_eq!(read.confidence, Some(DeliveryConfidence::AmberRed));
    assert_eq!(
        read.tags,
        vec!["teams".to_string(), "statutory".to_string()]
    );
    assert!(read.published);
    assert_eq!(read.version, 1);
    assert_eq!(read.created_at, read.updated_at);
    assert!((Utc::now() - read.created_at).num_seconds().abs() < 60);

    let history = store.history(org.id(), "project", read.id).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    let entry = &history[0];
    assert_eq!(entry.action, "created");
    assert_eq!(entry.actor, ACTOR_LABEL);
    assert_eq!(entry.entity, "project");
    assert_eq!(entry.entity_id, read.id);
    assert_eq!(entry.before, None);
    let after = entry.after.as_ref().expect("after JSON");
    assert_eq!(after["title"], "Virtual social work assessments");
    assert_eq!(after["code"], "DP-042");
    assert_eq!(after["version"], 1);

    assert!(matches!(
        store.project(org.id(), "DP-043").await,
        Err(StoreError::NotFound { entity: "project" })
    ));
}

// ---------------------------------------------------------------------------
// 3. Codes
// ---------------------------------------------------------------------------

async fn assigns_codes_and_refuses_duplicates(store: &Store) {
    let org = migrated_org(store).await;
    let first = store
        .create_project(org.id(), "DP", &org.validate(&draft("First")), &actor())
        .await
        .unwrap();
    let second = store
        .create_project(org.id(), "DP", &org.validate(&draft("Second")), &actor())
        .await
        .unwrap();
    assert_eq!(
        (first.code.as_str(), second.code.as_str()),
        ("DP-001", "DP-002")
    );

    // The prefix comes from the caller.
    let other = store
        .create_project(org.id(), "ICT", &org.validate(&draft("Third")), &actor())
        .await
        .unwrap();
    assert_eq!(other.code, "ICT-003");

    // After a code given by hand, numbering carries on above it.
    let mut by_hand = draft("Imported");
    by_hand.code = Some("DP-010".into());
    org.create(store, &by_hand).await;
    assert_eq!(org.create(store, &draft("Next")).await.code, "DP-011");

    let projects_before = org.total(store).await;
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let mut duplicate = draft("A different project with a taken code");
    duplicate.code = Some("dp-002".into());
    duplicate.costs = vec![CostDraft {
        year: "2026/27".into(),
        capital_pence: 5,
        revenue_pence: 5,
    }];
    duplicate.themes = vec!["communities".into()];
    match store
        .create_project(org.id(), "DP", &org.validate(&duplicate), &actor())
        .await
    {
        Err(StoreError::Duplicate {
            field: "code",
            value,
        }) => assert_eq!(value, "DP-002"),
        other => panic!("expected a duplicate code, got {other:?}"),
    }
    assert_eq!(
        org.total(store).await,
        projects_before,
        "no project was written"
    );
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audit_before,
        "no audit record was written"
    );
    assert_eq!(
        store.project(org.id(), "DP-002").await.unwrap(),
        second,
        "the holder of the code is untouched"
    );
}

// ---------------------------------------------------------------------------
// 4. Updates and optimistic concurrency
// ---------------------------------------------------------------------------

async fn updates_with_the_right_version_and_refuses_a_stale_one(store: &Store) {
    let org = migrated_org(store).await;
    let mut original = draft("Case management replacement");
    original.confidence = Some("amber".into());
    original.costs = vec![CostDraft {
        year: "2026/27".into(),
        capital_pence: 100,
        revenue_pence: 200,
    }];
    let v1 = org.create(store, &original).await;

    // Alice edits from version 1.
    let alice = edit(&org, &v1, |d| {
        d.title = "Case management system replacement".into();
        d.confidence = Some("green".into());
    });
    let v2 = update(store, &org, &v1.code, 1, &alice)
        .await
        .expect("no conflict")
        .expect("the update rules allow it");
    assert_eq!(v2.version, 2);
    assert_eq!(v2.title, "Case management system replacement");
    assert_eq!(v2.confidence, Some(DeliveryConfidence::Green));
    assert_eq!(v2.costs, v1.costs);
    assert_eq!(v2.created_at, v1.created_at);
    assert!(v2.updated_at >= v1.updated_at);
    assert_eq!(store.project(org.id(), &v1.code).await.unwrap(), v2);

    let history = store.history(org.id(), "project", v1.id).await.unwrap();
    assert_eq!(history.len(), 2);
    let change = &history[1];
    assert_eq!(change.action, "updated");
    assert_eq!(change.actor, ACTOR_LABEL);
    assert_eq!(
        change.before.as_ref().unwrap()["title"],
        "Case management replacement"
    );
    assert_eq!(change.before.as_ref().unwrap()["version"], 1);
    assert_eq!(
        change.after.as_ref().unwrap()["title"],
        "Case management system replacement"
    );
    assert_eq!(change.after.as_ref().unwrap()["version"], 2);
    assert_eq!(
        change.changed_fields(),
        vec!["confidence".to_string(), "title".to_string()]
    );

    // Bob also started from version 1: refused, shown Alice's version.
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let bob = edit(&org, &v1, |d| d.title = "Bob's title".into());
    match update(store, &org, &v1.code, 1, &bob).await {
        Err(StoreError::Conflict {
            entity,
            current_version,
            current,
        }) => {
            assert_eq!(entity, "project");
            assert_eq!(current_version, 2);
            assert_eq!(
                *current,
                Some(v2.clone()),
                "the conflict carries the stored version"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.project(org.id(), &v1.code).await.unwrap(),
        v2,
        "Alice's change is not lost"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);

    // Updating a project that does not exist.
    assert!(matches!(
        update(store, &org, "DP-999", 1, &bob).await,
        Err(StoreError::NotFound { entity: "project" })
    ));
}

// ---------------------------------------------------------------------------
// 5. A refused check
// ---------------------------------------------------------------------------

async fn a_refused_check_writes_nothing(store: &Store) {
    let org = migrated_org(store).await;
    let project = org.create(store, &draft("Stage rules")).await;
    let audit_before = store.audit_count(org.id()).await.unwrap();

    // concept → live skips stages: the domain refuses, inside the store's transaction.
    let skip = edit(&org, &project, |d| {
        d.stage = "live".into();
        d.title = "Should not be saved".into();
    });
    let refused = update(store, &org, &project.code, 1, &skip)
        .await
        .expect("no conflict")
        .expect_err("the stage rule refuses");
    assert!(refused.for_field("stage").is_some(), "{refused}");

    // A caller's own check refusing works the same way.
    let other = edit(&org, &project, |d| d.title = "Also not saved".into());
    let refused: Result<Project, &str> = store
        .update_project(
            org.id(),
            &project.code,
            1,
            &other,
            "updated",
            &actor(),
            |_| Err("no"),
        )
        .await
        .expect("no conflict");
    assert_eq!(refused, Err("no"));

    let stored = store.project(org.id(), &project.code).await.unwrap();
    assert_eq!(stored, project, "nothing changed");
    assert_eq!(stored.version, 1);
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
    assert_eq!(
        store
            .history(org.id(), "project", project.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // The allowed move (concept → design) goes through from the same version.
    let step = edit(&org, &project, |d| d.stage = "design".into());
    let moved = update(store, &org, &project.code, 1, &step)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((moved.stage, moved.version), (Stage::Design, 2));
}

// ---------------------------------------------------------------------------
// 6. The register list
// ---------------------------------------------------------------------------

const NAMES: [&str; 25] = [
    "Kestrel", "apple", "Zebra", "mango", "Birch", "otter", "Quartz", "lemon", "Falcon", "heron",
    "Xylo", "daisy", "Juniper", "cobalt", "Walnut", "ember", "Nutmeg", "yarrow", "Indigo",
    "pebble", "Saffron", "garnet", "Umber", "violet", "Radish",
];
const LIST_STAGES: [&str; 3] = ["concept", "design", "delivery"];
const LIST_CONFIDENCE: [Option<&str>; 4] = [None, Some("green"), Some("amber"), Some("red")];

fn list_draft(i: usize) -> ProjectDraft {
    let summary = match i {
        3 => "Cuts paper use by 100% in Libraries".to_string(),
        4 => "Cuts PAPER use by 1000 sheets in libraries".to_string(),
        9 => "Paper forms, but nowhere near a library".to_string(),
        _ => format!("Improves the {} service", NAMES[i]),
    };
    let tags = match i {
        5 => vec!["case_work".to_string()],
        6 => vec!["case-work".to_string()],
        7 => vec!["Teams".to_string()],
        _ => Vec::new(),
    };
    ProjectDraft {
        title: format!("{} programme", NAMES[i]),
        summary,
        department: DEPARTMENTS[i % 5].0.to_string(),
        themes: vec![THEMES[i % 3].0.to_string()],
        stage: LIST_STAGES[i % 3].to_string(),
        confidence: LIST_CONFIDENCE[i % 4].map(str::to_string),
        costs: vec![CostDraft {
            year: "2026/27".into(),
            // Distinct totals, in an order unrelated to the codes.
            capital_pence: ((i as i64 * 7) % 25) * 100_000,
            revenue_pence: i as i64,
        }],
        tags,
        ..ProjectDraft::default()
    }
}

fn list_total(i: usize) -> i64 {
    ((i as i64 * 7) % 25) * 100_000 + i as i64
}

fn code_of(i: usize) -> String {
    format!("DP-{:03}", i + 1)
}

fn expected(keep: impl Fn(usize) -> bool) -> Vec<String> {
    (0..25).filter(|&i| keep(i)).map(code_of).collect()
}

async fn lists_with_filters_search_sort_and_pages(store: &Store) {
    let org = migrated_org(store).await;
    for i in 0..25 {
        assert_eq!(org.create(store, &list_draft(i)).await.code, code_of(i));
    }
    let org_id = org.id();
    let list = move |q: ProjectQuery| async move {
        let page = store.list_projects(org_id, &query(q)).await.expect("list");
        (codes(&page.projects), page.total)
    };

    // No filter: everything, in code order.
    let (all, total) = list(ProjectQuery::default()).await;
    assert_eq!((all, total), (expected(|_| true), 25));

    // Listed projects carry their themes and costs like a single read.
    let page = store
        .list_projects(org.id(), &ProjectFilter::default())
        .await
        .unwrap();
    for p in &page.projects[..3] {
        assert_eq!(p, &store.project(org.id(), &p.code).await.unwrap());
    }

    // Filters.
    let by = |stage: Option<&str>,
              department: Option<&str>,
              theme: Option<&str>,
              confidence: Option<&str>| ProjectQuery {
        stage: stage.map(str::to_string),
        department: department.map(str::to_string),
        theme: theme.map(str::to_string),
        confidence: confidence.map(str::to_string),
        ..ProjectQuery::default()
    };
    let design = expected(|i| i % 3 == 1);
    assert_eq!(
        list(by(Some("design"), None, None, None)).await,
        (design.clone(), design.len() as i64)
    );
    let dept = expected(|i| i % 5 == 1);
    assert_eq!(
        list(by(None, Some(DEPARTMENTS[1].0), None, None)).await,
        (dept.clone(), 5)
    );
    let theme = expected(|i| i % 3 == 2);
    assert_eq!(
        list(by(None, None, Some(THEMES[2].0), None)).await,
        (theme.clone(), theme.len() as i64)
    );
    let amber = expected(|i| i % 4 == 2);
    assert_eq!(
        list(by(None, None, None, Some("amber"))).await,
        (amber.clone(), amber.len() as i64)
    );
    let combined = expected(|i| i % 3 == 1 && i % 5 == 1);
    assert_eq!(combined, vec!["DP-002".to_string(), "DP-017".to_string()]);
    assert_eq!(
        list(by(Some("design"), Some(DEPARTMENTS[1].0), None, None)).await,
        (combined, 2)
    );
    assert_eq!(list(by(Some("live"), None, None, None)).await, (vec![], 0));
    assert_eq!(
        list(by(None, Some("no-such-department"), None, None)).await,
        (vec![], 0)
    );

    // Free text: every word must match, any case, in title, summary or tags.
    let search = |q: &str| ProjectQuery {
        q: Some(q.to_string()),
        ..ProjectQuery::default()
    };
    let codes_of = |is: &[usize]| is.iter().map(|&i| code_of(i)).collect::<Vec<_>>();
    assert_eq!(list(search("PAPER")).await.0, codes_of(&[3, 4, 9]));
    assert_eq!(
        list(search("paper Libraries")).await.0,
        codes_of(&[3, 4]),
        "words are ANDed"
    );
    assert_eq!(
        list(search("libraries paper cuts")).await.0,
        codes_of(&[3, 4]),
        "in any order"
    );
    assert_eq!(
        list(search("kestrel")).await.0,
        codes_of(&[0]),
        "titles match"
    );
    assert_eq!(list(search("teams")).await.0, codes_of(&[7]), "tags match");
    assert_eq!(
        list(search("dp-013")).await.0,
        codes_of(&[12]),
        "codes match"
    );
    assert_eq!(list(search("paper zebra")).await, (vec![], 0));
    // `%` and `_` are the characters typed, not wildcards.
    assert_eq!(list(search("100%")).await.0, codes_of(&[3]));
    assert_eq!(list(search("%")).await.0, codes_of(&[3]));
    assert_eq!(list(search("case_work")).await.0, codes_of(&[5]));
    assert_eq!(list(search("_")).await.0, codes_of(&[5]));
    assert_eq!(list(search("case-work")).await.0, codes_of(&[6]));
    assert_eq!(list(search("\\")).await.0, Vec::<String>::new());
    // Search combines with filters.
    let (found, total) = list(ProjectQuery {
        q: Some("paper".into()),
        stage: Some("delivery".into()),
        ..ProjectQuery::default()
    })
    .await;
    assert_eq!((found, total), (codes_of(&[]), 0)); // 3, 4 and 9 are concept, design and concept
    let (found, total) = list(ProjectQuery {
        q: Some("paper".into()),
        stage: Some("concept".into()),
        ..ProjectQuery::default()
    })
    .await;
    assert_eq!((found, total), (codes_of(&[3, 9]), 2));

    // Sorting.
    let sorted = |sort: &str| ProjectQuery {
        sort: Some(sort.to_string()),
        ..ProjectQuery::default()
    };
    let mut by_title: Vec<usize> = (0..25).collect();
    by_title.sort_by_key(|&i| format!("{} programme", NAMES[i]).to_lowercase());
    assert_eq!(
        list(sorted("title")).await.0,
        codes_of(&by_title),
        "titles sort ignoring case"
    );
    by_title.reverse();
    assert_eq!(list(sorted("-title")).await.0, codes_of(&by_title));
    let mut by_cost: Vec<usize> = (0..25).collect();
    by_cost.sort_by_key(|&i| list_total(i));
    assert_eq!(list(sorted("total_cost")).await.0, codes_of(&by_cost));
    by_cost.reverse();
    assert_eq!(list(sorted("-total_cost")).await.0, codes_of(&by_cost));
    let mut by_stage: Vec<usize> = (0..25).collect();
    by_stage.sort_by_key(|&i| (i % 3, i)); // concept, design, delivery; then code
    assert_eq!(list(sorted("stage")).await.0, codes_of(&by_stage));
    let mut by_stage_desc: Vec<usize> = (0..25).collect();
    by_stage_desc.sort_by_key(|&i| (std::cmp::Reverse(i % 3), i));
    assert_eq!(list(sorted("-stage")).await.0, codes_of(&by_stage_desc));
    assert_eq!(
        list(sorted("-code")).await.0,
        expected(|_| true).into_iter().rev().collect::<Vec<_>>()
    );

    // Pages.
    let paged = |page: &str| ProjectQuery {
        page: Some(page.to_string()),
        limit: Some("10".into()),
        ..ProjectQuery::default()
    };
    assert_eq!(list(paged("1")).await, (expected(|i| i < 10), 25));
    assert_eq!(
        list(paged("2")).await,
        (expected(|i| (10..20).contains(&i)), 25)
    );
    assert_eq!(list(paged("3")).await, (expected(|i| i >= 20), 25));
    assert_eq!(
        list(paged("4")).await,
        (vec![], 25),
        "past the end: no rows, same total"
    );
    assert_eq!(list(paged("1000")).await, (vec![], 25));
    // A sorted, filtered page.
    let (page2, total) = list(ProjectQuery {
        stage: Some("concept".into()),
        sort: Some("-total_cost".into()),
        page: Some("2".into()),
        limit: Some("3".into()),
        ..ProjectQuery::default()
    })
    .await;
    let mut concept: Vec<usize> = (0..25).filter(|i| i % 3 == 0).collect();
    concept.sort_by_key(|&i| std::cmp::Reverse(list_total(i)));
    assert_eq!(
        (page2, total),
        (codes_of(&concept[3..6]), concept.len() as i64)
    );

    // all_projects sees every project, in code order.
    assert_eq!(
        codes(&store.all_projects(org.id()).await.unwrap()),
        expected(|_| true)
    );
}

// ---------------------------------------------------------------------------
// 7. Dashboard counts
// ---------------------------------------------------------------------------

async fn counts_the_demo_programme(store: &Store) {
    let org = migrated_org(store).await;
    let empty = store.project_counts(org.id()).await.unwrap();
    let dashboard = Dashboard::assemble(&empty, &org.departments, &org.themes)
        .expect("an empty dashboard adds up");
    assert_eq!(dashboard.total, 0);

    let drafts = demo::projects();
    assert_eq!(drafts.len(), 76);
    for d in &drafts {
        org.create(store, d).await;
    }
    let counts = store.project_counts(org.id()).await.unwrap();
    let dashboard =
        Dashboard::assemble(&counts, &org.departments, &org.themes).expect("the counts add up");
    assert_eq!(dashboard.total, 76);
    assert_eq!(dashboard.stage_count(Stage::Concept), 28);
    assert_eq!(dashboard.stage_count(Stage::Design), 27);
    assert_eq!(dashboard.stage_count(Stage::Delivery), 21);
    assert_eq!(dashboard.stage_count(Stage::Live), 0);
    assert_eq!(dashboard.by_department.len(), DEPARTMENTS.len());
    assert_eq!(
        dashboard.by_department.iter().map(|d| d.total).sum::<i64>(),
        76
    );
    assert_eq!(
        dashboard.by_confidence.iter().map(|c| c.count).sum::<i64>(),
        76
    );

    // The dashboard agrees with the register list and with the drafts.
    for row in &dashboard.by_department {
        let listed = store
            .list_projects(
                org.id(),
                &query(ProjectQuery {
                    department: Some(row.slug.clone()),
                    ..ProjectQuery::default()
                }),
            )
            .await
            .unwrap();
        assert_eq!(listed.total, row.total, "department {}", row.slug);
        let drafted = drafts.iter().filter(|d| d.department == row.slug).count() as i64;
        assert_eq!(row.total, drafted, "department {}", row.slug);
    }
    for theme in &dashboard.by_theme {
        let drafted = drafts
            .iter()
            .filter(|d| d.themes.contains(&theme.slug))
            .count() as i64;
        assert_eq!(theme.count, drafted, "theme {}", theme.slug);
    }
    for stage in [Stage::Concept, Stage::Design, Stage::Delivery] {
        let listed = store
            .list_projects(
                org.id(),
                &query(ProjectQuery {
                    stage: Some(stage.as_str().into()),
                    ..ProjectQuery::default()
                }),
            )
            .await
            .unwrap();
        assert_eq!(listed.total, dashboard.stage_count(stage), "{stage:?}");
    }
    let unrated = dashboard
        .by_confidence
        .iter()
        .find(|c| c.confidence.is_none())
        .unwrap();
    assert_eq!(
        unrated.count,
        drafts.iter().filter(|d| d.confidence.is_none()).count() as i64
    );
}

// ---------------------------------------------------------------------------
// 8. Organisations
// ---------------------------------------------------------------------------

async fn organisations_are_separate(store: &Store) {
    store.migrate().await.unwrap();
    let a = new_org(store, "northmere", "DP").await;
    let b = new_org(store, "southmere", "DP").await;
    assert_ne!(
        a.departments[0].id, b.departments[0].id,
        "each organisation has its own departments"
    );

    for title in ["Northmere one", "Northmere two", "Northmere three"] {
        a.create(store, &draft(title)).await;
    }
    let mut same_code = draft("Southmere one");
    same_code.code = Some("DP-001".into());
    let b1 = b.create(store, &same_code).await;
    assert_eq!(
        b1.code, "DP-001",
        "the same code may exist in two organisations"
    );
    assert_eq!(
        b.create(store, &draft("Southmere two")).await.code,
        "DP-002",
        "numbering is per organisation"
    );

    let a_list = store
        .list_projects(a.id(), &ProjectFilter::default())
        .await
        .unwrap();
    let b_list = store
        .list_projects(b.id(), &ProjectFilter::default())
        .await
        .unwrap();
    assert_eq!((a_list.total, b_list.total), (3, 2));
    assert!(a_list
        .projects
        .iter()
        .all(|p| p.organisation_id == a.id() && p.title.starts_with("Northmere")));
    assert!(b_list
        .projects
        .iter()
        .all(|p| p.organisation_id == b.id() && p.title.starts_with("Southmere")));

    assert_eq!(
        store.project(a.id(), "DP-001").await.unwrap().title,
        "Northmere one"
    );
    assert_eq!(
        store.project(b.id(), "DP-001").await.unwrap().title,
        "Southmere one"
    );
    assert!(matches!(
        store.project(b.id(), "DP-003").await,
        Err(StoreError::NotFound { .. })
    ));
    let search = query(ProjectQuery {
        q: Some("northmere".into()),
        ..ProjectQuery::default()
    });
    assert_eq!(store.list_projects(b.id(), &search).await.unwrap().total, 0);

    assert_eq!(a.total(store).await, 3);
    assert_eq!(b.total(store).await, 2);
    let b_dashboard = Dashboard::assemble(
        &store.project_counts(b.id()).await.unwrap(),
        &b.departments,
        &b.themes,
    )
    .unwrap();
    assert_eq!(b_dashboard.total, 2);

    // Org B cannot update or see the history of org A's project through its own id.
    let a3 = store.project(a.id(), "DP-003").await.unwrap();
    let input = b.validate(&draft("Hijacked"));
    assert!(matches!(
        update(store, &b, "DP-003", 1, &input).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .history(b.id(), "project", a3.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.project(a.id(), "DP-003").await.unwrap(), a3);

    // Updating B's DP-001 leaves A's DP-001 alone.
    let a1 = store.project(a.id(), "DP-001").await.unwrap();
    let change = edit(&b, &b1, |d| d.title = "Southmere one, renamed".into());
    update(store, &b, "DP-001", 1, &change)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.project(a.id(), "DP-001").await.unwrap(), a1);

    assert!(matches!(
        store
            .create_organisation("northmere", "Again", "DP", &actor())
            .await,
        Err(StoreError::Duplicate { .. })
    ));
}

// ---------------------------------------------------------------------------
// 9. Users, sessions and tokens
// ---------------------------------------------------------------------------

async fn a_role_and_scope_change_is_read_with_the_user_and_audited(store: &Store) {
    let org = migrated_org(store).await;
    let other = store
        .create_organisation("elsewhere", "Elsewhere Council", "EC", &actor())
        .await
        .unwrap();
    let scope = Scope {
        departments: vec![org.departments[0].id],
        projects: vec![],
    };
    let sam = store
        .create_scoped_user(
            org.id(),
            "sam@northmere.example",
            "Sam",
            Role::DepartmentLead,
            &scope,
            "h",
            &actor(),
        )
        .await
        .unwrap();
    store
        .create_session(
            "sam-session",
            sam.id,
            "csrf",
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    let read = store
        .session("sam-session")
        .await
        .unwrap()
        .expect("session");
    assert_eq!(
        read.user.scope, scope,
        "the scope is read with the session's user"
    );
    assert_eq!(read.user.role, Role::DepartmentLead);

    // Another organisation cannot change Sam.
    let refused = store
        .update_user_role(other.id, sam.id, Role::Viewer, &Scope::default(), &actor())
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound { .. })),
        "{refused:?}"
    );

    let managed = Scope {
        departments: vec![],
        projects: vec![41, 42],
    };
    let after = store
        .update_user_role(org.id(), sam.id, Role::ProjectManager, &managed, &actor())
        .await
        .unwrap();
    assert_eq!((after.role, &after.scope), (Role::ProjectManager, &managed));
    let found = store
        .user_by_email("sam@northmere.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.scope, managed);
    assert!(
        store.session("sam-session").await.unwrap().is_none(),
        "a role change signs the user out"
    );
    let history = store.history(org.id(), "user", sam.id).await.unwrap();
    let change = history.last().expect("audited");
    assert_eq!(change.action, "role_changed");
    assert_eq!(change.before.as_ref().unwrap()["role"], "department_lead");
    assert_eq!(change.after.as_ref().unwrap()["role"], "project_manager");
    assert_eq!(
        change.after.as_ref().unwrap()["scope"]["projects"],
        serde_json::json!([41, 42])
    );
    // The same role and scope again writes nothing.
    store
        .update_user_role(org.id(), sam.id, Role::ProjectManager, &managed, &actor())
        .await
        .unwrap();
    assert_eq!(
        store.history(org.id(), "user", sam.id).await.unwrap().len(),
        history.len()
    );
}

async fn tokens_expire_are_revoked_once_and_stay_in_their_organisation(store: &Store) {
    let org = migrated_org(store).await;
    let other = store
        .create_organisation("elsewhere", "Elsewhere Council", "EC", &actor())
        .await
        .unwrap();
    let ann = store
        .create_user(
            org.id(),
            "ann@northmere.example",
            "Ann",
            Role::ProgrammeOffice,
            "h",
            &actor(),
        )
        .await
        .unwrap();
    let olu = store
        .create_user(
            other.id,
            "olu@elsewhere.example",
            "Olu",
            Role::Administrator,
            "h",
            &actor(),
        )
        .await
        .unwrap();
    let soon = Utc::now() + chrono::Duration::days(1);
    let expired = store
        .create_token(
            &ann,
            "old",
            TokenScope::Write,
            Utc::now() - chrono::Duration::seconds(1),
            "hash-expired",
            &actor(),
        )
        .await
        .unwrap();
    assert!(!expired.active(Utc::now()));
    assert!(
        store.user_by_token("hash-expired").await.unwrap().is_none(),
        "an expired token lets nobody in"
    );
    let live = store
        .create_token(&ann, "live", TokenScope::Write, soon, "hash-live", &actor())
        .await
        .unwrap();
    let theirs = store
        .create_token(
            &olu,
            "theirs",
            TokenScope::Admin,
            soon,
            "hash-theirs",
            &actor(),
        )
        .await
        .unwrap();
    let listed = store.organisation_tokens(org.id()).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["live", "old"],
        "newest first, only this organisation's"
    );
    assert!(store.token(org.id(), theirs.id).await.unwrap().is_none());

    // Another organisation cannot revoke it; its own can, once, audited.
    assert!(matches!(
        store.revoke_token(other.id, live.id, &actor()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.user_by_token("hash-live").await.unwrap().is_some());
    let revoked = store
        .revoke_token(org.id(), live.id, &actor())
        .await
        .unwrap()
        .expect("revoked");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.revoked_by.as_deref(), Some(actor().label.as_str()));
    assert!(store.user_by_token("hash-live").await.unwrap().is_none());
    let again = store
        .revoke_token(org.id(), live.id, &actor())
        .await
        .unwrap()
        .expect_err("a second revoke is refused");
    assert!(again.0[0].message.contains("already revoked by"), "{again}");
    let audit = store.history(org.id(), "api_token", live.id).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["created", "revoked"]
    );
    assert!(store.user_by_token("hash-theirs").await.unwrap().is_some());
}

async fn users_sessions_and_tokens(store: &Store) {
    let org = migrated_org(store).await;
    let ann = store
        .create_user(
            org.id(),
            "ann@northmere.example",
            "Ann Example",
            Role::ProgrammeOffice,
            "hash-1",
            &actor(),
        )
        .await
        .unwrap();
    assert!(!ann.disabled);
    let found = store
        .user_by_email("ann@northmere.example")
        .await
        .unwrap()
        .expect("found by email");
    assert_eq!(found.user, ann);
    assert_eq!(found.password_hash, "hash-1");
    assert!(store
        .user_by_email("nobody@northmere.example")
        .await
        .unwrap()
        .is_none());
    match store
        .create_user(
            org.id(),
            "ann@northmere.example",
            "Another Ann",
            Role::Viewer,
            "hash-x",
            &actor(),
        )
        .await
    {
        Err(StoreError::Duplicate {
            field: "email",
            value,
        }) => assert_eq!(value, "ann@northmere.example"),
        other => panic!("expected a duplicate email, got {other:?}"),
    }
    assert_eq!(store.users(org.id()).await.unwrap(), vec![ann.clone()]);

    // Sessions.
    let expires = Utc::now() + chrono::Duration::hours(8);
    store
        .create_session("session-1", ann.id, "csrf-1", expires)
        .await
        .unwrap();
    let session = store
        .session("session-1")
        .await
        .unwrap()
        .expect("a live session");
    assert_eq!(session.user, ann);
    assert_eq!(session.csrf_token, "csrf-1");
    assert!((session.expires_at - expires).num_milliseconds().abs() < 1);
    assert!(store.session("no-such-session").await.unwrap().is_none());
    store.delete_session("session-1").await.unwrap();
    assert!(
        store.session("session-1").await.unwrap().is_none(),
        "signed out"
    );

    store
        .create_session(
            "expired",
            ann.id,
            "csrf-2",
            Utc::now() - chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(
        store.session("expired").await.unwrap().is_none(),
        "an expired session is not returned"
    );
    assert_eq!(store.delete_expired_sessions().await.unwrap(), 1);

    // Tokens.
    let token = store
        .create_token(
            &ann,
            "CI export",
            TokenScope::Read,
            Utc::now() + chrono::Duration::days(30),
            "token-hash-1",
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(token.scope, TokenScope::Read);
    assert_eq!(token.name, "CI export");
    let listed = store.tokens(ann.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, token.id);
    assert!(listed[0].last_used_at.is_none());
    assert!(listed[0].revoked_at.is_none());
    assert_eq!(listed[0].user_email, "ann@northmere.example");
    assert!(store.user_by_token("unknown-hash").await.unwrap().is_none());
    let by_token = store.user_by_token("token-hash-1").await.unwrap().unwrap();
    assert_eq!(by_token.scope, TokenScope::Read);
    let signed_in = by_token.signed_in;
    assert_eq!(signed_in.user, ann);
    assert_eq!(
        signed_in.data_version,
        store.data_version(ann.organisation_id).await.unwrap(),
        "the token's caller comes with the organisation's current data version"
    );
    let used = store.tokens(ann.id).await.unwrap();
    let last_used = used[0].last_used_at.expect("last use recorded");
    assert!((Utc::now() - last_used).num_seconds().abs() < 60);

    // Disabling signs the user out everywhere and stops their tokens.
    store
        .create_session("session-2", ann.id, "csrf-3", expires)
        .await
        .unwrap();
    assert!(store.session("session-2").await.unwrap().is_some());
    let disabled = store
        .update_user_credentials(ann.id, None, Some(true), &actor())
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(store.session("session-2").await.unwrap().is_none());
    assert!(
        store.user_by_token("token-hash-1").await.unwrap().is_none(),
        "a disabled user's token fails"
    );
    assert!(
        store
            .user_by_email("ann@northmere.example")
            .await
            .unwrap()
            .unwrap()
            .user
            .disabled
    );

    // Re-enabled, the old session stays gone: it was deleted, not hidden.
    store
        .update_user_credentials(ann.id, None, Some(false), &actor())
        .await
        .unwrap();
    assert!(store.session("session-2").await.unwrap().is_none());
    assert_eq!(
        store
            .user_by_token("token-hash-1")
            .await
            .unwrap()
            .map(|t| t.signed_in.user.id),
        Some(ann.id)
    );

    // A password change is stored and signs out too.
    store
        .create_session("session-3", ann.id, "csrf-4", expires)
        .await
        .unwrap();
    store
        .update_user_credentials(ann.id, Some("hash-2"), None, &actor())
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_email("ann@northmere.example")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash-2"
    );
    assert!(store.session("session-3").await.unwrap().is_none());

    let actions: Vec<String> = store
        .history(org.id(), "user", ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec!["created", "disabled", "enabled", "password_changed"]
    );
    assert!(matches!(
        store
            .update_user_credentials(999_999, None, Some(true), &actor())
            .await,
        Err(StoreError::NotFound { entity: "user" })
    ));
}

// ---------------------------------------------------------------------------
// 10. Hostile text
// ---------------------------------------------------------------------------

async fn hostile_text_is_stored_exactly(store: &Store) {
    let org = migrated_org(store).await;
    let title = "<script>alert(1)</script> '; DROP TABLE projects; -- Zoë's café 🚀 日本語 \"quoted\" \\back\\slash";
    let summary = "Line one: 'single' \"double\" `tick`\nLine two: 100% of a_b; -- /* not a comment */\n\tTabbed 👩🏽‍💻 ñ";
    let mut hostile = draft(title);
    hostile.summary = summary.into();
    hostile.sponsor = "Robert'); DROP TABLE users;--".into();
    hostile.manager = "Ægir Þórsson".into();
    hostile.tags = vec!["🚀".into(), "o'brien".into(), "<b>bold</b>".into()];
    let created = org.create(store, &hostile).await;
    let read = store.project(org.id(), &created.code).await.unwrap();
    assert_eq!(read.title.as_bytes(), title.as_bytes());
    assert_eq!(read.summary.as_bytes(), summary.as_bytes());
    assert_eq!(read.sponsor, "Robert'); DROP TABLE users;--");
    assert_eq!(read.manager, "Ægir Þórsson");
    assert_eq!(
        read.tags,
        vec![
            "🚀".to_string(),
            "o'brien".to_string(),
            "<b>bold</b>".to_string()
        ]
    );
    assert_eq!(read, created);

    // The tables are all still there, and the text is searchable as typed.
    assert_eq!(org.total(store).await, 1);
    let org_id = org.id();
    let find = move |q: &str| {
        let filter = query(ProjectQuery {
            q: Some(q.to_string()),
            ..ProjectQuery::default()
        });
        async move { codes(&store.list_projects(org_id, &filter).await.unwrap().projects) }
    };
    for q in [
        "🚀",
        "drop table",
        "<script>",
        "ZOË'S",
        "日本語",
        "o'brien",
        "\\back\\slash",
    ] {
        assert_eq!(find(q).await, vec![created.code.clone()], "search for {q}");
    }
    let history = store
        .history(org.id(), "project", created.id)
        .await
        .unwrap();
    assert_eq!(history[0].after.as_ref().unwrap()["title"], title);

    // And through an update.
    let twice = format!("{title} ✔");
    let change = edit(&org, &read, |d| d.title = twice.clone());
    let updated = update(store, &org, &read.code, 1, &change)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.project(org.id(), &read.code).await.unwrap().title,
        twice
    );
    assert_eq!(updated.title, twice);
}

// ---------------------------------------------------------------------------
// 11. Backups
// ---------------------------------------------------------------------------

mod sqlite_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backup_sqlite_copies_a_live_database() {
        let db = sqlite_store().await;
        let store = &db.store;
        let org = migrated_org(store).await;
        for d in demo::projects().iter().take(10) {
            org.create(store, d).await;
        }
        let original = store.all_projects(org.id()).await.unwrap();
        // Keep a connection busy in a read while the copy is written.
        let reader = store.clone();
        let org_id = org.id();
        let busy = tokio::spawn(async move {
            for _ in 0..20 {
                reader
                    .list_projects(org_id, &ProjectFilter::default())
                    .await
                    .unwrap();
            }
        });
        let path = db.dir.as_ref().unwrap().join("backup.sqlite");
        let path_text = path.to_str().expect("a UTF-8 temp path").to_string();
        store
            .backup_sqlite(&path_text)
            .await
            .expect("VACUUM INTO while the pool is open");
        busy.await.unwrap();
        assert!(path.exists());

        // Writing to the original afterwards does not touch the copy.
        org.create(store, &draft("Written after the backup")).await;

        let copy = Store::connect(&format!("sqlite://{path_text}"), &ConnectOptions::default())
            .await
            .expect("open the copy");
        copy.migrate().await.expect("the copy is fully migrated");
        let restored = copy.all_projects(org.id()).await.unwrap();
        assert_eq!(restored, original, "the copy holds the same projects");
        assert_eq!(
            copy.organisation_by_slug("northmere").await.unwrap(),
            org.org
        );
        assert_eq!(
            copy.audit_count(org.id()).await.unwrap() + 1,
            store.audit_count(org.id()).await.unwrap()
        );
        copy.close().await;

        // A second backup to the same path is refused rather than overwriting.
        assert!(store.backup_sqlite(&path_text).await.is_err());
        db.cleanup().await;
    }
}

mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backup_sqlite_is_refused_on_postgres() {
        let db = postgres_store().await;
        db.store.migrate().await.unwrap();
        let path = std::env::temp_dir().join(format!(
            "portfolio-never-{}.sqlite",
            uuid::Uuid::new_v4().simple()
        ));
        match db.store.backup_sqlite(path.to_str().unwrap()).await {
            Err(StoreError::Database(sqlx::Error::Configuration(message))) => {
                assert!(message.to_string().contains("pg_dump"), "{message}");
            }
            other => panic!("expected backup_sqlite to refuse PostgreSQL, got {other:?}"),
        }
        assert!(!path.exists());
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------
// 12. Concurrent updates
// ---------------------------------------------------------------------------

async fn concurrent_updates_let_exactly_one_win(store: &Store) {
    let org = migrated_org(store).await;
    let project = org.create(store, &draft("Contended")).await;
    let mut tasks = Vec::new();
    for k in 0..8 {
        let store = store.clone();
        let input = edit(&org, &project, |d| d.title = format!("Edited by task {k}"));
        let org_id = org.id();
        let code = project.code.clone();
        tasks.push(tokio::spawn(async move {
            let result = store
                .update_project(org_id, &code, 1, &input, "updated", &actor(), |current| {
                    input.check_update(current)
                })
                .await;
            (k, result)
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.expect("task") {
            (k, Ok(Ok(p))) => {
                assert_eq!(p.version, 2);
                winners.push(k);
            }
            (
                _,
                Err(StoreError::Conflict {
                    current_version, ..
                }),
            ) => {
                assert_eq!(current_version, 2, "the loser sees the winner's version");
                conflicts += 1;
            }
            (k, other) => panic!("task {k}: unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one update wins: {winners:?}");
    assert_eq!(conflicts, 7);
    let stored = store.project(org.id(), &project.code).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.title, format!("Edited by task {}", winners[0]));
    assert_eq!(
        store
            .history(org.id(), "project", project.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

// ---------------------------------------------------------------------------
// 13. Concurrent creates and credential changes
// ---------------------------------------------------------------------------

async fn concurrent_creates_get_distinct_codes(store: &Store) {
    let org = migrated_org(store).await;
    let mut tasks = Vec::new();
    for k in 0..8 {
        let store = store.clone();
        let input = org.validate(&draft(&format!("Added at the same time {k}")));
        let org_id = org.id();
        tasks.push(tokio::spawn(async move {
            store.create_project(org_id, "DP", &input, &actor()).await
        }));
    }
    let mut created = BTreeSet::new();
    for task in tasks {
        let project = task
            .await
            .expect("task")
            .expect("a project without a code is always given a free one");
        created.insert(project.code);
    }
    let expected: BTreeSet<String> = (1..=8).map(|n| format!("DP-{n:03}")).collect();
    assert_eq!(created, expected);
    assert_eq!(org.total(store).await, 8);
}

async fn concurrent_credential_changes_are_all_applied(store: &Store) {
    let org = migrated_org(store).await;
    let ann = viewer_ann(store, &org).await;
    let mut tasks = Vec::new();
    for k in 1..=8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .update_user_credentials(ann.id, Some(&format!("hash-{k}")), None, &actor())
                .await
        }));
    }
    for task in tasks {
        task.await
            .expect("task")
            .expect("a credential change succeeds");
    }
    let stored = store
        .user_by_email("ann@northmere.example")
        .await
        .unwrap()
        .unwrap();
    let changes = store
        .history(org.id(), "user", ann.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "password_changed")
        .count();
    assert_eq!(changes, 8, "eight changes reported and audited");
    assert_eq!(
        stored.version,
        1 + 8,
        "so eight changes were made: none was silently lost"
    );
}

// ---------------------------------------------------------------------------
// 14. Batches of new projects (group commit, imports)
// ---------------------------------------------------------------------------

async fn creates_a_batch_all_or_nothing(store: &Store) {
    let org = migrated_org(store).await;
    org.create(store, &draft("Already there")).await; // DP-001
    let me = actor();
    let someone_else = Actor {
        user_id: None,
        label: "lead@northmere.example".into(),
    };
    let mut drafts: Vec<ProjectDraft> = (0..1_200).map(|i| draft(&format!("Batch {i}"))).collect();
    drafts[3].code = Some("DP-1500".into());
    drafts[4].themes = vec!["communities".into(), "smart-and-virtual-working".into()];
    drafts[4].costs = vec![CostDraft {
        year: "2026/27".into(),
        capital_pence: 12_345,
        revenue_pence: 6,
    }];
    let inputs: Vec<ProjectInput> = drafts.iter().map(|d| org.validate(d)).collect();
    let items: Vec<NewProject<'_>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| NewProject {
            input,
            actor: if i == 4 { &someone_else } else { &me },
        })
        .collect();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let version_before = store.data_version(org.id()).await.unwrap();
    let created = store
        .create_projects(org.id(), "DP", &items)
        .await
        .expect("a batch larger than one statement's rows is written");
    assert_eq!(created.len(), 1_200);
    // Numbers carry on above the highest asked for in the batch, in order.
    assert_eq!(created[0].code, "DP-1501");
    assert_eq!(created[3].code, "DP-1500");
    assert_eq!(created[4].code, "DP-1504");
    assert_eq!(created[1_199].code, "DP-2699");
    assert_eq!(org.total(store).await, 1_201);
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audit_before + 1_200,
        "one audit record per project"
    );
    assert!(store.data_version(org.id()).await.unwrap() > version_before);
    let read = store.project(org.id(), "DP-1504").await.unwrap();
    assert_eq!(read, created[4], "what the batch returns is what is stored");
    assert_eq!(read.themes.len(), 2);
    assert_eq!(read.total_cost().pence(), 12_351);
    let history = store.history(org.id(), "project", read.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].actor, "lead@northmere.example",
        "each record names its own actor"
    );
    assert_eq!(history[0].action, "created");

    // A code already taken, or asked for twice: nothing of the batch is written.
    let audit_before = store.audit_count(org.id()).await.unwrap();
    for (taken, expected) in [("dp-1500", "DP-1500"), ("DP-3000", "DP-3000")] {
        let mut first = draft("Fine");
        first.code = Some("DP-3000".into());
        let mut second = draft("Clashes");
        second.code = Some(taken.into());
        let inputs = [
            org.validate(&draft("Would be fine alone")),
            org.validate(&first),
            org.validate(&second),
        ];
        let items: Vec<NewProject<'_>> = inputs
            .iter()
            .map(|input| NewProject { input, actor: &me })
            .collect();
        match store.create_projects(org.id(), "DP", &items).await {
            Err(StoreError::Duplicate {
                field: "code",
                value,
            }) => assert_eq!(value, expected),
            other => panic!("expected {expected} to be refused as taken, got {other:?}"),
        }
    }
    assert_eq!(org.total(store).await, 1_201, "no project was written");
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audit_before,
        "no audit record was written"
    );
    assert!(store
        .create_projects(org.id(), "DP", &[])
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------
// 15. Data and reference versions (what cached reads are keyed on)
// ---------------------------------------------------------------------------

async fn versions_tell_readers_what_changed(store: &Store) {
    let org = migrated_org(store).await;
    let user = viewer_ann(store, &org).await;
    let expires = Utc::now() + chrono::Duration::hours(1);
    store
        .create_session("versions", user.id, "csrf", expires)
        .await
        .unwrap();
    let versions = || async {
        let s = store
            .session("versions")
            .await
            .unwrap()
            .expect("live session");
        (s.data_version, s.reference_version)
    };
    let (data0, reference0) = versions().await;
    assert_eq!(data0, store.data_version(org.id()).await.unwrap());

    org.create(store, &draft("A project")).await;
    let (data1, reference1) = versions().await;
    assert!(data1 > data0, "a new project changes the data version");
    assert_eq!(reference1, reference0, "but not the reference version");

    store
        .create_department(org.id(), "public-health-2", "Public Health (new)", &actor())
        .await
        .unwrap();
    let (data2, reference2) = versions().await;
    assert!(data2 > data1, "a new department changes the data version");
    assert!(reference2 > reference1, "and the reference version");

    let other = new_org(store, "southmere", "SM").await;
    other.create(store, &draft("Elsewhere")).await;
    assert_eq!(
        versions().await,
        (data2, reference2),
        "another organisation's writes change neither"
    );
}

// ---------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------

fn origin(source: &str, key: &str, row: i64) -> RowOrigin {
    RowOrigin {
        source: source.to_string(),
        row_key: key.to_string(),
        file: format!("{source}.xlsx"),
        sheet: Some("Projects".to_string()),
        row,
    }
}

fn no_check(_: &Project, _: &ProjectInput) -> Result<(), ValidationErrors> {
    Ok(())
}

async fn imports_all_or_nothing_and_records_provenance(store: &Store) {
    let org = migrated_org(store).await;
    let inputs: Vec<ProjectInput> = (0..3)
        .map(|i| org.validate(&draft(&format!("Imported {i}"))))
        .collect();
    let origins: Vec<RowOrigin> = (0..3)
        .map(|i| origin("health", &format!("title:imported {i}"), i + 2))
        .collect();
    let rows: Vec<ImportedRow<'_>> = inputs
        .iter()
        .zip(&origins)
        .map(|(input, origin)| ImportedRow { input, origin })
        .collect();

    // A dry run reports what would happen and writes nothing.
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let dry = store
        .import_projects(org.id(), "DP", &rows, &actor(), false, no_check)
        .await
        .expect("dry run")
        .expect("nothing refused");
    assert_eq!(dry.created, 3);
    assert_eq!(org.total(store).await, 0);
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
    assert!(store.provenance(org.id()).await.unwrap().is_empty());

    // The same key twice in one import is refused before anything is written.
    let twice = [
        rows[0],
        ImportedRow {
            input: &inputs[1],
            origin: &origins[0],
        },
    ];
    let err = store
        .import_projects(org.id(), "DP", &twice, &actor(), true, no_check)
        .await
        .expect_err("a repeated row key is refused");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                field: "row_key",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(org.total(store).await, 0);

    // A failure part-way (two new rows asking for one code) rolls the whole
    // import back. (A row naming an existing project's code is that project.)
    org.create(store, &draft("Already there")).await; // DP-001
    let mut clashing = org.validate(&draft("Clashing"));
    clashing.code = Some(portfolio_domain::ProjectCode::parse("DP-500").unwrap());
    let mut clashing_too = org.validate(&draft("Clashing too"));
    clashing_too.code = clashing.code.clone();
    let clash_origin = origin("health", "register:DP-500", 5);
    let clash_origin_too = origin("health", "register:DP-500b", 6);
    let mut with_clash = rows.clone();
    with_clash.push(ImportedRow {
        input: &clashing,
        origin: &clash_origin,
    });
    with_clash.push(ImportedRow {
        input: &clashing_too,
        origin: &clash_origin_too,
    });
    let err = store
        .import_projects(org.id(), "DP", &with_clash, &actor(), true, no_check)
        .await
        .expect_err("a taken code fails the import");
    assert!(
        matches!(err, StoreError::Duplicate { field: "code", .. }),
        "{err}"
    );
    assert_eq!(org.total(store).await, 1);
    assert!(store.provenance(org.id()).await.unwrap().is_empty());

    let counts = store
        .import_projects(org.id(), "DP", &rows, &actor(), true, no_check)
        .await
        .expect("import")
        .expect("nothing refused");
    assert_eq!(
        counts,
        ImportCounts {
            created: 3,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(org.total(store).await, 4);
    let provenance = store.provenance(org.id()).await.unwrap();
    assert_eq!(provenance.len(), 3);
    assert_eq!(provenance[0].origin, origins[0]);
    assert_eq!(provenance[0].project_code, "DP-002");
    assert_eq!(provenance[2].origin.row, 4);
    let created = store.project(org.id(), "DP-002").await.unwrap();
    assert_eq!(created.title, "Imported 0");
    assert_eq!(provenance[0].project_id, created.id);
    // One project's own provenance, as its page shows it.
    let own = store
        .project_provenance(org.id(), created.id)
        .await
        .unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].origin, origins[0]);
    let untouched = store.project(org.id(), "DP-001").await.unwrap();
    assert!(store
        .project_provenance(org.id(), untouched.id)
        .await
        .unwrap()
        .is_empty());
}

async fn reimport_updates_instead_of_duplicating(store: &Store) {
    let org = migrated_org(store).await;
    let first: Vec<ProjectInput> = ["Teams rollout", "Case management"]
        .iter()
        .map(|t| org.validate(&draft(t)))
        .collect();
    let origins = [
        origin("corporate", "code:1", 2),
        origin("corporate", "code:2", 3),
    ];
    let rows: Vec<ImportedRow<'_>> = first
        .iter()
        .zip(&origins)
        .map(|(input, origin)| ImportedRow { input, origin })
        .collect();
    store
        .import_projects(org.id(), "DP", &rows, &actor(), true, no_check)
        .await
        .unwrap()
        .unwrap();

    // Again, unchanged: nothing is written but the provenance.
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let again = store
        .import_projects(org.id(), "DP", &rows, &actor(), true, no_check)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again,
        ImportCounts {
            created: 0,
            updated: 0,
            unchanged: 2
        }
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
    assert_eq!(org.total(store).await, 2);

    // The next month's file: one row changed and moved, one new, one gone.
    let mut changed_draft = draft("Case management");
    changed_draft.stage = "design".into();
    changed_draft.costs = vec![CostDraft {
        year: "2026/27".into(),
        capital_pence: 100_000,
        revenue_pence: 0,
    }];
    let changed = org.validate(&changed_draft);
    let new = org.validate(&draft("Robotic process automation"));
    let next = [
        origin("corporate", "code:2", 2),
        origin("corporate", "code:3", 3),
    ];
    let rows = [
        ImportedRow {
            input: &changed,
            origin: &next[0],
        },
        ImportedRow {
            input: &new,
            origin: &next[1],
        },
    ];
    let counts = store
        .import_projects(org.id(), "DP", &rows, &actor(), true, no_check)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        counts,
        ImportCounts {
            created: 1,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(org.total(store).await, 3);
    let updated = store.project(org.id(), "DP-002").await.unwrap();
    assert_eq!(updated.stage, Stage::Design);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.costs.len(), 1);
    let history = store
        .history(org.id(), "project", updated.id)
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, "updated");
    assert_eq!(last.actor, ACTOR_LABEL);
    assert_eq!(
        last.changed_fields(),
        vec!["costs".to_string(), "stage".to_string()]
    );
    let provenance = store.provenance(org.id()).await.unwrap();
    let moved = provenance
        .iter()
        .find(|p| p.origin.row_key == "code:2")
        .unwrap();
    assert_eq!(
        moved.origin.row, 2,
        "provenance says where the row was last seen"
    );

    // The same key from another source is another project.
    let other = origin("health", "code:2", 2);
    store
        .import_projects(
            org.id(),
            "DP",
            &[ImportedRow {
                input: &changed,
                origin: &other,
            }],
            &actor(),
            true,
            no_check,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.total(store).await, 4);
}

async fn an_import_refused_by_the_check_writes_nothing(store: &Store) {
    let org = migrated_org(store).await;
    let input = org.validate(&draft("Teams rollout"));
    let first = origin("corporate", "code:1", 2);
    store
        .import_projects(
            org.id(),
            "DP",
            &[ImportedRow {
                input: &input,
                origin: &first,
            }],
            &actor(),
            true,
            no_check,
        )
        .await
        .unwrap()
        .unwrap();
    let mut moved = draft("Teams rollout");
    moved.stage = "delivery".into();
    let moved = org.validate(&moved);
    let new = org.validate(&draft("New one"));
    let second = origin("corporate", "code:2", 3);
    let rows = [
        ImportedRow {
            input: &moved,
            origin: &first,
        },
        ImportedRow {
            input: &new,
            origin: &second,
        },
    ];
    let refused = store
        .import_projects(org.id(), "DP", &rows, &actor(), true, |_, _| {
            Err(ValidationErrors::single("stage", "not allowed"))
        })
        .await
        .unwrap()
        .expect_err("the check refuses the update");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, 0);
    assert_eq!(org.total(store).await, 1);
    assert_eq!(
        store.project(org.id(), "DP-001").await.unwrap().stage,
        Stage::Concept
    );
    assert_eq!(store.provenance(org.id()).await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------
// Uploads kept between the steps of a web import, and saved mappings
// ---------------------------------------------------------------------------

async fn two_editors(store: &Store) -> (i64, i64, i64) {
    let org = migrated_org(store).await;
    let mut ids = Vec::new();
    for email in ["ann@northmere.example", "bob@northmere.example"] {
        let user = store
            .create_user(
                org.id(),
                email,
                "Editor",
                Role::ProgrammeOffice,
                "hash",
                &actor(),
            )
            .await
            .unwrap();
        ids.push(user.id);
    }
    (org.id(), ids[0], ids[1])
}

async fn uploads_keep_their_bytes_and_belong_to_their_uploader(store: &Store) {
    let (org, ann, bob) = two_editors(store).await;
    // Every byte value, as a workbook (a zip) holds them.
    let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let id = store
        .create_upload(
            portfolio_store::NewUpload {
                organisation_id: org,
                user_id: ann,
                file_name: "health.xlsx",
                content: &content,
                source: "Health list",
                sheet: Some("Projects"),
            },
            &actor(),
        )
        .await
        .unwrap();
    let upload = store.upload(org, ann, id).await.unwrap();
    assert_eq!(upload.content, content, "the bytes come back exactly");
    assert_eq!(
        (
            upload.file_name.as_str(),
            upload.source.as_str(),
            upload.sheet.as_deref()
        ),
        ("health.xlsx", "Health list", Some("Projects"))
    );
    assert_eq!(
        (upload.version, upload.mapping, upload.committed_at),
        (1, None, None)
    );
    // Another person's upload is not found, not shown.
    assert!(matches!(
        store.upload(org, bob, id).await,
        Err(StoreError::NotFound { entity: "upload" })
    ));
    let history = store.history(org, "import_upload", id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "uploaded");
    assert_eq!(history[0].after.as_ref().unwrap()["bytes"], 70_000);
}

async fn upload_mappings_refuse_stale_writes_and_save_per_source(store: &Store) {
    let (org, ann, _) = two_editors(store).await;
    let id = store
        .create_upload(
            portfolio_store::NewUpload {
                organisation_id: org,
                user_id: ann,
                file_name: "health.csv",
                content: b"Scheme,Directorate\n",
                source: "health.csv",
                sheet: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    let upload = store.upload(org, ann, id).await.unwrap();
    let first = r#"{"columns":{"scheme":"title"},"values":{}}"#;
    let version = store
        .set_upload_mapping(&upload, 1, first, false, &actor())
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert!(store
        .saved_mapping(org, "health.csv")
        .await
        .unwrap()
        .is_none());
    // A second window still at version 1 is refused, and changes nothing.
    let stale = store
        .set_upload_mapping(&upload, 1, r#"{"columns":{}}"#, true, &actor())
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Conflict {
                current_version: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    let upload = store.upload(org, ann, id).await.unwrap();
    assert_eq!(upload.mapping.as_deref(), Some(first));
    assert!(store
        .saved_mapping(org, "health.csv")
        .await
        .unwrap()
        .is_none());
    // Saving for the source happens in the same write.
    let second = r#"{"columns":{"scheme":"title","directorate":"department"},"values":{}}"#;
    store
        .set_upload_mapping(&upload, 2, second, true, &actor())
        .await
        .unwrap();
    let saved = store
        .saved_mapping(org, "health.csv")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((saved.mapping.as_str(), saved.version), (second, 1));
    let replaced = store
        .save_mapping(org, "health.csv", first, &actor())
        .await
        .unwrap();
    assert_eq!(replaced.version, 2);
    let history = store
        .history(org, "import_mapping", 1)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect::<Vec<_>>();
    assert_eq!(history, ["created", "updated"]);
    // An upload is imported once.
    let upload = store.upload(org, ann, id).await.unwrap();
    store
        .finish_upload(&upload, r#"{"created":1}"#, Some("File,Reason\n"), &actor())
        .await
        .unwrap();
    let done = store.upload(org, ann, id).await.unwrap();
    assert!(done.committed_at.is_some());
    assert_eq!(done.rejected_csv.as_deref(), Some("File,Reason\n"));
    assert!(matches!(
        store.finish_upload(&done, "{}", None, &actor()).await,
        Err(StoreError::Conflict { .. })
    ));
    // …and its mapping can no longer change.
    assert!(matches!(
        store
            .set_upload_mapping(&done, done.version, first, false, &actor())
            .await,
        Err(StoreError::Conflict { .. })
    ));
}

// ---------------------------------------------------------------------------
// Merges
// ---------------------------------------------------------------------------

/// Three projects of one piece of work: costs, themes and tags of their own.
async fn three_twins(store: &Store, org: &Org) -> (Project, Project, Project) {
    let cost = |year: &str, capital_pence: i64, revenue_pence: i64| CostDraft {
        year: year.into(),
        capital_pence,
        revenue_pence,
    };
    let mut a = draft("Children's case management system");
    a.summary = "Replace the ageing system.".into();
    a.themes = vec![THEMES[0].0.into()];
    a.tags = vec!["children".into()];
    a.costs = vec![cost("2026/27", 100_000, 20_000)];
    let mut b = draft("Replace children's social care case management");
    b.summary = "Social workers need one record.".into();
    b.themes = vec![THEMES[1].0.into()];
    b.tags = vec!["case".into()];
    b.stage = "design".into();
    b.costs = vec![cost("2026/27", 5_000, 1_000), cost("2027/28", 7_000, 0)];
    let mut c = draft("Case management: children");
    c.costs = vec![cost("2027/28", 0, 300)];
    (
        org.create(store, &a).await,
        org.create(store, &b).await,
        org.create(store, &c).await,
    )
}

/// A plan naming the projects at their versions, with field choices.
fn merge_plan(survivor: &Project, merged: &[&Project], fields: &[(&str, &str)]) -> MergePlan {
    let member = |p: &Project| MergeMemberDraft {
        code: p.code.clone(),
        version: p.version,
    };
    MergeDraft {
        survivor: member(survivor),
        merged: merged.iter().map(|p| member(p)).collect(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
    .parse()
    .expect("a valid plan")
}

/// Merges with the domain's rules, as the application does.
async fn merge(
    store: &Store,
    org: &Org,
    plan: &MergePlan,
) -> Result<Result<Merge, ValidationErrors>, StoreError> {
    store
        .merge_projects(org.id(), plan, &actor(), |s, m| plan.apply(s, m))
        .await
}

/// Undoes with the domain's rules, as the application does.
async fn undo(
    store: &Store,
    org: &Org,
    id: i64,
) -> Result<Result<Merge, ValidationErrors>, StoreError> {
    store
        .undo_merge(org.id(), id, &actor(), |undone, states, current| {
            check_undo(id, undone, states, current)
        })
        .await
}

async fn merges_write_lineage_and_audit(store: &Store) {
    let org = migrated_org(store).await;
    let (a, b, c) = three_twins(store, &org).await;
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let data_before = store.data_version(org.id()).await.unwrap();

    let plan = merge_plan(
        &a,
        &[&b, &c],
        &[
            ("title", &b.code),
            ("costs", "combine"),
            ("themes", "combine"),
            ("tags", "combine"),
            ("summary", "combine"),
            ("stage", &b.code),
        ],
    );
    let merged = merge(store, &org, &plan)
        .await
        .expect("no conflict")
        .expect("the domain allows it");

    // The survivor has the chosen and combined values, at a new version.
    let survivor = &merged.survivor;
    assert_eq!(survivor.code, a.code);
    assert_eq!(survivor.title, b.title);
    assert_eq!(survivor.stage, Stage::Design);
    assert_eq!(
        survivor.summary,
        "Replace the ageing system.\n\nSocial workers need one record."
    );
    assert_eq!(survivor.version, 2);
    let costs: Vec<(String, i64, i64)> = survivor
        .costs
        .iter()
        .map(|c| {
            (
                c.year.to_string(),
                c.capital_pence.pence(),
                c.revenue_pence.pence(),
            )
        })
        .collect();
    assert_eq!(
        costs,
        vec![
            ("2026/27".to_string(), 105_000, 21_000),
            ("2027/28".to_string(), 7_000, 300)
        ]
    );
    assert_eq!(
        survivor.total_cost().pence(),
        a.total_cost().pence() + b.total_cost().pence() + c.total_cost().pence()
    );
    let mut theme_slugs: Vec<&str> = survivor.themes.iter().map(|t| t.slug.as_str()).collect();
    theme_slugs.sort();
    let mut expected_themes = vec![THEMES[0].0, THEMES[1].0];
    expected_themes.sort();
    assert_eq!(theme_slugs, expected_themes);
    assert_eq!(survivor.tags, vec!["children", "case"]);
    assert_eq!(store.project(org.id(), &a.code).await.unwrap(), *survivor);

    // The others keep their values, merged.
    for (before, after) in [&b, &c].into_iter().zip(&merged.merged) {
        let stored = store.project(org.id(), &before.code).await.unwrap();
        assert_eq!(stored, *after);
        assert_eq!(stored.stage, Stage::Merged);
        assert_eq!(stored.version, 2);
        assert_eq!(stored.title, before.title);
        assert_eq!(stored.costs, before.costs);
    }

    // Lineage on both sides.
    let lineage = store.lineage(org.id(), a.id).await.unwrap();
    assert_eq!(lineage.merged_into, None);
    let from: Vec<&str> = lineage
        .merged_from
        .iter()
        .map(|l| l.code.as_str())
        .collect();
    assert_eq!(from, vec![b.code.as_str(), c.code.as_str()]);
    assert!(lineage.merged_from.iter().all(|l| l.merge_id == merged.id));
    assert_eq!(lineage.merged_from[0].merged_by, ACTOR_LABEL);
    let into = store
        .lineage(org.id(), b.id)
        .await
        .unwrap()
        .merged_into
        .expect("b was merged into a");
    assert_eq!(
        (into.code.as_str(), into.title.as_str()),
        (a.code.as_str(), b.title.as_str())
    );
    assert_eq!(into.merge_id, merged.id);

    // The merge reads back as written.
    assert_eq!(store.merge(org.id(), merged.id).await.unwrap(), merged);

    // One audit record per project and one for the merge, holding them all.
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before + 4);
    assert!(store.data_version(org.id()).await.unwrap() > data_before);
    let history = store.history(org.id(), "project", a.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, "merged");
    assert!(last.changed_fields().contains(&"costs".to_string()));
    let record = store.history(org.id(), "merge", merged.id).await.unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].action, "merged");
    let before = record[0].before.as_ref().unwrap();
    assert_eq!(before["survivor"]["title"], a.title.as_str());
    assert_eq!(before["merged"][1]["code"], c.code.as_str());
    assert_eq!(
        record[0].after.as_ref().unwrap()["merged"][0]["stage"],
        "merged"
    );

    // Counts see the merged stage.
    let counts = store.project_counts(org.id()).await.unwrap();
    let merged_count: i64 = counts
        .stage_department
        .iter()
        .filter(|(s, _, _)| *s == Stage::Merged)
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(merged_count, 2);
}

async fn a_stale_or_refused_merge_writes_nothing(store: &Store) {
    let org = migrated_org(store).await;
    let (a, b, c) = three_twins(store, &org).await;
    let plan = merge_plan(&a, &[&b, &c], &[("costs", "combine")]);

    // Someone edits c after the merge page was read.
    let edited = edit(&org, &c, |d| d.title = "Renamed meanwhile".into());
    let c2 = update(store, &org, &c.code, 1, &edited)
        .await
        .unwrap()
        .unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let data_before = store.data_version(org.id()).await.unwrap();

    match merge(store, &org, &plan).await {
        Err(StoreError::Conflict {
            entity,
            current_version,
            current,
        }) => {
            assert_eq!(entity, "project");
            assert_eq!(current_version, 2);
            assert_eq!(
                *current,
                Some(c2.clone()),
                "the conflict names the changed project"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.project(org.id(), &a.code).await.unwrap(), a);
    assert_eq!(store.project(org.id(), &b.code).await.unwrap(), b);
    assert_eq!(store.project(org.id(), &c2.code).await.unwrap(), c2);
    assert_eq!(
        store.lineage(org.id(), a.id).await.unwrap(),
        Lineage::default()
    );
    assert_eq!(
        store.lineage(org.id(), b.id).await.unwrap(),
        Lineage::default()
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
    assert_eq!(store.data_version(org.id()).await.unwrap(), data_before);

    // The domain refusing (a withdrawn project) writes nothing either.
    let withdrawn = edit(&org, &b, |d| d.stage = "withdrawn".into());
    let b2 = update(store, &org, &b.code, 1, &withdrawn)
        .await
        .unwrap()
        .unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let plan = merge_plan(&a, &[&b2, &c2], &[]);
    let refused = merge(store, &org, &plan)
        .await
        .expect("no conflict")
        .expect_err("a withdrawn project cannot be merged");
    assert!(
        refused
            .for_field("merged[0].code")
            .unwrap()
            .contains("withdrawn"),
        "{refused}"
    );
    assert_eq!(store.project(org.id(), &a.code).await.unwrap(), a);
    assert_eq!(store.project(org.id(), &c2.code).await.unwrap(), c2);
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);

    // A project of another organisation is not found by this one.
    let other = new_org(store, "southmere", "DP").await;
    let theirs = other.create(store, &draft("Elsewhere")).await;
    let mut lookalike = theirs.clone();
    lookalike.code = "DP-099".into();
    let plan = merge_plan(&a, &[&lookalike], &[]);
    assert!(matches!(
        merge(store, &org, &plan).await,
        Err(StoreError::NotFound { entity: "project" })
    ));
    assert_eq!(store.project(org.id(), &a.code).await.unwrap(), a);
}

async fn undoing_a_merge_restores_every_project(store: &Store) {
    let org = migrated_org(store).await;
    let (a, b, c) = three_twins(store, &org).await;
    let plan = merge_plan(
        &a,
        &[&b, &c],
        &[
            ("title", &c.code),
            ("costs", "combine"),
            ("themes", "combine"),
        ],
    );
    let merged = merge(store, &org, &plan).await.unwrap().unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();

    let undone = undo(store, &org, merged.id)
        .await
        .expect("no store error")
        .expect("nothing changed since the merge");
    assert_eq!(undone.id, merged.id);
    assert!(undone.undone_at.is_some());
    assert_eq!(undone.undone_by.as_deref(), Some(ACTOR_LABEL));
    for (original, restored) in [&a, &b, &c]
        .into_iter()
        .zip(std::iter::once(&undone.survivor).chain(&undone.merged))
    {
        let stored = store.project(org.id(), &original.code).await.unwrap();
        assert_eq!(&stored, restored);
        assert_eq!(
            stored.to_input(),
            original.to_input(),
            "{} is exactly as before the merge",
            original.code
        );
        assert_eq!(
            stored.version, 3,
            "a new version, so readers see the change"
        );
        assert_eq!(stored.created_at, original.created_at);
    }
    // No lineage left; the merge and the history remember it.
    assert_eq!(
        store.lineage(org.id(), a.id).await.unwrap(),
        Lineage::default()
    );
    assert_eq!(
        store.lineage(org.id(), c.id).await.unwrap(),
        Lineage::default()
    );
    let read = store.merge(org.id(), merged.id).await.unwrap();
    assert_eq!(read.undone_at, undone.undone_at);
    assert_eq!(read.merged_at, merged.merged_at);
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before + 4);
    let actions: Vec<String> = store
        .history(org.id(), "project", b.id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.action)
        .collect();
    assert_eq!(actions, vec!["created", "merged", "merge_undone"]);
    let record = store.history(org.id(), "merge", merged.id).await.unwrap();
    assert_eq!(record.len(), 2);
    assert_eq!(record[1].action, "merge_undone");

    // The projects can be merged again afterwards.
    let again = merge_plan(&undone.merged[0], &[&undone.survivor], &[]);
    let second = merge(store, &org, &again).await.unwrap().unwrap();
    assert_ne!(second.id, merged.id);
    assert_eq!(second.merged[0].stage, Stage::Merged);
}

async fn undo_is_refused_after_a_later_edit_or_twice(store: &Store) {
    let org = migrated_org(store).await;
    let (a, b, c) = three_twins(store, &org).await;
    let merged = merge(store, &org, &merge_plan(&a, &[&b], &[]))
        .await
        .unwrap()
        .unwrap();

    // The survivor is edited after the merge: undoing would lose that edit.
    let later = edit(&org, &merged.survivor, |d| {
        d.title = "Edited after the merge".into()
    });
    let edited = update(store, &org, &a.code, 2, &later)
        .await
        .unwrap()
        .unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let refused = undo(store, &org, merged.id)
        .await
        .expect("no store error")
        .expect_err("a later edit blocks the undo");
    let message = refused.for_field("merge").expect("names the merge");
    assert!(
        message.starts_with(&format!("{} has changed since the merge", a.code)),
        "{message}"
    );
    assert_eq!(store.project(org.id(), &a.code).await.unwrap(), edited);
    assert_eq!(
        store.project(org.id(), &b.code).await.unwrap(),
        merged.merged[0],
        "still merged"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
    assert_eq!(
        store
            .lineage(org.id(), b.id)
            .await
            .unwrap()
            .merged_into
            .unwrap()
            .code,
        a.code
    );
    assert_eq!(
        store.merge(org.id(), merged.id).await.unwrap().undone_at,
        None
    );

    // A merge undone once cannot be undone again.
    let second = merge(store, &org, &merge_plan(&edited, &[&c], &[]))
        .await
        .unwrap()
        .unwrap();
    undo(store, &org, second.id).await.unwrap().unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let twice = undo(store, &org, second.id)
        .await
        .unwrap()
        .expect_err("already undone");
    assert!(
        twice
            .for_field("merge")
            .unwrap()
            .contains("already been undone"),
        "{twice}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);

    // Unknown merges, and another organisation's, are not found.
    assert!(matches!(
        undo(store, &org, second.id + 100).await,
        Err(StoreError::NotFound { entity: "merge" })
    ));
    let other = new_org(store, "southmere", "SM").await;
    assert!(matches!(
        undo(store, &other, merged.id).await,
        Err(StoreError::NotFound { entity: "merge" })
    ));
    assert!(matches!(
        store.merge(other.id(), merged.id).await,
        Err(StoreError::NotFound { entity: "merge" })
    ));
}

// ---------------------------------------------------------------------------
// Intake: priorities departments submit, triaged by the programme office
// ---------------------------------------------------------------------------

/// Lena, a department lead, and the actor her submissions are recorded as.
async fn lead_lena(store: &Store, org: &Org) -> (portfolio_domain::organisation::User, Actor) {
    let user = store
        .create_user(
            org.id(),
            "lena@northmere.example",
            "Lena Lead",
            Role::DepartmentLead,
            "hash-0",
            &actor(),
        )
        .await
        .unwrap();
    let actor = Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
    };
    (user, actor)
}

fn priority_draft(title: &str) -> PriorityDraft {
    PriorityDraft {
        title: title.to_string(),
        problem: "Carers wait six weeks for a home visit.".into(),
        beneficiaries: "Unpaid carers and social workers.".into(),
        urgency: "high".into(),
        rough_cost: Some("£350k".into()),
        department: DEPARTMENTS[0].0.to_string(),
        themes: vec!["communities".into(), "virtual-service-delivery".into()],
        changes_project: None,
    }
}

async fn submit(store: &Store, org: &Org, by: &Actor, title: &str) -> Priority {
    let input = priority_draft(title)
        .validate(&org.reference())
        .unwrap_or_else(|e| panic!("priority '{title}' does not validate: {e}"));
    store
        .create_priority(org.id(), &input, None, by)
        .await
        .unwrap_or_else(|e| panic!("could not submit '{title}': {e}"))
}

/// Accepts with the domain's triage rule as the check, as the app does.
async fn accept(
    store: &Store,
    org: &Org,
    priority: &Priority,
    version: i64,
) -> Result<Result<Triaged, ValidationErrors>, StoreError> {
    let project = priority.to_project_input(FinancialYear::new(2026).unwrap());
    store
        .triage_priority(
            org.id(),
            priority.id,
            version,
            TriageDecision::Accept {
                project: &project,
                code_prefix: "DP",
            },
            &actor(),
            Priority::check_can_triage,
        )
        .await
}

async fn submits_and_accepts_a_priority_into_the_register(store: &Store) {
    let org = migrated_org(store).await;
    org.create(store, &draft("Already there")).await; // DP-001
    let (lena, by_lena) = lead_lena(store, &org).await;
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let submitted = submit(store, &org, &by_lena, "Online carers' assessments").await;
    assert_eq!(submitted.status, PriorityStatus::Submitted);
    assert_eq!(submitted.version, 1);
    assert_eq!(
        submitted.rough_cost_pence.map(|m| m.pence()),
        Some(35_000_000)
    );
    assert_eq!(submitted.submitted_by.user_id, Some(lena.id));
    assert_eq!(submitted.submitted_by.name, "Lena Lead");
    assert_eq!(submitted.themes.len(), 2);
    assert_eq!(
        store.priority(org.id(), submitted.id).await.unwrap(),
        submitted,
        "what submitting returns is what is stored"
    );
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audit_before + 1,
        "submitting is audited"
    );

    // Lists: all, by submitter, by status.
    let (_, by_other) = {
        let user = store
            .create_user(
                org.id(),
                "omar@northmere.example",
                "Omar",
                Role::DepartmentLead,
                "hash-0",
                &actor(),
            )
            .await
            .unwrap();
        let label = user.email.clone();
        (
            user.id,
            Actor {
                user_id: Some(user.id),
                label,
            },
        )
    };
    let other = submit(store, &org, &by_other, "Omar's idea").await;
    let all = store
        .priorities(org.id(), &PriorityFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![other.id, submitted.id],
        "newest first"
    );
    let own = store
        .priorities(
            org.id(),
            &PriorityFilter {
                submitted_by: Some(lena.id),
                status: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(own, vec![submitted.clone()]);

    // Accept: a concept project, the priority linked to it, audited, one transaction.
    let version_before = store.data_version(org.id()).await.unwrap();
    let audit_before = store.audit_count(org.id()).await.unwrap();
    let Triaged { priority, project } = accept(store, &org, &submitted, 1).await.unwrap().unwrap();
    let project = project.expect("accepting creates a project");
    assert_eq!(project.code, "DP-002", "the next free code");
    assert_eq!(project.stage, Stage::Concept);
    assert_eq!(project.title, "Online carers' assessments");
    assert_eq!(project.department.slug, DEPARTMENTS[0].0);
    assert_eq!(project.themes.len(), 2);
    assert_eq!(project.total_cost().pence(), 35_000_000);
    assert!(project.summary.contains("Carers wait six weeks"));
    assert_eq!(
        store.project(org.id(), "DP-002").await.unwrap(),
        project,
        "the project is stored as returned"
    );
    assert_eq!(priority.status, PriorityStatus::Accepted);
    assert_eq!(priority.version, 2);
    assert_eq!(priority.triaged_by.as_deref(), Some(ACTOR_LABEL));
    assert!(priority.triaged_at.is_some());
    let link = priority.project.clone().expect("linked to its project");
    assert_eq!((link.id, link.code.as_str()), (project.id, "DP-002"));
    assert_eq!(
        store.priority(org.id(), submitted.id).await.unwrap(),
        priority
    );
    assert_eq!(org.total(store).await, 2);
    assert!(store.data_version(org.id()).await.unwrap() > version_before);
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audit_before + 2,
        "the project's creation and the priority's acceptance"
    );
    let history = store
        .history(org.id(), "priority", submitted.id)
        .await
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["submitted", "accepted"]);
    assert_eq!(
        history[1].changed_fields(),
        ["project", "status", "triaged_at", "triaged_by"]
    );
    let project_history = store
        .history(org.id(), "project", project.id)
        .await
        .unwrap();
    assert_eq!(project_history.len(), 1);
    assert_eq!(project_history[0].action, "created");
    assert_eq!(
        store
            .project_priorities(org.id(), project.id)
            .await
            .unwrap(),
        vec![priority.clone()]
    );
    let accepted = store
        .priorities(
            org.id(),
            &PriorityFilter {
                status: Some(PriorityStatus::Accepted),
                submitted_by: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted, vec![priority]);

    // Another organisation sees none of it.
    let southmere = new_org(store, "southmere", "SM").await;
    assert!(store
        .priorities(southmere.id(), &PriorityFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.priority(southmere.id(), submitted.id).await,
        Err(StoreError::NotFound { entity: "priority" })
    ));
}

async fn links_and_declines_priorities(store: &Store) {
    let org = migrated_org(store).await;
    let existing = org
        .create(store, &draft("Case management replacement"))
        .await;
    let (_, by_lena) = lead_lena(store, &org).await;
    let mut change = priority_draft("Add carers to the case system");
    change.changes_project = Some(existing.code.clone());
    change.rough_cost = Some("tbc".into());
    let input = change.validate(&org.reference()).unwrap();
    let change = store
        .create_priority(org.id(), &input, Some(existing.id), &by_lena)
        .await
        .unwrap();
    assert_eq!(change.rough_cost_pence, None, "tbc is not known, not zero");
    assert_eq!(
        change.changes_project.as_ref().map(|p| p.code.as_str()),
        Some(existing.code.as_str())
    );

    let linked = store
        .triage_priority(
            org.id(),
            change.id,
            1,
            TriageDecision::Link {
                project_id: existing.id,
            },
            &actor(),
            Priority::check_can_triage,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(linked.project.is_none(), "linking creates no project");
    assert_eq!(linked.priority.status, PriorityStatus::Linked);
    assert_eq!(
        linked.priority.project.as_ref().map(|p| p.id),
        Some(existing.id)
    );
    assert_eq!(org.total(store).await, 1);
    assert_eq!(
        store
            .project_priorities(org.id(), existing.id)
            .await
            .unwrap(),
        vec![linked.priority.clone()],
        "the project lists its change requests"
    );

    let idea = submit(store, &org, &by_lena, "Drones for bin rounds").await;
    let reason = "Not a digital priority this year.\nTry the innovation fund.";
    let declined = store
        .triage_priority(
            org.id(),
            idea.id,
            1,
            TriageDecision::Decline { reason },
            &actor(),
            Priority::check_can_triage,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(declined.priority.status, PriorityStatus::Declined);
    assert_eq!(declined.priority.decline_reason.as_deref(), Some(reason));
    assert_eq!(declined.priority.project, None);
    assert_eq!(
        store.priority(org.id(), idea.id).await.unwrap(),
        declined.priority
    );
    let history = store.history(org.id(), "priority", idea.id).await.unwrap();
    assert_eq!(history.last().unwrap().action, "declined");
}

async fn a_second_triage_is_refused_and_writes_nothing(store: &Store) {
    let org = migrated_org(store).await;
    let (_, by_lena) = lead_lena(store, &org).await;
    let priority = submit(store, &org, &by_lena, "Online carers' assessments").await;
    accept(store, &org, &priority, 1).await.unwrap().unwrap();

    let totals = || async {
        (
            org.total(store).await,
            store.audit_count(org.id()).await.unwrap(),
            store.data_version(org.id()).await.unwrap(),
            store.priority(org.id(), priority.id).await.unwrap(),
        )
    };
    let before = totals().await;
    // The same decision again, from a form read before the first (version 1)
    // or after it (version 2): refused by the rule, saying what was decided.
    for version in [1, 2] {
        let refused = accept(store, &org, &priority, version)
            .await
            .unwrap()
            .expect_err("a second acceptance is refused");
        let message = refused.for_field("status").unwrap();
        assert!(
            message.contains("already been accepted into the register as DP-001"),
            "{message}"
        );
    }
    let decline = store
        .triage_priority(
            org.id(),
            priority.id,
            2,
            TriageDecision::Decline {
                reason: "Changed my mind",
            },
            &actor(),
            Priority::check_can_triage,
        )
        .await
        .unwrap();
    assert!(decline.is_err(), "nor can it be declined afterwards");
    assert_eq!(totals().await, before, "nothing was written");

    // A stale version of a priority still awaiting triage is a conflict.
    let other = submit(store, &org, &by_lena, "Another").await;
    let before = totals().await;
    match accept(store, &org, &other, 7).await {
        Err(StoreError::Conflict {
            entity: "priority",
            current_version: 1,
            ..
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(totals().await, before, "nothing was written");
    assert_eq!(
        store.priority(org.id(), other.id).await.unwrap().status,
        PriorityStatus::Submitted
    );
}

async fn concurrent_triages_let_exactly_one_win(store: &Store) {
    let org = migrated_org(store).await;
    let (_, by_lena) = lead_lena(store, &org).await;
    let priority = submit(store, &org, &by_lena, "Contended priority").await;
    let project = priority.to_project_input(FinancialYear::new(2026).unwrap());
    let mut tasks = Vec::new();
    for k in 0..6 {
        let store = store.clone();
        let project = project.clone();
        let org_id = org.id();
        let id = priority.id;
        tasks.push(tokio::spawn(async move {
            let reason = format!("Declined by task {k}");
            let decision = if k % 2 == 0 {
                TriageDecision::Accept {
                    project: &project,
                    code_prefix: "DP",
                }
            } else {
                TriageDecision::Decline { reason: &reason }
            };
            store
                .triage_priority(
                    org_id,
                    id,
                    1,
                    decision,
                    &actor(),
                    Priority::check_can_triage,
                )
                .await
                .map(|r| r.is_ok())
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(true) => wins += 1,
            Ok(false) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one triage wins");
    let stored = store.priority(org.id(), priority.id).await.unwrap();
    assert_eq!(stored.version, 2);
    let projects = org.total(store).await;
    match stored.status {
        PriorityStatus::Accepted => assert_eq!(projects, 1),
        PriorityStatus::Declined => assert_eq!(projects, 0),
        other => panic!("unexpected status {other:?}"),
    }
    assert_eq!(
        store
            .history(org.id(), "priority", priority.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

// ---------------------------------------------------------------------------
// Scenarios and their runs
// ---------------------------------------------------------------------------

fn scenario_input(name: &str) -> portfolio_domain::scenario::ScenarioInput {
    portfolio_domain::scenario::ScenarioDraft {
        name: name.into(),
        description: "Budgets as they are".into(),
        objective: "priority_score".into(),
        first_year: "2026/27".into(),
        years: 3,
        forced_in: vec!["DP-001".into()],
        time_limit_seconds: 30,
        ..Default::default()
    }
    .validate(&[])
    .expect("scenario validates")
}

async fn scenarios_keep_versions_and_refuse_stale_edits(store: &Store) {
    let org = migrated_org(store).await;
    let other = new_org(store, "southby", "SB").await;
    let created = store
        .create_scenario(org.id(), &scenario_input("Current funding"), &actor())
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.definition.slug, "current-funding");
    let read = store.scenario(org.id(), "current-funding").await.unwrap();
    assert_eq!(read, created, "what create returns is what is stored");

    // The same name again is refused, naming the field; another body may use it.
    match store
        .create_scenario(org.id(), &scenario_input("Current funding"), &actor())
        .await
    {
        Err(StoreError::Duplicate { field, .. }) => assert_eq!(field, "name"),
        other => panic!("expected a duplicate name, got {other:?}"),
    }
    store
        .create_scenario(other.id(), &scenario_input("Current funding"), &actor())
        .await
        .unwrap();
    assert!(matches!(
        store.scenario(other.id(), "missing").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.scenarios(org.id()).await.unwrap().len(), 1);

    let mut changed = scenario_input("Current funding");
    changed.years = 2;
    let updated = store
        .update_scenario(org.id(), "current-funding", 1, &changed, &actor())
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.definition.years, 2);
    // A second edit from version 1 is stale: refused, and the stored one kept.
    let mut stale = scenario_input("Current funding");
    stale.years = 5;
    match store
        .update_scenario(org.id(), "current-funding", 1, &stale, &actor())
        .await
    {
        Err(StoreError::Conflict {
            current_version, ..
        }) => assert_eq!(current_version, 2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let kept = store.scenario(org.id(), "current-funding").await.unwrap();
    assert_eq!(kept.definition.years, 2);
    let history = store
        .history(org.id(), "scenario", created.id)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.action.as_str())
            .collect::<Vec<_>>()
            .len(),
        2,
        "one audit record per change: {history:?}"
    );
}

async fn a_recommended_run_is_versioned_audited_and_refused_when_not_succeeded(store: &Store) {
    use portfolio_domain::scenario::{Objective, RunStatus, ScenarioResult};
    let org = migrated_org(store).await;
    let other = new_org(store, "southby", "SB").await;
    let none = store.scenario_recommendation(org.id()).await.unwrap();
    assert_eq!((none.run_id, none.version), (None, 0));
    let scenario = store
        .create_scenario(org.id(), &scenario_input("Current funding"), &actor())
        .await
        .unwrap();
    let running = store
        .start_scenario_run(&scenario, 1, &actor())
        .await
        .unwrap();
    // A run that has not succeeded cannot be recommended; nothing is written.
    assert!(matches!(
        store
            .set_scenario_recommendation(org.id(), Some(running.id), 0, &actor())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let result = ScenarioResult {
        scenario_name: "Current funding".into(),
        scenario_version: 1,
        objective: Objective::PriorityScore,
        scoring_model_version: None,
        status: "optimal".into(),
        proven_optimal: true,
        gap: 0.0,
        value: 1.0,
        bound: 1.0,
        seconds: 0.1,
        quarters: vec![],
        projects: vec![],
        spend: vec![],
        pools: vec![],
        conflicts: vec![],
        frontier: vec![],
        marginal: vec![],
    };
    store
        .finish_scenario_run(
            org.id(),
            running.id,
            RunStatus::Succeeded,
            "",
            Some(&result),
            &actor(),
        )
        .await
        .unwrap();
    // Another organisation cannot recommend this organisation's run.
    assert!(store
        .set_scenario_recommendation(other.id(), Some(running.id), 0, &actor())
        .await
        .is_err());
    let made = store
        .set_scenario_recommendation(org.id(), Some(running.id), 0, &actor())
        .await
        .unwrap();
    assert_eq!((made.run_id, made.version), (Some(running.id), 1));
    assert_eq!(store.scenario_recommendation(org.id()).await.unwrap(), made);
    // A stale write is refused and changes nothing.
    assert!(matches!(
        store
            .set_scenario_recommendation(org.id(), None, 0, &actor())
            .await,
        Err(StoreError::Conflict {
            current_version: 1,
            ..
        })
    ));
    let withdrawn = store
        .set_scenario_recommendation(org.id(), None, 1, &actor())
        .await
        .unwrap();
    assert_eq!((withdrawn.run_id, withdrawn.version), (None, 2));
    assert_eq!(
        store
            .scenario_recommendation(org.id())
            .await
            .unwrap()
            .run_id,
        None
    );
    assert_eq!(
        store
            .scenario_recommendation(other.id())
            .await
            .unwrap()
            .version,
        0
    );
    let history = store
        .history(org.id(), "scenario_recommendation", org.id())
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "one audit record per change");
}

async fn scenario_runs_record_progress_cancel_and_results(store: &Store) {
    use portfolio_domain::scenario::{Objective, RunStatus, ScenarioResult};
    let org = migrated_org(store).await;
    let other = new_org(store, "southby", "SB").await;
    let scenario = store
        .create_scenario(org.id(), &scenario_input("Current funding"), &actor())
        .await
        .unwrap();
    let run = store
        .start_scenario_run(&scenario, 10, &actor())
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(store.scenario_run(org.id(), run.id).await.unwrap(), run);
    assert!(
        matches!(
            store.scenario_run(other.id(), run.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "another organisation cannot see the run"
    );
    assert!(!store
        .record_run_progress(run.id, 3, 10, "Explaining DP-003")
        .await
        .unwrap());
    let read = store.scenario_run(org.id(), run.id).await.unwrap();
    assert_eq!(
        (read.progress_done, read.progress_label.as_str()),
        (3, "Explaining DP-003")
    );
    // A cancel asked for is seen by the worker at its next progress report.
    assert!(store
        .request_run_cancel(other.id(), run.id, &actor())
        .await
        .is_err());
    store
        .request_run_cancel(org.id(), run.id, &actor())
        .await
        .unwrap();
    assert!(store
        .record_run_progress(run.id, 4, 10, "Explaining DP-004")
        .await
        .unwrap());
    store
        .finish_scenario_run(
            org.id(),
            run.id,
            RunStatus::Cancelled,
            "Cancelled",
            None,
            &actor(),
        )
        .await
        .unwrap();
    assert!(store
        .latest_scenario_result(org.id(), scenario.id)
        .await
        .unwrap()
        .is_none());
    // A finished run cannot be finished again.
    assert!(store
        .finish_scenario_run(org.id(), run.id, RunStatus::Succeeded, "", None, &actor())
        .await
        .is_err());

    let second = store
        .start_scenario_run(&scenario, 10, &actor())
        .await
        .unwrap();
    let result = ScenarioResult {
        scenario_name: "Current funding".into(),
        scenario_version: 1,
        objective: Objective::PriorityScore,
        scoring_model_version: Some(1),
        status: "optimal".into(),
        proven_optimal: true,
        gap: 0.0,
        value: 123.0,
        bound: 123.0,
        seconds: 0.25,
        quarters: vec!["2026/27 Q1".into()],
        projects: Vec::new(),
        spend: Vec::new(),
        pools: Vec::new(),
        conflicts: Vec::new(),
        frontier: Vec::new(),
        marginal: Vec::new(),
    };
    store
        .finish_scenario_run(
            org.id(),
            second.id,
            RunStatus::Succeeded,
            "",
            Some(&result),
            &actor(),
        )
        .await
        .unwrap();
    let (latest_run, latest) = store
        .latest_scenario_result(org.id(), scenario.id)
        .await
        .unwrap()
        .expect("a result");
    assert_eq!(latest_run.id, second.id);
    assert_eq!(latest, result, "the result reads back as it was saved");
    assert_eq!(
        store
            .scenario_run_result(org.id(), second.id)
            .await
            .unwrap(),
        Some(result)
    );
    let runs = store
        .scenario_runs(org.id(), scenario.id, 10)
        .await
        .unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![second.id, run.id]
    );

    // A run left running by a process that stopped is marked failed on the next start.
    let abandoned = store
        .start_scenario_run(&scenario, 10, &actor())
        .await
        .unwrap();
    assert_eq!(
        store.fail_abandoned_runs(3600).await.unwrap(),
        0,
        "a fresh run is left alone"
    );
    assert_eq!(store.fail_abandoned_runs(-1).await.unwrap(), 1);
    let failed = store.scenario_run(org.id(), abandoned.id).await.unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed.message.contains("stopped"), "{}", failed.message);
}

// ---------------------------------------------------------------------------
// Scoring model and assessments (issue 4, scope 1)
// ---------------------------------------------------------------------------

mod scoring {
    use super::*;
    use portfolio_domain::scoring::{
        AssessmentDraft, CriterionDraft, ScoreDraft, ScoringModel, ScoringModelDraft,
        ScoringModelInput, Weighting,
    };

    backend_tests!(
        sqlite: sqlite_store, postgres: postgres_store;
        scoring_model_versions_are_kept_and_a_stale_save_is_refused,
        assessments_round_trip_and_refuse_a_stale_save,
        another_organisations_model_and_assessments_are_invisible,
    );

    fn model_input(name: &str, weights: &[(&str, f64)]) -> ScoringModelInput {
        ScoringModelDraft {
            name: name.to_string(),
            criteria: weights
                .iter()
                .map(|(key, w)| CriterionDraft {
                    key: key.to_string(),
                    name: format!("Criterion {key}"),
                    description: format!("How much {key}"),
                    descriptors: (0..6).map(|s| format!("{key} level {s}")).collect(),
                    weight: Some(*w),
                })
                .collect(),
            pairwise: None,
            save_anyway: false,
        }
        .validate()
        .expect("valid model")
    }

    fn scores(
        model: &ScoringModel,
        pairs: &[(&str, i64, &str)],
    ) -> std::collections::BTreeMap<String, portfolio_domain::scoring::CriterionScore> {
        AssessmentDraft {
            scores: pairs
                .iter()
                .map(|(k, s, r)| {
                    (
                        k.to_string(),
                        ScoreDraft {
                            score: Some(*s),
                            rationale: Some(r.to_string()),
                        },
                    )
                })
                .collect(),
        }
        .validate(model, None)
        .expect("valid scores")
    }

    async fn scoring_model_versions_are_kept_and_a_stale_save_is_refused(store: &Store) {
        let org = migrated_org(store).await;
        assert_eq!(store.scoring_model(org.id()).await.unwrap(), None);
        let first = model_input("First", &[("impact", 3.0), ("savings", 1.0)]);
        let v1 = store
            .save_scoring_model(org.id(), 0, &first, &actor())
            .await
            .unwrap();
        assert_eq!(v1.version, 1);
        assert_eq!(v1.created_by, ACTOR_LABEL);
        let second = model_input(
            "Second",
            &[("impact", 1.0), ("savings", 1.0), ("urgency", 2.0)],
        );
        let v2 = store
            .save_scoring_model(org.id(), 1, &second, &actor())
            .await
            .unwrap();
        assert_eq!(v2.version, 2);

        // A save that started from version 1 is refused, naming version 2, and writes nothing.
        let audits = store.audit_count(org.id()).await.unwrap();
        let stale = store
            .save_scoring_model(org.id(), 1, &first, &actor())
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    current_version: 2,
                    ..
                })
            ),
            "{stale:?}"
        );
        assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);

        let current = store.scoring_model(org.id()).await.unwrap().unwrap();
        assert_eq!(current, v2, "the current model reads back exactly as saved");
        assert_eq!(current.criteria.len(), 3);
        assert_eq!(current.criteria[2].weight, 0.5);
        assert_eq!(current.criteria[2].descriptors[5], "urgency level 5");
        let versions = store.scoring_model_versions(org.id()).await.unwrap();
        let listed: Vec<(i64, &str)> = versions
            .iter()
            .map(|m| (m.version, m.name.as_str()))
            .collect();
        assert_eq!(listed, vec![(2, "Second"), (1, "First")]);
        assert_eq!(
            store.scoring_model_version(org.id(), 1).await.unwrap(),
            v1,
            "an old version is kept unchanged"
        );
        let history = store.history(org.id(), "scoring_model", 1).await.unwrap();
        assert_eq!(history.len(), 1, "each save has its audit record");
    }

    async fn assessments_round_trip_and_refuse_a_stale_save(store: &Store) {
        let org = migrated_org(store).await;
        let project = org.create(store, &draft("Online blue badges")).await;
        let model = store
            .save_scoring_model(
                org.id(),
                0,
                &model_input("M", &[("impact", 1.0), ("savings", 1.0)]),
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(
            store.assessment(org.id(), &project.code).await.unwrap(),
            None
        );
        let first = scores(
            &model,
            &[("impact", 4, "Most residents"), ("savings", 2, "")],
        );
        let saved = store
            .save_assessment(org.id(), &project.code, 0, &first, &actor())
            .await
            .unwrap();
        assert_eq!(saved.version, 1);
        assert_eq!(saved.scores, first);
        let read = store
            .assessment(org.id(), &project.code)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, saved);
        assert_eq!(read.scores["impact"].rationale, "Most residents");

        let second = scores(&model, &[("impact", 5, "All residents")]);
        let v2 = store
            .save_assessment(org.id(), &project.code, 1, &second, &actor())
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(v2.scores.len(), 1, "a save replaces the scores");

        let stale = store
            .save_assessment(org.id(), &project.code, 1, &first, &actor())
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    current_version: 2,
                    ..
                })
            ),
            "{stale:?}"
        );
        let after = store.assessment(org.id(), &project.code).await.unwrap();
        assert_eq!(after.as_ref(), Some(&v2), "the stale save wrote nothing");
        let all = store.assessments(org.id()).await.unwrap();
        assert_eq!(all, vec![v2]);
        let missing = store.assessment(org.id(), "DP-999").await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
    }

    async fn another_organisations_model_and_assessments_are_invisible(store: &Store) {
        let north = migrated_org(store).await;
        let south = new_org(store, "southmere", "SM").await;
        let project = north.create(store, &draft("Care finder")).await;
        let model = store
            .save_scoring_model(
                north.id(),
                0,
                &model_input("North", &[("impact", 1.0), ("savings", 1.0)]),
                &actor(),
            )
            .await
            .unwrap();
        store
            .save_assessment(
                north.id(),
                &project.code,
                0,
                &scores(&model, &[("impact", 3, "")]),
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(store.scoring_model(south.id()).await.unwrap(), None);
        assert!(store
            .scoring_model_versions(south.id())
            .await
            .unwrap()
            .is_empty());
        assert!(store.assessments(south.id()).await.unwrap().is_empty());
        assert!(matches!(
            store.assessment(south.id(), &project.code).await,
            Err(StoreError::NotFound { .. })
        ));
        // Southmere's first model is its own version 1, not North's version 2.
        let own = store
            .save_scoring_model(
                south.id(),
                0,
                &model_input("South", &[("a", 1.0), ("b", 1.0)]),
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(own.version, 1);
        assert!(matches!(own.weighting, Weighting::Direct));
        assert_eq!(
            store.scoring_model(north.id()).await.unwrap().unwrap().name,
            "North"
        );
    }
}

// ---------------------------------------------------------------------------
// Capacity: resource pools, budgets and project plans
// ---------------------------------------------------------------------------

mod capacity {
    use super::*;
    use portfolio_domain::capacity::{
        BudgetDraft, DemandDraft, PlanContext, PlanDraft, PoolDraft, ProjectPlan, SupplyDraft,
    };
    use portfolio_domain::project::ProjectCode;

    backend_tests!(
        sqlite: sqlite_store, postgres: postgres_store;
        pools_round_trip_refuse_stale_versions_and_duplicate_slugs,
        a_pool_in_use_is_not_deleted,
        budgets_are_put_per_year_with_versions,
        plans_round_trip_and_a_refused_check_writes_nothing,
        concurrent_first_plans_let_exactly_one_win,
    );

    fn pool_draft(name: &str, amounts: &[f64]) -> PoolDraft {
        PoolDraft {
            name: name.into(),
            description: "People who build & fix <systems>".into(),
            supply: amounts
                .iter()
                .enumerate()
                .map(|(i, &amount)| SupplyDraft {
                    quarter: format!("2026/27 Q{}", i + 1),
                    amount,
                })
                .collect(),
            ..PoolDraft::default()
        }
    }

    async fn pools_round_trip_refuse_stale_versions_and_duplicate_slugs(store: &Store) {
        let org = migrated_org(store).await;
        let other = new_org(store, "elsewhere", "EL").await;
        let input = pool_draft("Developers", &[4.0, 4.5, 5.0, 5.25])
            .validate()
            .unwrap();
        let created = store
            .create_resource_pool(org.id(), &input, &actor())
            .await
            .unwrap();
        assert_eq!(created.slug, "developers");
        assert_eq!(created.version, 1);
        let read = store.resource_pool(org.id(), "developers").await.unwrap();
        assert_eq!(read, created);
        assert_eq!(read.supply[3].amount, 5.25);
        assert_eq!(read.supply[3].quarter.to_string(), "2026/27 Q4");
        // Another organisation neither sees it nor is stopped from using the slug.
        assert!(matches!(
            store.resource_pool(other.id(), "developers").await,
            Err(StoreError::NotFound { .. })
        ));
        store
            .create_resource_pool(other.id(), &input, &actor())
            .await
            .unwrap();
        assert!(matches!(
            store.create_resource_pool(org.id(), &input, &actor()).await,
            Err(StoreError::Duplicate { field: "slug", .. })
        ));
        let changed = pool_draft("Software developers", &[6.0])
            .validate()
            .unwrap();
        let updated = store
            .update_resource_pool(org.id(), "developers", 1, &changed, &actor())
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.slug, "developers", "the slug stays");
        assert_eq!(
            store.resource_pool(org.id(), "developers").await.unwrap(),
            updated
        );
        match store
            .update_resource_pool(org.id(), "developers", 1, &input, &actor())
            .await
        {
            Err(StoreError::Conflict {
                current_version, ..
            }) => assert_eq!(current_version, 2),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(
            store
                .resource_pool(org.id(), "developers")
                .await
                .unwrap()
                .name,
            "Software developers"
        );
        let history = store
            .history(org.id(), "resource_pool", created.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].changed_fields(), vec!["name", "supply"]);
    }

    async fn plan_for(
        store: &Store,
        org: &Org,
        project: &Project,
        draft: &PlanDraft,
    ) -> ProjectPlan {
        let pools = store.resource_pools(org.id()).await.unwrap();
        let plans = store.project_plans(org.id()).await.unwrap();
        let codes: Vec<ProjectCode> = store
            .all_projects(org.id())
            .await
            .unwrap()
            .iter()
            .map(|p| ProjectCode::parse(&p.code).unwrap())
            .collect();
        draft
            .validate(
                project,
                &PlanContext {
                    pools: &pools,
                    codes: &codes,
                    plans: &plans,
                    start_month: 4,
                },
            )
            .unwrap_or_else(|e| panic!("plan does not validate: {e}"))
    }

    fn demand(pool: &str, amounts: &[f64]) -> Vec<DemandDraft> {
        amounts
            .iter()
            .enumerate()
            .map(|(i, &amount)| DemandDraft {
                pool: pool.into(),
                offset: i as i64,
                amount,
            })
            .collect()
    }

    async fn a_pool_in_use_is_not_deleted(store: &Store) {
        let org = migrated_org(store).await;
        for name in ["Developers", "Change managers"] {
            let input = pool_draft(name, &[3.0; 4]).validate().unwrap();
            store
                .create_resource_pool(org.id(), &input, &actor())
                .await
                .unwrap();
        }
        let project = org.create(store, &draft("Case management")).await;
        let plan = plan_for(
            store,
            &org,
            &project,
            &PlanDraft {
                duration_quarters: 2,
                demand: demand("developers", &[1.0, 2.0]),
                ..PlanDraft::default()
            },
        )
        .await;
        store
            .put_project_plan(org.id(), &plan, &actor(), |_| Ok::<(), ()>(()))
            .await
            .unwrap()
            .unwrap();
        let refused = store
            .delete_resource_pool(org.id(), "developers", 1, &actor())
            .await
            .unwrap();
        assert_eq!(refused, Err(vec![ProjectCode::parse("DP-001").unwrap()]));
        assert!(store.resource_pool(org.id(), "developers").await.is_ok());
        assert!(matches!(
            store
                .delete_resource_pool(org.id(), "change-managers", 7, &actor())
                .await,
            Err(StoreError::Conflict { .. })
        ));
        store
            .delete_resource_pool(org.id(), "change-managers", 1, &actor())
            .await
            .unwrap()
            .unwrap();
        let left: Vec<String> = store
            .resource_pools(org.id())
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.slug)
            .collect();
        assert_eq!(left, vec!["developers"]);
    }

    async fn budgets_are_put_per_year_with_versions(store: &Store) {
        let org = migrated_org(store).await;
        let year = |y: &str, capital: i64, revenue: i64| {
            BudgetDraft {
                capital_pence: capital,
                revenue_pence: revenue,
            }
            .validate(y)
            .unwrap()
        };
        let later = store
            .put_budget(org.id(), &year("2027-28", 500, 50), &actor())
            .await
            .unwrap();
        assert_eq!(later.version, 1);
        store
            .put_budget(org.id(), &year("2026/27", 900, 90), &actor())
            .await
            .unwrap();
        // A second writer who also saw no budget for 2027/28 is refused.
        assert!(matches!(
            store
                .put_budget(org.id(), &year("2027-28", 1, 1), &actor())
                .await,
            Err(StoreError::Conflict {
                current_version: 1,
                ..
            })
        ));
        let updated = store
            .put_budget(
                org.id(),
                &portfolio_domain::capacity::Budget {
                    version: 1,
                    ..year("2027-28", 700, 70)
                },
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        let all = store.budgets(org.id()).await.unwrap();
        let summary: Vec<(String, i64, i64, i64)> = all
            .iter()
            .map(|b| {
                (
                    b.year.to_string(),
                    b.capital.pence(),
                    b.revenue.pence(),
                    b.version,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2026/27".to_string(), 900, 90, 1),
                ("2027/28".to_string(), 700, 70, 2)
            ]
        );
        let other = new_org(store, "elsewhere", "EL").await;
        assert!(store.budgets(other.id()).await.unwrap().is_empty());
    }

    async fn plans_round_trip_and_a_refused_check_writes_nothing(store: &Store) {
        let org = migrated_org(store).await;
        let input = pool_draft("Developers", &[3.0; 4]).validate().unwrap();
        store
            .create_resource_pool(org.id(), &input, &actor())
            .await
            .unwrap();
        let first = org
            .create(store, &draft("Children's case management"))
            .await;
        let second = org.create(store, &draft("SEND improvements")).await;
        let plan = plan_for(
            store,
            &org,
            &second,
            &PlanDraft {
                earliest_start: Some("2026/27 Q2".into()),
                latest_start: Some("2026/27 Q3".into()),
                duration_quarters: 3,
                demand: demand("developers", &[1.5, 2.0, 0.25]),
                costs: vec![portfolio_domain::capacity::RelativeCostDraft {
                    offset: 0,
                    capital_pence: 12_000_000,
                    revenue_pence: 100,
                }],
                benefits_pence: 5_000_000,
                mandatory: true,
                depends_on: vec![first.code.clone()],
                exclusive_group: Some("send-options".into()),
            },
        )
        .await;
        let stored = store
            .put_project_plan(org.id(), &plan, &actor(), |_| Ok::<(), ()>(()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored,
            ProjectPlan {
                version: 1,
                ..plan.clone()
            }
        );
        assert_eq!(
            store.project_plan(org.id(), second.id).await.unwrap(),
            Some(stored.clone())
        );
        assert_eq!(store.project_plan(org.id(), first.id).await.unwrap(), None);
        // A stale write is refused.
        assert!(matches!(
            store
                .put_project_plan(org.id(), &plan, &actor(), |_| Ok::<(), ()>(()))
                .await,
            Err(StoreError::Conflict {
                current_version: 1,
                ..
            })
        ));
        // The check sees the stored plans; refusing writes nothing.
        let audit_before = store.audit_count(org.id()).await.unwrap();
        let back = plan_for(
            store,
            &org,
            &first,
            &PlanDraft {
                duration_quarters: 2,
                ..PlanDraft::default()
            },
        )
        .await;
        let refused = store
            .put_project_plan(org.id(), &back, &actor(), |all| {
                if all.iter().any(|p| p.code.as_str() == "DP-002") {
                    Err("DP-002 is planned")
                } else {
                    Ok(())
                }
            })
            .await
            .unwrap();
        assert_eq!(refused, Err("DP-002 is planned"));
        assert_eq!(store.project_plan(org.id(), first.id).await.unwrap(), None);
        assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before);
        let history = store
            .history(org.id(), "project_plan", second.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].action, "created");
        // Another organisation's project cannot be given a plan here.
        let other = new_org(store, "elsewhere", "EL").await;
        let outsider = other.create(store, &draft("Elsewhere")).await;
        let foreign = ProjectPlan {
            project_id: outsider.id,
            ..back
        };
        assert!(matches!(
            store
                .put_project_plan(org.id(), &foreign, &actor(), |_| Ok::<(), ()>(()))
                .await,
            Err(StoreError::NotFound { .. })
        ));
    }

    async fn concurrent_first_plans_let_exactly_one_win(store: &Store) {
        let org = migrated_org(store).await;
        let project = org.create(store, &draft("Contested")).await;
        let plan = plan_for(
            store,
            &org,
            &project,
            &PlanDraft {
                duration_quarters: 4,
                ..PlanDraft::default()
            },
        )
        .await;
        let mut tasks = Vec::new();
        for i in 0..4 {
            let store = store.clone();
            let plan = ProjectPlan {
                duration_quarters: 1 + i,
                ..plan.clone()
            };
            let org_id = org.id();
            tasks.push(tokio::spawn(async move {
                store
                    .put_project_plan(org_id, &plan, &actor(), |_| Ok::<(), ()>(()))
                    .await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(Ok(_)) => wins += 1,
                Err(StoreError::Conflict { .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1);
        let stored = store
            .project_plan(org.id(), project.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 1);
    }
}

// ---------------------------------------------------------------------------
// RAID registers (issue 5, scope 3)
// ---------------------------------------------------------------------------

mod raid {
    use super::*;
    use portfolio_domain::raid::{
        ActionDraft, ProjectRef, RaidContext, RaidDraft, RaidItem, RaidKind, RiskScales,
        RiskScalesDraft, ScoreDraft,
    };

    backend_tests!(
        sqlite: sqlite_store, postgres: postgres_store;
        raid_items_round_trip_with_audit_and_refuse_a_stale_write,
        raid_items_of_another_organisation_are_invisible,
        risk_scales_default_then_keep_versions,
        concurrent_raid_updates_let_exactly_one_win,
    );

    pub(super) fn score(likelihood: i64, impact: i64) -> Option<ScoreDraft> {
        Some(ScoreDraft { likelihood, impact })
    }

    /// A risk owned by `owner`, on `project` when given, with one action.
    pub(super) fn risk_draft(owner: &str, project: Option<&str>) -> RaidDraft {
        RaidDraft {
            kind: "risk".into(),
            project: project.map(str::to_string),
            title: "Not enough <b>developers</b> & analysts".into(),
            owner: owner.into(),
            cause: "Fixed team; =SUM(A1) demand".into(),
            event: "Projects start without people".into(),
            effect: "Delays\nand lost benefits".into(),
            inherent: score(5, 5),
            current: score(4, 4),
            target: score(2, 3),
            response: Some("treat".into()),
            proximity: Some("2027/28 Q1".into()),
            review_date: Some("2027-01-12".into()),
            escalated: true,
            actions: vec![ActionDraft {
                description: "Recruit two analysts".into(),
                owner: owner.into(),
                due: Some("2027-03-31".into()),
                status: "in_progress".into(),
            }],
            ..RaidDraft::default()
        }
    }

    pub(super) async fn validate(
        store: &Store,
        org: &Org,
        draft: &RaidDraft,
        risks: &[(i64, String)],
    ) -> RaidItem {
        let users = store.users(org.id()).await.unwrap();
        let projects: Vec<ProjectRef> = store
            .all_projects(org.id())
            .await
            .unwrap()
            .into_iter()
            .map(|p| ProjectRef {
                id: p.id,
                code: p.code,
                title: p.title,
            })
            .collect();
        let scales = store.risk_scales(org.id()).await.unwrap();
        draft
            .validate(&RaidContext {
                users: &users,
                projects: &projects,
                risks,
                scales: &scales,
                today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            })
            .unwrap_or_else(|e| panic!("draft does not validate: {e}"))
    }

    async fn raid_items_round_trip_with_audit_and_refuse_a_stale_write(store: &Store) {
        let org = migrated_org(store).await;
        let ann = viewer_ann(store, &org).await;
        let project = org.create(store, &draft("Teams telephony")).await;
        let input = validate(
            store,
            &org,
            &risk_draft(&ann.email, Some(&project.code)),
            &[],
        )
        .await;
        let audit_before = store.audit_count(org.id()).await.unwrap();
        let created = store
            .create_raid_item(org.id(), &input, &actor())
            .await
            .unwrap();
        assert_eq!(created.version, 1);
        assert_eq!(created.kind, RaidKind::Risk);
        assert_eq!(created.owner.email, ann.email);
        assert_eq!(created.project.as_ref().unwrap().code, project.code);
        // Hostile text is stored exactly, as text.
        assert_eq!(created.title, "Not enough <b>developers</b> & analysts");
        let risk = created.risk.as_ref().unwrap();
        assert_eq!(risk.cause, "Fixed team; =SUM(A1) demand");
        assert_eq!(risk.effect, "Delays\nand lost benefits");
        assert_eq!(risk.current.value(), 16);
        assert_eq!(risk.actions.len(), 1);
        assert_eq!(risk.actions[0].owner.name, "Ann");
        assert_eq!(risk.proximity.unwrap().to_string(), "2027/28 Q1");
        assert!(risk.escalated);
        assert_eq!(
            store.raid_item(org.id(), created.id).await.unwrap(),
            created
        );
        assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_before + 1);

        // An issue linked to the risk.
        let issue = validate(
            store,
            &org,
            &RaidDraft {
                kind: "issue".into(),
                title: "Analyst posts unfilled".into(),
                owner: ann.email.clone(),
                priority: Some("high".into()),
                resolution: "Interim analysts".into(),
                linked_risk: Some(created.id),
                ..RaidDraft::default()
            },
            &[(created.id, created.title.clone())],
        )
        .await;
        let issue = store
            .create_raid_item(org.id(), &issue, &actor())
            .await
            .unwrap();
        assert_eq!(issue.issue.as_ref().unwrap().linked_risk, Some(created.id));
        assert!(issue.risk.is_none());
        let all = store.raid_items(org.id()).await.unwrap();
        assert_eq!(
            all.iter().map(|i| i.id).collect::<Vec<_>>(),
            vec![created.id, issue.id]
        );

        // An update at the version read, then a stale one refused with nothing written.
        let mut changed = risk_draft(&ann.email, None);
        changed.current = score(3, 4);
        changed.actions.clear();
        let changed = validate(store, &org, &changed, &[]).await;
        let updated = store
            .update_raid_item(org.id(), created.id, 1, &changed, &actor())
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert!(updated.project.is_none(), "moved to the programme");
        assert_eq!(updated.risk.as_ref().unwrap().current.value(), 12);
        assert!(updated.risk.as_ref().unwrap().actions.is_empty());
        let audit_after = store.audit_count(org.id()).await.unwrap();
        match store
            .update_raid_item(org.id(), created.id, 1, &input, &actor())
            .await
        {
            Err(StoreError::Conflict {
                current_version, ..
            }) => assert_eq!(current_version, 2),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(
            store.raid_item(org.id(), created.id).await.unwrap(),
            updated
        );
        assert_eq!(store.audit_count(org.id()).await.unwrap(), audit_after);
        let history = store
            .history(org.id(), "raid_item", created.id)
            .await
            .unwrap();
        assert_eq!(
            history
                .iter()
                .map(|h| h.action.as_str())
                .collect::<Vec<_>>(),
            vec!["created", "updated"]
        );
        assert!(history[1].changed_fields().contains(&"risk".to_string()));
        assert!(matches!(
            store.raid_item(org.id(), 999_999).await,
            Err(StoreError::NotFound { .. })
        ));
    }

    async fn raid_items_of_another_organisation_are_invisible(store: &Store) {
        let org = migrated_org(store).await;
        let other = new_org(store, "elsewhere", "EL").await;
        let ann = viewer_ann(store, &org).await;
        let input = validate(store, &org, &risk_draft(&ann.email, None), &[]).await;
        let created = store
            .create_raid_item(org.id(), &input, &actor())
            .await
            .unwrap();
        assert!(store.raid_items(other.id()).await.unwrap().is_empty());
        assert!(matches!(
            store.raid_item(other.id(), created.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .update_raid_item(other.id(), created.id, 1, &input, &actor())
                .await,
            Err(StoreError::NotFound { .. })
        ));
    }

    async fn risk_scales_default_then_keep_versions(store: &Store) {
        let org = migrated_org(store).await;
        assert_eq!(
            store.risk_scales(org.id()).await.unwrap(),
            RiskScales::default()
        );
        let words = |w: &str| (1..=5).map(|i| format!("{w} {i}")).collect::<Vec<_>>();
        let scales = RiskScalesDraft {
            likelihood: words("L"),
            impact: words("I"),
        }
        .validate()
        .unwrap();
        let v1 = store
            .put_risk_scales(org.id(), &scales, &actor())
            .await
            .unwrap();
        assert_eq!(v1.version, 1);
        assert_eq!(store.risk_scales(org.id()).await.unwrap(), v1);
        // A second writer who also read the defaults is refused.
        assert!(matches!(
            store.put_risk_scales(org.id(), &scales, &actor()).await,
            Err(StoreError::Conflict {
                current_version: 1,
                ..
            })
        ));
        let v2 = store
            .put_risk_scales(
                org.id(),
                &RiskScales {
                    version: 1,
                    ..scales.clone()
                },
                &actor(),
            )
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            store.risk_scales(org.id()).await.unwrap().likelihood[4],
            "L 5"
        );
    }

    async fn concurrent_raid_updates_let_exactly_one_win(store: &Store) {
        let org = migrated_org(store).await;
        let ann = viewer_ann(store, &org).await;
        let input = validate(store, &org, &risk_draft(&ann.email, None), &[]).await;
        let created = store
            .create_raid_item(org.id(), &input, &actor())
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..4u8 {
            let store = store.clone();
            let mut item = input.clone();
            item.title = format!("Edit {i}");
            let (org_id, id) = (org.id(), created.id);
            tasks.push(tokio::spawn(async move {
                store.update_raid_item(org_id, id, 1, &item, &actor()).await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => wins += 1,
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1);
        assert_eq!(
            store.raid_item(org.id(), created.id).await.unwrap().version,
            2
        );
    }
}

// ---------------------------------------------------------------------------
// Stage gates
// ---------------------------------------------------------------------------

/// Requests `project`'s next gate with full evidence, the domain checking it.
async fn request_next_gate(
    store: &Store,
    org: &Org,
    project: &Project,
    summary: &str,
) -> Result<GateRequest, ValidationErrors> {
    store
        .create_gate_request(org.id(), &project.code, &actor(), |stored, checklist| {
            GateRequestDraft {
                project: stored.code.clone(),
                to_stage: Gate::next_from(stored.stage).unwrap().to.as_str().into(),
                summary: summary.into(),
                evidence: demo::governance::evidence(&checklist.items),
            }
            .validate(stored.stage, checklist)
        })
        .await
        .expect("store answers")
}

fn decision(outcome: &str) -> GateDecisionInput {
    GateDecisionDraft {
        outcome: outcome.into(),
        reasons: "The evidence is complete.".into(),
        conditions: if outcome == "approved_with_conditions" {
            "Report the costs again in three months.".into()
        } else {
            String::new()
        },
    }
    .validate()
    .unwrap()
}

async fn decide(
    store: &Store,
    org: &Org,
    request: &GateRequest,
    version: i64,
    outcome: &str,
) -> Result<Result<GateRequest, ValidationErrors>, StoreError> {
    store
        .decide_gate_request(
            org.id(),
            request.id,
            version,
            &decision(outcome),
            &actor(),
            |r, p| r.check_can_decide(p.stage),
        )
        .await
}

async fn gate_checklists_default_and_refuse_stale_edits(store: &Store) {
    let org = migrated_org(store).await;
    let other = new_org(store, "southby", "SB").await;
    let lists = store.gate_checklists(org.id()).await.unwrap();
    assert_eq!(lists.len(), 5, "one per forward step of the path");
    assert!(lists.iter().all(|l| l.version == 0 && !l.items.is_empty()));
    let gate = Gate::parse("concept-design").unwrap();
    let audits = store.audit_count(org.id()).await.unwrap();
    let items = parse_checklist(
        gate,
        &[
            "Business case approved".into(),
            "<b>DPIA</b> & 'screening'".into(),
        ],
    )
    .unwrap();
    let saved = store
        .put_gate_checklist(org.id(), gate, 0, &items, &actor())
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        saved.items[1].label, "<b>DPIA</b> & 'screening'",
        "stored as typed"
    );
    assert_eq!(store.gate_checklist(org.id(), gate).await.unwrap(), saved);
    // A second writer who also read the default is refused.
    match store
        .put_gate_checklist(org.id(), gate, 0, &items[..1], &actor())
        .await
    {
        Err(StoreError::Conflict {
            current_version, ..
        }) => assert_eq!(current_version, 1),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let again = store
        .put_gate_checklist(org.id(), gate, 1, &items[..1], &actor())
        .await
        .unwrap();
    assert_eq!((again.version, again.items.len()), (2, 1));
    // Another organisation keeps the default.
    assert_eq!(
        store
            .gate_checklist(other.id(), gate)
            .await
            .unwrap()
            .version,
        0
    );
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audits + 2,
        "one audit record per saved checklist, none for the refused one"
    );
}

async fn an_approved_gate_moves_the_project_in_one_transaction(store: &Store) {
    let org = migrated_org(store).await;
    let project = org.create(store, &draft("Virtual social work")).await;
    assert_eq!(project.stage, Stage::Concept);
    let request = request_next_gate(store, &org, &project, "Ready <script>alert(1)</script>")
        .await
        .unwrap();
    assert_eq!(request.status, GateStatus::Pending);
    assert_eq!(
        (request.from_stage, request.to_stage),
        (Stage::Concept, Stage::Design)
    );
    assert_eq!(request.summary, "Ready <script>alert(1)</script>");
    assert_eq!(request.evidence.len(), 4);
    assert_eq!(
        store.gate_request(org.id(), request.id).await.unwrap(),
        request
    );

    // A second request while one waits is refused on to_stage, writing nothing.
    let audits = store.audit_count(org.id()).await.unwrap();
    let second = request_next_gate(store, &org, &project, "again")
        .await
        .unwrap_err();
    assert!(
        second
            .for_field("to_stage")
            .unwrap()
            .contains("already waiting"),
        "{second}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);

    // Stale: refused, nothing written, the project stays.
    assert!(matches!(
        decide(store, &org, &request, 7, "approved").await,
        Err(StoreError::Conflict {
            current_version: 1,
            ..
        })
    ));
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);
    assert_eq!(
        store.project(org.id(), &project.code).await.unwrap().stage,
        Stage::Concept
    );

    let decided = decide(store, &org, &request, 1, "approved_with_conditions")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.status, GateStatus::ApprovedWithConditions);
    assert_eq!(decided.version, 2);
    let d = decided.decision.as_ref().unwrap();
    assert_eq!(d.decided_by.label, ACTOR_LABEL);
    assert!(d.conditions.contains("three months"));
    let moved = store.project(org.id(), &project.code).await.unwrap();
    assert_eq!(moved.stage, Stage::Design);
    assert_eq!(moved.version, project.version + 1);
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audits + 2,
        "the decision and the stage move"
    );
    let history = store
        .history(org.id(), "project", project.id)
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().action, "gate_approved");
    assert_eq!(
        history.last().unwrap().changed_fields(),
        vec!["stage".to_string()]
    );

    // Decided once: a second decision is refused by the check, nothing written.
    let again = decide(store, &org, &decided, 2, "rejected")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        again
            .for_field("outcome")
            .unwrap()
            .contains("already decided"),
        "{again}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits + 2);

    // The next gate may be requested now; rejected, the project stays.
    let next = request_next_gate(store, &org, &moved, "Delivery")
        .await
        .unwrap();
    assert_eq!(next.to_stage, Stage::Delivery);
    let rejected = decide(store, &org, &next, 1, "rejected")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.status, GateStatus::Rejected);
    assert_eq!(
        store.project(org.id(), &project.code).await.unwrap().stage,
        Stage::Design
    );

    let pending = store
        .gate_requests(
            org.id(),
            &GateRequestFilter {
                status: Some(GateStatus::Pending),
                project_id: None,
            },
        )
        .await
        .unwrap();
    assert!(pending.is_empty());
    let all = store
        .gate_requests(
            org.id(),
            &GateRequestFilter {
                status: None,
                project_id: Some(project.id),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![next.id, request.id],
        "newest first"
    );
}

async fn a_decision_on_a_project_that_moved_is_refused(store: &Store) {
    let org = migrated_org(store).await;
    let project = org.create(store, &draft("Case management")).await;
    let request = request_next_gate(store, &org, &project, "").await.unwrap();
    // The project is put on hold after the request (an edit, not a gate).
    let held = edit(&org, &project, |d| d.stage = "on_hold".into());
    update(store, &org, &project.code, project.version, &held)
        .await
        .unwrap()
        .unwrap();
    let audits = store.audit_count(org.id()).await.unwrap();
    let refused = decide(store, &org, &request, 1, "approved")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused
            .for_field("outcome")
            .unwrap()
            .contains("now in On hold"),
        "{refused}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);
    assert_eq!(
        store.project(org.id(), &project.code).await.unwrap().stage,
        Stage::OnHold
    );
    assert_eq!(
        store
            .gate_request(org.id(), request.id)
            .await
            .unwrap()
            .status,
        GateStatus::Pending
    );
}

// ---------------------------------------------------------------------------
// Board meetings
// ---------------------------------------------------------------------------

fn meeting_input(store_users: &[portfolio_domain::organisation::User], on: &str) -> MeetingInput {
    MeetingDraft {
        body: "programme_board".into(),
        meets_on: on.into(),
        location: "Council Chamber & <Room 2>".into(),
        attendees: store_users.iter().map(|u| u.email.clone()).collect(),
        guests: vec!["Cllr Jane Smith, Cabinet Member for Digital".into()],
        ..Default::default()
    }
    .validate(store_users)
    .unwrap()
}

/// The agenda the app builds: the pending gate requests, nothing else here.
fn gate_agenda(requests: &[&GateRequest]) -> Vec<AgendaItemInput> {
    auto_agenda(
        &Pending {
            gate_requests: requests
                .iter()
                .map(|r| {
                    (
                        r.id,
                        r.project_code.clone(),
                        r.project_title.clone(),
                        r.gate().label(),
                    )
                })
                .collect(),
            escalated_risks: Vec::new(),
            projects: Vec::new(),
        },
        &[],
    )
}

fn gate_decision(item: i64, version: i64, outcome: &str) -> DecisionDraft {
    DecisionDraft {
        agenda_item: item,
        gate: Some(GateDecisionDraft {
            outcome: outcome.into(),
            reasons: "The business case is sound.".into(),
            conditions: String::new(),
        }),
        gate_version: Some(version),
        ..Default::default()
    }
}

async fn a_board_decision_on_a_gate_moves_the_project_and_is_logged(store: &Store) {
    let org = migrated_org(store).await;
    let ann = viewer_ann(store, &org).await;
    let project = org.create(store, &draft("Blue badge renewals")).await;
    let request = request_next_gate(store, &org, &project, "Ready")
        .await
        .unwrap();
    let record = store
        .create_meeting(
            org.id(),
            &meeting_input(std::slice::from_ref(&ann), "2027-01-14"),
            &gate_agenda(&[&request]),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(record.meeting.title, "Programme Board, 14 January 2027");
    assert_eq!(record.meeting.location, "Council Chamber & <Room 2>");
    assert_eq!(record.meeting.attendees.len(), 2);
    assert_eq!(record.agenda.len(), 1);
    let item = &record.agenda[0];
    assert_eq!(
        (item.kind, item.ref_id),
        (AgendaKind::GateRequest, Some(request.id))
    );
    assert_eq!(
        store.meeting(org.id(), record.meeting.id).await.unwrap(),
        record
    );

    // A stale gate version: refused, nothing written.
    let audits = store.audit_count(org.id()).await.unwrap();
    let stale = store
        .record_decision(org.id(), record.meeting.id, &actor(), |m| {
            gate_decision(item.id, 9, "approved").validate(m)
        })
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);

    let (after, decision) = store
        .record_decision(org.id(), record.meeting.id, &actor(), |m| {
            gate_decision(item.id, request.version, "approved").validate(m)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decision.outcome, Some(GateStatus::Approved));
    assert_eq!(decision.text, "Approved. The business case is sound.");
    assert_eq!(after.decisions, vec![decision.clone()]);
    assert_eq!(
        store.project(org.id(), &project.code).await.unwrap().stage,
        Stage::Design,
        "the approval moved the project"
    );
    let gate = store.gate_request(org.id(), request.id).await.unwrap();
    assert_eq!(gate.status, GateStatus::Approved);
    assert_eq!(gate.decision.unwrap().meeting_id, Some(record.meeting.id));
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audits + 3,
        "the gate decision, the stage move and the board decision"
    );

    // Decided once: a second decision on the same gate writes nothing.
    let again = store
        .record_decision(org.id(), record.meeting.id, &actor(), |m| {
            gate_decision(item.id, 2, "rejected").validate(m)
        })
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        again
            .for_field("outcome")
            .unwrap()
            .contains("already decided"),
        "{again}"
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits + 3);
    assert_eq!(
        store
            .meeting(org.id(), record.meeting.id)
            .await
            .unwrap()
            .decisions
            .len(),
        1
    );

    // A hand-added item takes words; the log lists both, latest meeting first.
    let (with_item, added) = store
        .add_agenda_items(org.id(), record.meeting.id, &actor(), |_| {
            vec![AgendaItemDraft {
                title: "Digital strategy refresh".into(),
                detail: String::new(),
            }
            .validate()
            .unwrap()]
        })
        .await
        .unwrap();
    assert_eq!(added, 1);
    let other = with_item.agenda.last().unwrap().clone();
    assert_eq!(other.position, 2);
    store
        .record_decision(org.id(), record.meeting.id, &actor(), |m| {
            DecisionDraft {
                agenda_item: other.id,
                text: "Noted; the strategy returns in March.".into(),
                ..Default::default()
            }
            .validate(m)
        })
        .await
        .unwrap()
        .unwrap();
    let log = store.decision_log(org.id()).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d.meets_on == record.meeting.meets_on));
    assert_eq!(log[0].agenda_title, "Digital strategy refresh");
    assert_eq!(log[1].project_code.as_deref(), Some(project.code.as_str()));
    let audit = store
        .history(org.id(), "board_decision", decision.id)
        .await
        .unwrap();
    assert_eq!(audit[0].action, "recorded");
    assert_eq!(
        audit[0].after.as_ref().unwrap()["meeting_title"],
        "Programme Board, 14 January 2027"
    );

    // The same gate request is not put on the agenda twice.
    let (_, added) = store
        .add_agenda_items(org.id(), record.meeting.id, &actor(), |m| {
            let mut items = gate_agenda(&[&request]);
            items.retain(|i| {
                !m.agenda
                    .iter()
                    .any(|a| a.ref_id == i.ref_id && a.kind == i.kind)
            });
            items.extend(gate_agenda(&[&request]));
            items
        })
        .await
        .unwrap();
    assert_eq!(added, 0);
}

async fn meeting_actions_and_dates_are_checked_and_versioned(store: &Store) {
    let org = migrated_org(store).await;
    let ann = viewer_ann(store, &org).await;
    let users = vec![ann.clone()];
    let first = store
        .create_meeting(
            org.id(),
            &meeting_input(&users, "2027-01-14"),
            &[],
            &actor(),
        )
        .await
        .unwrap();
    let later = store
        .create_meeting(
            org.id(),
            &meeting_input(&users, "2027-02-11"),
            &[],
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .previous_meeting(org.id(), Body::ProgrammeBoard, later.meeting.meets_on)
            .await
            .unwrap()
            .map(|m| m.id),
        Some(first.meeting.id)
    );
    assert!(store
        .previous_meeting(org.id(), Body::Cabinet, later.meeting.meets_on)
        .await
        .unwrap()
        .is_none());
    let audits = store.audit_count(org.id()).await.unwrap();
    let early = store
        .add_meeting_action(org.id(), first.meeting.id, &actor(), |m| {
            MeetingActionDraft {
                description: "Bring back the costs".into(),
                owner: ann.email.clone(),
                due_on: "2027-01-13".into(),
                ..Default::default()
            }
            .validate(m, &users)
        })
        .await
        .unwrap()
        .unwrap_err();
    assert!(early.for_field("due_on").unwrap().contains("on or after"));
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits);
    let action = store
        .add_meeting_action(org.id(), first.meeting.id, &actor(), |m| {
            MeetingActionDraft {
                description: "Bring back the costs".into(),
                owner: ann.email.clone(),
                due_on: "2027-02-01".into(),
                ..Default::default()
            }
            .validate(m, &users)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.owner.name, "Ann");
    assert_eq!(action.status, ActionStatus::NotStarted);
    let done = store
        .set_meeting_action_status(org.id(), action.id, 1, ActionStatus::Done, &actor())
        .await
        .unwrap();
    assert_eq!((done.status, done.version), (ActionStatus::Done, 2));
    assert!(matches!(
        store
            .set_meeting_action_status(org.id(), action.id, 1, ActionStatus::InProgress, &actor())
            .await,
        Err(StoreError::Conflict {
            current_version: 2,
            ..
        })
    ));
    assert_eq!(store.meeting_actions(org.id()).await.unwrap(), vec![done]);

    // Moving the meeting after its action's due date is refused by the check.
    let moved = store
        .update_meeting(
            org.id(),
            first.meeting.id,
            1,
            &meeting_input(&users, "2027-03-01"),
            &actor(),
            |m| match m.actions.iter().map(|a| a.due_on).min() {
                Some(d) if d < NaiveDate::from_ymd_opt(2027, 3, 1).unwrap() => Err(
                    ValidationErrors::single("meets_on", "after an action's due date"),
                ),
                _ => Ok(()),
            },
        )
        .await
        .unwrap();
    assert!(moved.is_err());
    let stale = store
        .update_meeting(
            org.id(),
            first.meeting.id,
            5,
            &meeting_input(&users, "2027-01-15"),
            &actor(),
            |_| Ok(()),
        )
        .await;
    assert!(matches!(
        stale,
        Err(StoreError::Conflict {
            current_version: 1,
            ..
        })
    ));
    let renamed = store
        .update_meeting(
            org.id(),
            first.meeting.id,
            1,
            &meeting_input(&users, "2027-01-15"),
            &actor(),
            |_| Ok(()),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.meeting.version, 2);
    assert_eq!(renamed.meeting.title, "Programme Board, 15 January 2027");
    let counts = store.meeting_counts(org.id()).await.unwrap();
    assert_eq!(counts.get(&first.meeting.id), Some(&(0, 1)));
    assert_eq!(
        store
            .meetings(org.id())
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![later.meeting.id, first.meeting.id],
        "latest first"
    );
}

// ---------------------------------------------------------------------------
// Highlight reports
// ---------------------------------------------------------------------------

fn highlight(period: &str, confidence: &str) -> HighlightInput {
    HighlightDraft {
        period: period.into(),
        confidence: confidence.into(),
        reason: "Supplier late <b>again</b>".into(),
        narrative: "Testing started.".into(),
        milestones: vec![MilestoneDraft {
            name: "Go live".into(),
            planned: "2027-01-10".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
    .validate(&HighlightContext {
        open_items: &[],
        today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    })
    .unwrap()
}

async fn save_highlight(
    store: &Store,
    org: &Org,
    code: &str,
    version: i64,
    input: HighlightInput,
) -> Result<Result<HighlightReport, ValidationErrors>, StoreError> {
    store
        .save_highlight_report(org.id(), code, version, &actor(), |_| Ok(input))
        .await
}

async fn the_latest_highlight_report_sets_the_projects_confidence(store: &Store) {
    let org = migrated_org(store).await;
    let project = org.create(store, &draft("Libraries online")).await;
    assert_eq!(project.confidence, None);
    let audits = store.audit_count(org.id()).await.unwrap();
    let nov = save_highlight(store, &org, &project.code, 0, highlight("2026-11", "amber"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (nov.version, nov.reason.as_str()),
        (1, "Supplier late <b>again</b>")
    );
    let stored = store.project(org.id(), &project.code).await.unwrap();
    assert_eq!(stored.confidence, Some(DeliveryConfidence::Amber));
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        audits + 2,
        "the report and the confidence move"
    );
    // An earlier month's report leaves the project's confidence alone.
    let oct = save_highlight(store, &org, &project.code, 0, highlight("2026-10", "green"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(oct.period.as_string(), "2026-10");
    assert_eq!(
        store
            .project(org.id(), &project.code)
            .await
            .unwrap()
            .confidence,
        Some(DeliveryConfidence::Amber)
    );
    // A second new report for November is refused on period; a stale edit conflicts.
    let twice = save_highlight(store, &org, &project.code, 0, highlight("2026-11", "red"))
        .await
        .unwrap()
        .unwrap_err();
    assert!(twice
        .for_field("period")
        .unwrap()
        .contains("already has a report"));
    assert!(matches!(
        save_highlight(store, &org, &project.code, 3, highlight("2026-11", "red")).await,
        Err(StoreError::Conflict {
            current_version: 1,
            ..
        })
    ));
    let audits = store.audit_count(org.id()).await.unwrap();
    let red = save_highlight(store, &org, &project.code, 1, highlight("2026-11", "red"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(red.version, 2);
    assert_eq!(
        store
            .project(org.id(), &project.code)
            .await
            .unwrap()
            .confidence,
        Some(DeliveryConfidence::Red)
    );
    assert_eq!(store.audit_count(org.id()).await.unwrap(), audits + 2);
    let history = store
        .history(org.id(), "project", project.id)
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().action, "highlight_report");
    assert_eq!(
        store
            .highlight_reports(org.id(), project.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.period.as_string())
            .collect::<Vec<_>>(),
        vec!["2026-11", "2026-10"],
        "latest month first"
    );
    let points = store
        .confidence_points(org.id(), Month::parse("2026-10").unwrap())
        .await
        .unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[1].2, DeliveryConfidence::Red);
    assert_eq!(
        store
            .highlight_reports_for(org.id(), Month::parse("2026-11").unwrap())
            .await
            .unwrap(),
        vec![red]
    );
}

// ---------------------------------------------------------------------------
// History: the changes between two instants, the register as at an instant
// ---------------------------------------------------------------------------

mod history {
    use super::*;
    use chrono::{DateTime, Duration};
    use portfolio_domain::history::{grouped_counts, Changes, Period, SUMMARISED_ENTITIES};
    use portfolio_domain::raid::RaidStatus;
    use portfolio_store::GeneratedAudit;

    backend_tests!(
        sqlite: sqlite_store, postgres: postgres_store;
        changes_since_the_last_board_list_exactly_what_changed,
        the_register_as_at_an_instant_is_each_projects_latest_state,
        a_generated_past_is_read_as_at_its_dates_and_only_once,
    );

    /// The current instant, a little after every write so far (and before
    /// every write to come): the audit trail keeps microseconds.
    async fn mark() -> DateTime<Utc> {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let t = Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        t
    }

    async fn changes(store: &Store, org: &Org, from: DateTime<Utc>, to: DateTime<Utc>) -> Changes {
        let records = store
            .changes_between(org.id(), from, to, &SUMMARISED_ENTITIES)
            .await
            .expect("changes between");
        let period = Period {
            since: from.date_naive(),
            until: to.date_naive(),
        };
        Changes::classify(period, &records)
    }

    fn with_cost(d: &mut ProjectDraft, capital_pence: i64) {
        d.costs = vec![CostDraft {
            year: "2026/27".into(),
            capital_pence,
            revenue_pence: 0,
        }];
    }

    async fn changes_since_the_last_board_list_exactly_what_changed(store: &Store) {
        let org = migrated_org(store).await;
        let other = new_org(store, "southby", "SB").await;
        let ann = viewer_ann(store, &org).await;
        // Before the last board.
        let mut teams = draft("Teams for everyone");
        teams.confidence = Some("amber".into());
        with_cost(&mut teams, 10_000_000);
        let teams = org.create(store, &teams).await;
        let send = org.create(store, &draft("SEND portal")).await;
        let steady = org.create(store, &draft("Case management")).await;
        let gated = org
            .create(store, &draft("Robotic process automation"))
            .await;
        let request = request_next_gate(store, &org, &gated, "Ready for design")
            .await
            .unwrap();
        let risk_draft = super::raid::risk_draft(&ann.email, Some(&teams.code));
        let risk = super::raid::validate(store, &org, &risk_draft, &[]).await;
        let rescored = store
            .create_raid_item(org.id(), &risk, &actor())
            .await
            .unwrap();
        let closing = store
            .create_raid_item(org.id(), &risk, &actor())
            .await
            .unwrap();
        let last_board = mark().await;

        // Between the boards.
        let moved = edit(&org, &teams, |d| {
            d.stage = "design".into();
            d.confidence = Some("green".into());
            with_cost(d, 12_500_000);
        });
        let teams = update(store, &org, &teams.code, 1, &moved)
            .await
            .unwrap()
            .unwrap();
        let dated = edit(&org, &send, |d| d.end_date = Some("2027-03-31".into()));
        update(store, &org, &send.code, 1, &dated)
            .await
            .unwrap()
            .unwrap();
        // Changed and changed back: no change to report.
        let there = edit(&org, &steady, |d| d.stage = "design".into());
        let steady2 = update(store, &org, &steady.code, 1, &there)
            .await
            .unwrap()
            .unwrap();
        let back = edit(&org, &steady2, |d| d.stage = "concept".into());
        update(store, &org, &steady.code, 2, &back)
            .await
            .unwrap()
            .unwrap();
        let mut new_one = draft("Virtual social work");
        with_cost(&mut new_one, 2_000_000);
        let new_one = org.create(store, &new_one).await;
        let approved = decide(store, &org, &request, request.version, "approved")
            .await
            .unwrap()
            .unwrap();
        let mut worse = rescored.clone();
        if let Some(r) = worse.risk.as_mut() {
            r.current = portfolio_domain::raid::Score::new(5, 4);
        }
        store
            .update_raid_item(org.id(), rescored.id, 1, &worse, &actor())
            .await
            .unwrap();
        let mut closed = closing.clone();
        closed.status = RaidStatus::Closed;
        closed.closed_on = NaiveDate::from_ymd_opt(2026, 12, 1);
        store
            .update_raid_item(org.id(), closing.id, 1, &closed, &actor())
            .await
            .unwrap();
        let opened = store
            .create_raid_item(org.id(), &risk, &actor())
            .await
            .unwrap();
        // Another organisation's changes are not this one's.
        other.create(store, &draft("Elsewhere")).await;
        let this_board = mark().await;

        // After this board.
        let later = edit(&org, &teams, |d| d.stage = "delivery".into());
        update(store, &org, &teams.code, 2, &later)
            .await
            .unwrap()
            .unwrap();

        let c = changes(store, &org, last_board, this_board).await;
        let codes = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            c.new_projects
                .iter()
                .map(|n| n.project.code.clone())
                .collect::<Vec<_>>(),
            codes(vec![&new_one.code])
        );
        assert_eq!(c.new_projects[0].total_cost_pence, 2_000_000);
        assert_eq!(
            c.stage_moves
                .iter()
                .map(|m| (m.project.code.clone(), m.from, m.to))
                .collect::<Vec<_>>(),
            vec![
                (teams.code.clone(), Stage::Concept, Stage::Design),
                (gated.code.clone(), Stage::Concept, Stage::Design),
            ],
            "the gate's approval moved its project; the change undone is no move"
        );
        assert_eq!(c.confidence_changes.len(), 1);
        assert_eq!(c.confidence_changes[0].project.code, teams.code);
        assert_eq!(
            c.confidence_changes[0].from,
            Some(DeliveryConfidence::Amber)
        );
        assert_eq!(c.confidence_changes[0].to, Some(DeliveryConfidence::Green));
        assert_eq!(c.cost_changes.len(), 1);
        assert_eq!(
            (
                c.cost_changes[0].from_pence,
                c.cost_changes[0].to_pence,
                c.cost_changes[0].difference_pence
            ),
            (10_000_000, 12_500_000, 2_500_000)
        );
        assert_eq!(c.date_changes.len(), 1);
        assert_eq!(c.date_changes[0].project.code, send.code);
        assert_eq!(
            c.date_changes[0].end_to,
            NaiveDate::from_ymd_opt(2027, 3, 31)
        );
        assert_eq!(
            c.risks_opened.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![opened.id]
        );
        assert_eq!(
            c.risks_closed.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![closing.id]
        );
        assert_eq!(c.risks_rescored.len(), 1);
        assert_eq!(c.risks_rescored[0].risk.id, rescored.id);
        assert_eq!(
            (c.risks_rescored[0].from.score, c.risks_rescored[0].to.score),
            (16, 20)
        );
        assert_eq!(c.decisions.len(), 1);
        assert_eq!(c.decisions[0].id, approved.id);
        assert_eq!(c.decisions[0].outcome.as_deref(), Some("approved"));
        assert_eq!(c.decisions[0].project.as_ref().unwrap().code, gated.code);
        assert_eq!(c.counts.total(), 10);
        assert_eq!(
            c.counts.projects_changed, 4,
            "new, teams, send and the gated project"
        );

        // After this board: only the later move; before the last: only creations.
        let after = changes(store, &org, this_board, Utc::now() + Duration::seconds(1)).await;
        assert_eq!(after.counts.total(), 1);
        assert_eq!(after.stage_moves[0].from, Stage::Design);
        assert_eq!(after.stage_moves[0].to, Stage::Delivery);
        let before = changes(store, &org, last_board - Duration::days(1), last_board).await;
        assert_eq!(before.counts.new_projects, 4);
        assert_eq!(before.counts.risks_opened, 2);
        assert_eq!(before.counts.stage_moves + before.counts.decisions, 0);
        // An empty period is empty, not an error.
        let none = changes(
            store,
            &org,
            last_board - Duration::days(30),
            last_board - Duration::days(29),
        )
        .await;
        assert_eq!(none.counts.total(), 0);
    }

    async fn the_register_as_at_an_instant_is_each_projects_latest_state(store: &Store) {
        let org = migrated_org(store).await;
        let teams = org.create(store, &draft("Teams for everyone")).await;
        let send = org.create(store, &draft("SEND portal")).await;
        let first = mark().await;
        let moved = edit(&org, &teams, |d| {
            d.stage = "design".into();
            d.title = "Teams for everyone, phase 2".into();
        });
        update(store, &org, &teams.code, 1, &moved)
            .await
            .unwrap()
            .unwrap();
        let late = org.create(store, &draft("Virtual social work")).await;
        let second = mark().await;

        let then = store.projects_as_at(org.id(), first).await.unwrap();
        assert_eq!(codes(&then), vec![teams.code.clone(), send.code.clone()]);
        assert_eq!(then[0].stage, Stage::Concept);
        assert_eq!(then[0].title, "Teams for everyone");
        assert_eq!(then[0].version, 1);
        let now = store.projects_as_at(org.id(), second).await.unwrap();
        assert_eq!(
            codes(&now),
            vec![teams.code.clone(), send.code.clone(), late.code.clone()]
        );
        assert_eq!(now[0].stage, Stage::Design);
        // The past view holds what the live register held then, field for field.
        assert_eq!(now, store.all_projects(org.id()).await.unwrap());
        let counts = grouped_counts(&then);
        assert_eq!(counts.total, 2);
        assert!(store
            .projects_as_at(org.id(), first - Duration::days(1))
            .await
            .unwrap()
            .is_empty());
    }

    async fn a_generated_past_is_read_as_at_its_dates_and_only_once(store: &Store) {
        let org = migrated_org(store).await;
        let p = org.create(store, &draft("Teams for everyone")).await;
        let day = |d: u32| {
            NaiveDate::from_ymd_opt(2025, 3, d)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc()
        };
        let mut was = p.clone();
        was.stage = Stage::Idea;
        let json = |p: &Project| serde_json::to_string(p).ok();
        let records = vec![
            GeneratedAudit {
                at: day(1),
                entity: "project",
                entity_id: p.id,
                action: "created",
                before: None,
                after: json(&was),
            },
            GeneratedAudit {
                at: day(10),
                entity: "project",
                entity_id: p.id,
                action: "updated",
                before: json(&was),
                after: json(&p),
            },
        ];
        let mut batches = vec![records.clone()].into_iter();
        let written = store
            .replace_generated_history(org.id(), move || batches.next(), &actor())
            .await
            .unwrap();
        assert_eq!(written, 2);
        let at = |d: u32| store.projects_as_at(org.id(), day(d));
        assert!(
            at(1).await.unwrap().is_empty(),
            "created at noon, not yet at noon"
        );
        assert_eq!(at(5).await.unwrap()[0].stage, Stage::Idea);
        assert_eq!(at(11).await.unwrap()[0].stage, Stage::Concept);
        assert_eq!(
            store
                .history(org.id(), "project", p.id)
                .await
                .unwrap()
                .len(),
            2
        );
        let march = changes(store, &org, day(2), day(20)).await;
        assert_eq!(march.stage_moves.len(), 1);
        // A second go would rewrite a real past: refused, nothing written.
        let mut again = vec![records].into_iter();
        assert!(store
            .replace_generated_history(org.id(), move || again.next(), &actor())
            .await
            .is_err());
        assert_eq!(
            store
                .history(org.id(), "project", p.id)
                .await
                .unwrap()
                .len(),
            2
        );
    }
}

// ---------------------------------------------------------------------------
// Notifications: told once, in the decision's transaction, emailed once
// ---------------------------------------------------------------------------

mod notifications {
    use super::*;
    use portfolio_domain::notifications::{EmailStatus, NewNotice, NoticeKind};
    use portfolio_store::EmailOutcome;

    backend_tests!(
        sqlite: sqlite_store, postgres: postgres_store;
        a_decision_and_an_action_tell_their_people_once,
        notices_are_read_only_by_their_owner,
        emails_are_claimed_once_retried_and_given_up,
        risks_due_for_review_are_the_open_ones_due_by_a_date,
    );

    fn as_user(user: &portfolio_domain::organisation::User) -> Actor {
        Actor {
            user_id: Some(user.id),
            label: user.email.clone(),
        }
    }

    async fn editor(store: &Store, org: &Org, email: &str) -> portfolio_domain::organisation::User {
        store
            .create_user(
                org.id(),
                email,
                "Pat Manager",
                Role::ProgrammeOffice,
                "hash",
                &actor(),
            )
            .await
            .unwrap()
    }

    fn notice(user_id: i64, key: &str) -> NewNotice {
        NewNotice {
            user_id,
            kind: NoticeKind::RiskReviewDue,
            key: key.into(),
            subject: "Risk review due".into(),
            body: "Review it".into(),
            link: "/raid/1".into(),
        }
    }

    async fn a_decision_and_an_action_tell_their_people_once(store: &Store) {
        let org = migrated_org(store).await;
        let ann = viewer_ann(store, &org).await;
        let pat = editor(store, &org, "pat@northmere.example").await;
        let project = org.create(store, &draft("Blue badge renewals")).await;
        let request = store
            .create_gate_request(
                org.id(),
                &project.code,
                &as_user(&pat),
                |stored, checklist| {
                    GateRequestDraft {
                        project: stored.code.clone(),
                        to_stage: Gate::next_from(stored.stage).unwrap().to.as_str().into(),
                        summary: "Ready".into(),
                        evidence: demo::governance::evidence(&checklist.items),
                    }
                    .validate(stored.stage, checklist)
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(store
            .notices(org.id(), pat.id, 10)
            .await
            .unwrap()
            .is_empty());
        // A refused decision tells nobody.
        let refused = store
            .decide_gate_request(
                org.id(),
                request.id,
                request.version,
                &decision("approved"),
                &actor(),
                |_, _| Err(ValidationErrors::single("outcome", "not now")),
            )
            .await
            .unwrap();
        assert!(refused.is_err());
        assert_eq!(store.unread_notices(pat.id).await.unwrap(), 0);
        let decided = decide(store, &org, &request, request.version, "approved")
            .await
            .unwrap()
            .unwrap();
        let pats = store.notices(org.id(), pat.id, 10).await.unwrap();
        assert_eq!(pats.len(), 1);
        let told = &pats[0];
        assert_eq!(told.kind, NoticeKind::GateDecided);
        assert_eq!(told.link, format!("/gates/{}", decided.id));
        assert!(told.subject.contains(&project.code), "{}", told.subject);
        assert!(told.body.contains("approved"), "{}", told.body);
        assert!(told.unread());
        assert_eq!(told.email_status, EmailStatus::Pending);
        assert_eq!(store.unread_notices(pat.id).await.unwrap(), 1);
        let audit = store
            .history(org.id(), "notification", told.id)
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "created");

        // A meeting action tells its owner, unless they recorded it.
        let users = vec![ann.clone(), pat.clone()];
        let meeting = store
            .create_meeting(
                org.id(),
                &meeting_input(&users, "2027-01-14"),
                &[],
                &actor(),
            )
            .await
            .unwrap();
        let org_id = org.id();
        let add = |by: Actor, owner: String| {
            let users = users.clone();
            let meeting_id = meeting.meeting.id;
            async move {
                store
                    .add_meeting_action(org_id, meeting_id, &by, |m| {
                        MeetingActionDraft {
                            description: "Bring back the costs".into(),
                            owner,
                            due_on: "2027-02-01".into(),
                            ..Default::default()
                        }
                        .validate(m, &users)
                    })
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let for_ann = add(actor(), ann.email.clone()).await;
        add(as_user(&pat), pat.email.clone()).await;
        let anns = store.notices(org.id(), ann.id, 10).await.unwrap();
        assert_eq!(anns.len(), 1);
        assert_eq!(anns[0].kind, NoticeKind::ActionAssigned);
        assert_eq!(
            anns[0].link,
            format!("/meetings/{}#actions", for_ann.meeting_id)
        );
        assert_eq!(store.notices(org.id(), pat.id, 10).await.unwrap().len(), 1);

        // The same event stored again tells nobody twice.
        assert_eq!(
            store
                .add_notices(org.id(), &[notice(ann.id, "k1")], &actor())
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .add_notices(
                    org.id(),
                    &[notice(ann.id, "k1"), notice(pat.id, "k1")],
                    &actor()
                )
                .await
                .unwrap(),
            1,
            "ann already has k1; pat's is new"
        );
        assert_eq!(store.notices(org.id(), ann.id, 10).await.unwrap().len(), 2);
    }

    async fn notices_are_read_only_by_their_owner(store: &Store) {
        let org = migrated_org(store).await;
        let other = new_org(store, "southby", "SB").await;
        let ann = viewer_ann(store, &org).await;
        let pat = editor(store, &org, "pat@northmere.example").await;
        let stranger = editor(store, &other, "sam@southby.example").await;
        store
            .add_notices(
                org.id(),
                &[notice(ann.id, "a"), notice(ann.id, "b")],
                &actor(),
            )
            .await
            .unwrap();
        // A user of another organisation cannot be told here.
        assert_eq!(
            store
                .add_notices(org.id(), &[notice(stranger.id, "a")], &actor())
                .await
                .unwrap(),
            0
        );
        let anns = store.notices(org.id(), ann.id, 10).await.unwrap();
        assert_eq!(anns.len(), 2);
        assert_eq!(anns[0].subject, "Risk review due");
        let first = anns[1].id;
        for (org_id, user) in [(org.id(), pat.id), (other.id(), stranger.id)] {
            assert!(matches!(
                store
                    .mark_notices_read(org_id, user, Some(first), &actor())
                    .await,
                Err(StoreError::NotFound { .. })
            ));
        }
        assert_eq!(store.unread_notices(ann.id).await.unwrap(), 2);
        assert_eq!(
            store
                .mark_notices_read(org.id(), ann.id, Some(first), &as_user(&ann))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .mark_notices_read(org.id(), ann.id, Some(first), &as_user(&ann))
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.unread_notices(ann.id).await.unwrap(), 1);
        let read = store
            .history(org.id(), "notification", first)
            .await
            .unwrap();
        assert_eq!(read.last().unwrap().action, "read");
        assert_eq!(
            store
                .mark_notices_read(org.id(), ann.id, None, &as_user(&ann))
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.unread_notices(ann.id).await.unwrap(), 0);
        assert!(store
            .notices(org.id(), ann.id, 10)
            .await
            .unwrap()
            .iter()
            .all(|n| !n.unread()));
    }

    async fn emails_are_claimed_once_retried_and_given_up(store: &Store) {
        let org = migrated_org(store).await;
        let ann = viewer_ann(store, &org).await;
        let pat = editor(store, &org, "pat@northmere.example").await;
        store
            .add_notices(
                org.id(),
                &[notice(ann.id, "a"), notice(pat.id, "b")],
                &actor(),
            )
            .await
            .unwrap();
        let claimed = store.claim_emails(10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert_eq!(claimed[0].to_email, ann.email);
        assert_eq!(claimed[0].organisation_name, org.org.name);
        assert!(
            store.claim_emails(10).await.unwrap().is_empty(),
            "claimed once"
        );
        let mailer = Actor::system("mailer");
        store
            .record_email(&claimed[0], &EmailOutcome::Sent, &mailer)
            .await
            .unwrap();
        store
            .record_email(
                &claimed[1],
                &EmailOutcome::Failed {
                    status: EmailStatus::Pending,
                    error: "550 mailbox unavailable".into(),
                },
                &mailer,
            )
            .await
            .unwrap();
        let sent = &store.notices(org.id(), ann.id, 10).await.unwrap()[0];
        assert_eq!(sent.email_status, EmailStatus::Sent);
        assert!(sent.emailed_at.is_some());
        assert_eq!(sent.email_attempts, 1);
        let again = store.claim_emails(10).await.unwrap();
        assert_eq!(again.len(), 1, "the failed one is tried again");
        assert_eq!(again[0].notice.email_attempts, 1);
        assert_eq!(
            again[0].notice.email_error.as_deref(),
            Some("550 mailbox unavailable")
        );
        store
            .record_email(
                &again[0],
                &EmailOutcome::Failed {
                    status: EmailStatus::Failed,
                    error: "550 mailbox unavailable".into(),
                },
                &mailer,
            )
            .await
            .unwrap();
        assert!(store.claim_emails(10).await.unwrap().is_empty(), "given up");
        let failed = &store.notices(org.id(), pat.id, 10).await.unwrap()[0];
        assert_eq!(
            (failed.email_status, failed.email_attempts),
            (EmailStatus::Failed, 2)
        );
        let audit = store
            .history(org.id(), "notification", failed.id)
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["created", "email_failed", "email_failed"]);
    }

    async fn risks_due_for_review_are_the_open_ones_due_by_a_date(store: &Store) {
        let org = migrated_org(store).await;
        let ann = viewer_ann(store, &org).await;
        let mut draft = super::raid::risk_draft(&ann.email, None);
        let mut risk = |date: &str| {
            draft.review_date = Some(date.into());
            draft.clone()
        };
        let soon = risk("2027-01-12");
        let later = risk("2027-03-01");
        let mut ids = Vec::new();
        for d in [&soon, &later] {
            let input = super::raid::validate(store, &org, d, &[]).await;
            ids.push(
                store
                    .create_raid_item(org.id(), &input, &actor())
                    .await
                    .unwrap()
                    .id,
            );
        }
        let by = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let due = store.risks_due_for_review(org.id(), by).await.unwrap();
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[0]]);
        assert_eq!(due[0].owner.email, ann.email);
        let all = store
            .risks_due_for_review(org.id(), NaiveDate::from_ymd_opt(2027, 6, 1).unwrap())
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
    }
}

/// Reports and branding are versioned, audited and refuse a stale write.
async fn reports_and_branding_are_versioned_and_audited(store: &Store) {
    use portfolio_domain::branding::parse_logo;
    use portfolio_domain::report::ReportDraft;
    use portfolio_store::StoredBranding;

    let org = migrated_org(store).await;
    let today = Utc::now().date_naive();
    let founded = store.organisation_founded(org.id()).await.unwrap();
    assert_eq!(founded, today);
    let mut draft = ReportDraft {
        kind: "cabinet".into(),
        as_at: today.to_string(),
        ..Default::default()
    };
    draft.narrative.purpose = "Tab\tand <b>\u{1}".into();
    let report = draft.validate(today, founded).unwrap();
    let saved = store
        .create_report(org.id(), &report, &actor())
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    let read = store.report(org.id(), saved.id).await.unwrap();
    assert_eq!(read, saved);
    assert_eq!(
        read.narrative.purpose, "Tab\tand <b>",
        "control characters dropped"
    );
    let mut changed = read.clone();
    changed.narrative.legal = "None.".into();
    let v2 = store
        .update_report(org.id(), &changed, &actor())
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert!(matches!(
        store.update_report(org.id(), &changed, &actor()).await,
        Err(StoreError::Conflict {
            current_version: 2,
            ..
        })
    ));
    assert_eq!(store.reports(org.id()).await.unwrap(), vec![v2]);
    let history = store.history(org.id(), "report", saved.id).await.unwrap();
    assert_eq!(history.len(), 2);

    assert_eq!(store.branding(org.id()).await.unwrap().version, 0);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(40u32.to_be_bytes());
    png.extend(20u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0]);
    let branding = StoredBranding {
        display_name: "Northmere Council".into(),
        logo: Some(parse_logo(&png).unwrap()),
        version: 0,
    };
    let b1 = store
        .put_branding(org.id(), &branding, &actor())
        .await
        .unwrap();
    assert_eq!(b1.version, 1);
    let read = store.branding(org.id()).await.unwrap();
    assert_eq!(read.logo.as_ref().map(|l| l.bytes.clone()), Some(png));
    assert!(matches!(
        store.put_branding(org.id(), &branding, &actor()).await,
        Err(StoreError::Conflict {
            current_version: 1,
            ..
        })
    ));
}

async fn sso_logins_are_single_use_and_identities_link_once(store: &Store) {
    use portfolio_store::sso::{SsoIdentity, SsoLogin, SsoSignIn};
    let org = migrated_org(store).await;
    let login = SsoLogin {
        browser_hash: "b".repeat(64),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        next_path: "/projects".into(),
        expires_at: Utc::now() + chrono::Duration::minutes(10),
    };
    store.create_sso_login("state-1", &login).await.unwrap();
    let taken = store
        .take_sso_login("state-1")
        .await
        .unwrap()
        .expect("taken once");
    assert_eq!(taken.next_path, "/projects");
    assert!(
        store.take_sso_login("state-1").await.unwrap().is_none(),
        "single use"
    );
    let expired = SsoLogin {
        expires_at: Utc::now() - chrono::Duration::seconds(1),
        ..login
    };
    store.create_sso_login("state-2", &expired).await.unwrap();
    assert!(
        store.take_sso_login("state-2").await.unwrap().is_none(),
        "expired"
    );

    let identity = |create| SsoIdentity {
        organisation_id: org.id(),
        issuer: "https://login.example",
        subject: "sub-1",
        email: "sso@northmere.example",
        name: "Sso User",
        role: Role::ProgrammeOffice,
        create,
    };
    let before = store.audit_count(org.id()).await.unwrap();
    assert_eq!(
        store.sso_sign_in(&identity(false)).await.unwrap(),
        SsoSignIn::Unknown
    );
    assert_eq!(
        store.audit_count(org.id()).await.unwrap(),
        before,
        "nothing written"
    );
    let SsoSignIn::SignedIn { user, created } = store.sso_sign_in(&identity(true)).await.unwrap()
    else {
        panic!("signed in")
    };
    assert!(created);
    assert_eq!(user.role, Role::ProgrammeOffice);
    assert!(store
        .has_sso_identity(user.id, "https://login.example")
        .await
        .unwrap());
    let again = SsoIdentity {
        role: Role::Viewer,
        ..identity(false)
    };
    let SsoSignIn::SignedIn {
        user: same,
        created,
    } = store.sso_sign_in(&again).await.unwrap()
    else {
        panic!("signed in again")
    };
    assert!(!created);
    assert_eq!(same.id, user.id);
    assert_eq!(same.role, Role::Viewer, "the role follows the groups");
}
