//! The demo council's departmental spreadsheets import and consolidate into
//! the demo programme, on SQLite and on PostgreSQL.

use portfolio_app::demo::demo_spreadsheets;
use portfolio_app::import::ImportOptions;
use portfolio_app::{Actor, App, ConnectOptions, Settings};
use portfolio_domain::demo::catalogue::CATALOGUE;
use portfolio_domain::demo::spreadsheets::{overlaps, OVERLAPS};

const PASSWORD: &str = "correct horse battery staple";

async fn consolidates(url: &str) {
    let app = App::open(url, &ConnectOptions::default(), Settings::default())
        .await
        .expect("open the app");
    let seed = app.seed_demo_council(PASSWORD, false).await.unwrap();
    assert_eq!(
        seed.projects, 0,
        "the council starts with an empty register"
    );
    let actor = Actor::system("test");
    let files = demo_spreadsheets();
    assert_eq!(files.len(), 5);

    let report = app
        .import_files(
            "northmere",
            &files,
            &ImportOptions::default(),
            &actor,
            false,
        )
        .await
        .unwrap();
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(report.written);
    assert_eq!(report.rows_read, CATALOGUE.len() + OVERLAPS);
    assert_eq!(report.created, 100);

    // Where each project came from: file, sheet and row.
    let org = app.store.organisation_by_slug("northmere").await.unwrap();
    let provenance = app.store.provenance(org.id).await.unwrap();
    assert_eq!(provenance.len(), 100);
    assert!(provenance
        .iter()
        .any(|p| p.origin.file == "health-and-care.xlsx"
            && p.origin.sheet.as_deref() == Some("Pipeline")
            && p.origin.row >= 2));

    // The overlaps are proposed as duplicates, with reasons.
    let (_, token) = app
        .create_token("admin@northmere.example", "test", &actor)
        .await
        .unwrap();
    let caller = app.token_caller(&token).await.unwrap();
    let pairs = app.duplicates(&caller, 500).await.unwrap();
    let found = overlaps()
        .iter()
        .filter(|(i, second)| {
            pairs.iter().any(|p| {
                let titles = [p.a.title.as_str(), p.b.title.as_str()];
                titles.contains(&CATALOGUE[*i].title) && titles.contains(&second.as_str())
            })
        })
        .count();
    assert!(
        found * 10 >= OVERLAPS * 9,
        "only {found} of {OVERLAPS} planted overlaps were proposed"
    );
    assert!(pairs.iter().all(|p| !p.reasons.is_empty()));

    // Importing the same files again changes nothing.
    let again = app
        .import_files(
            "northmere",
            &files,
            &ImportOptions::default(),
            &actor,
            false,
        )
        .await
        .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 100));
    app.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_spreadsheets_consolidate_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "portfolio-demo-sheets-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    consolidates(&format!("sqlite://{}/demo.sqlite", dir.display())).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_spreadsheets_consolidate_on_postgres() {
    let database = portfolio_testdb::PostgresDatabase::create("portfolio_test").await;
    consolidates(&database.url).await;
    database
        .drop_database()
        .await
        .expect("drop the test database");
}
