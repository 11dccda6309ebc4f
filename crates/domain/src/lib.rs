//! Portfolio's domain: the words of the programme as types, and the rules between them.
//!
//! This crate owns parsing and validation (money in pence, financial years,
//! project codes, stages and the moves between them, delivery confidence,
//! roles and what they allow, the priorities departments submit and how they
//! are triaged) and the deterministic demo council. It does no
//! I/O: no database, no HTTP, no clock reads except where a caller passes one.
//! Everything that reaches the store has been parsed here first, so the store
//! and the web never re-check a rule.

pub mod branding;
pub mod capacity;
pub mod confidence;
pub mod consolidate;
pub mod dashboard;
pub mod demo;
pub mod errors;
pub mod filter;
pub mod gates;
pub mod highlights;
pub mod history;
pub mod intake;
pub mod meetings;
pub mod money;
pub mod notifications;
pub mod organisation;
pub mod project;
pub mod quarters;
pub mod raid;
pub mod report;
pub mod role;
pub mod scenario;
pub mod scoring;
pub mod stage;
pub mod text;
pub mod tokens;

pub use confidence::DeliveryConfidence;
pub use errors::{FieldError, ValidationErrors};
pub use money::Money;
pub use project::{CostLine, Project, ProjectCode, ProjectDraft, ProjectInput};
pub use quarters::FinancialYear;
pub use role::{
    can_edit_project, can_on_project, can_request_gate, Permission, ProjectKey, Role, Scope,
};
pub use stage::{GovUkPhase, Stage};
