//! Creates that arrive together are written together, yet each request gets
//! its own outcome: a request with a bad code fails alone.

use portfolio_app::{Actor, App, AppError, Caller, ConnectOptions, Settings};
use portfolio_domain::ProjectDraft;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_each_get_their_own_outcome() {
    let dir = std::env::temp_dir().join(format!("portfolio-app-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/group.sqlite", dir.display());
    let app = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .unwrap();
    app.seed_demo(PASSWORD).await.unwrap();
    let (_, token) = app
        .create_token("admin@northmere.example", "test", &Actor::system("test"))
        .await
        .unwrap();
    let caller: Caller = app.token_caller(&token).await.unwrap();
    let org = caller.organisation_id();
    let audit_before = app.store.audit_count(org).await.unwrap();

    let mut tasks = Vec::new();
    for k in 0..64 {
        let (app, caller) = (app.clone(), caller.clone());
        tasks.push(tokio::spawn(async move {
            let draft = ProjectDraft {
                // One request asks for a code the demo already uses.
                code: (k == 17).then(|| "DP-001".to_string()),
                title: format!("Request {k}"),
                department: "corporate-services".into(),
                stage: "idea".into(),
                ..Default::default()
            };
            (k, app.create_project(&caller, &draft).await)
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        let (k, outcome) = task.await.unwrap();
        match (k, outcome) {
            (17, Err(AppError::Validation(errors))) => {
                assert_eq!(errors.0[0].field, "code");
                assert!(errors.0[0].message.contains("DP-001"), "{errors}");
            }
            (17, other) => panic!("the taken code was not refused: {other:?}"),
            (k, Ok(project)) => {
                assert_eq!(project.title, format!("Request {k}"));
                codes.push(project.code);
            }
            (k, Err(e)) => panic!("request {k} failed because of another: {e}"),
        }
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 63, "63 distinct codes");
    let expected: Vec<String> = (77..=139).map(|n| format!("DP-{n:03}")).collect();
    assert_eq!(codes, expected);
    assert_eq!(
        app.store.audit_count(org).await.unwrap(),
        audit_before + 63,
        "one audit record per project created, none for the refused one"
    );
    let caller = app.token_caller(&token).await.unwrap();
    assert_eq!(app.dashboard(&caller).await.unwrap().total, 76 + 63);

    app.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
