//! Group commit for new projects: creates that arrive together share one
//! transaction.
//!
//! SQLite has one writer, and every statement is a hand-over to the thread of
//! its connection; under load most of a create's cost is that overhead, not
//! the work. So creates are queued, and one background writer takes whatever
//! has queued up, groups it by organisation and writes each group with
//! [`Store::create_projects`]: a few multi-row statements, one transaction,
//! one audit record per project. A lone create is written at once, as before.
//!
//! Each request still gets exactly its own outcome. If a group fails as a
//! whole (a code that is taken, say), each of its creates is tried again
//! alone, so one bad request never fails another. A caller that goes away
//! does not cancel a write half-way: the writer finishes what it started.

use std::sync::OnceLock;

use portfolio_domain::{Project, ProjectInput};
use portfolio_store::{Actor, NewProject, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Creates taken into one transaction at most.
const MAX_GROUP: usize = 256;
/// Creates waiting for the writer at most; senders wait beyond it.
const QUEUE: usize = 1_024;

struct CreateJob {
    organisation_id: i64,
    code_prefix: String,
    input: ProjectInput,
    actor: Actor,
    reply: oneshot::Sender<Result<Project, StoreError>>,
}

/// The queue of creates and its writer, started on first use.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: OnceLock<mpsc::Sender<CreateJob>>,
}

impl GroupCommit {
    /// Creates a project through the writer, and waits for its own outcome.
    pub async fn create_project(
        &self,
        store: &Store,
        organisation_id: i64,
        code_prefix: &str,
        input: ProjectInput,
        actor: Actor,
    ) -> Result<Project, StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run_writer(store.clone(), receiver));
            sender
        });
        let (reply, outcome) = oneshot::channel();
        let job = CreateJob {
            organisation_id,
            code_prefix: code_prefix.to_string(),
            input,
            actor,
            reply,
        };
        match queue.send(job).await {
            Ok(()) => outcome.await.unwrap_or(Err(StoreError::Interrupted)),
            // The writer is gone (its runtime shut down): write directly.
            Err(mpsc::error::SendError(job)) => {
                store
                    .create_project(
                        job.organisation_id,
                        &job.code_prefix,
                        &job.input,
                        &job.actor,
                    )
                    .await
            }
        }
    }
}

async fn run_writer(store: Store, mut receiver: mpsc::Receiver<CreateJob>) {
    let mut taken = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut taken, MAX_GROUP).await > 0 {
        let mut groups: Vec<Vec<CreateJob>> = Vec::new();
        for job in taken.drain(..) {
            match groups.iter_mut().find(|g| {
                g[0].organisation_id == job.organisation_id && g[0].code_prefix == job.code_prefix
            }) {
                Some(group) => group.push(job),
                None => groups.push(vec![job]),
            }
        }
        for group in groups {
            write_group(&store, group).await;
        }
    }
}

async fn write_group(store: &Store, group: Vec<CreateJob>) {
    let (organisation_id, code_prefix) = (group[0].organisation_id, group[0].code_prefix.clone());
    let items: Vec<NewProject<'_>> = group
        .iter()
        .map(|job| NewProject {
            input: &job.input,
            actor: &job.actor,
        })
        .collect();
    let written = store
        .create_projects(organisation_id, &code_prefix, &items)
        .await;
    drop(items);
    match written {
        Ok(projects) => {
            for (job, project) in group.into_iter().zip(projects) {
                let _ = job.reply.send(Ok(project));
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some(job) = group.into_iter().next() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(_) => {
            for job in group {
                let alone = store
                    .create_project(organisation_id, &code_prefix, &job.input, &job.actor)
                    .await;
                let _ = job.reply.send(alone);
            }
        }
    }
}
