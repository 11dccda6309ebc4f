//! Two app instances on one database (as behind a load balancer): a change
//! made through one is seen by the next request through the other, cached
//! reads included.

use portfolio_app::{Actor, App, Caller, ConnectOptions, Settings};
use portfolio_domain::filter::ProjectQuery;
use portfolio_domain::ProjectDraft;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_is_read_through_another() {
    let dir = std::env::temp_dir().join(format!("portfolio-app-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/shared.sqlite", dir.display());
    let first = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .unwrap();
    let second = App::open(&url, &ConnectOptions::default(), Settings::default())
        .await
        .unwrap();
    first.seed_demo(PASSWORD).await.unwrap();
    let (_, token) = first
        .create_token("admin@northmere.example", "test", &Actor::system("test"))
        .await
        .unwrap();
    let caller: Caller = second.token_caller(&token).await.unwrap();

    // Warm the second instance's caches.
    assert_eq!(second.dashboard(&caller).await.unwrap().total, 76);
    let query = ProjectQuery {
        stage: Some("idea".into()),
        ..Default::default()
    };
    assert_eq!(
        second
            .list_projects(&caller, &query, 50)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(second.departments(&caller).await.unwrap().len(), 5);

    let draft = ProjectDraft {
        title: "Chatbot for council tax questions".into(),
        department: "corporate-services".into(),
        stage: "idea".into(),
        ..Default::default()
    };
    let created = first.create_project(&caller, &draft).await.unwrap();
    assert_eq!(created.code, "DP-077");

    // The next request through the second instance identifies its caller
    // afresh, and with it reads the organisation's data version.
    let caller: Caller = second.token_caller(&token).await.unwrap();

    assert_eq!(
        second.dashboard(&caller).await.unwrap().total,
        77,
        "the dashboard is not stale"
    );
    let ideas = second.list_projects(&caller, &query, 50).await.unwrap();
    assert_eq!(ideas.total, 1, "the register is not stale");
    assert_eq!(ideas.projects[0].title, "Chatbot for council tax questions");

    first.store.close().await;
    second.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
