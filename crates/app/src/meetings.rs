//! Board meeting services: meetings of the programme board, Cabinet and the
//! senior leadership team, their agendas, decisions, actions and the
//! decision log.
//!
//! The programme office ([`Permission::RequestGates`]) schedules meetings,
//! keeps their agendas and records actions; only a decider
//! ([`Permission::DecideGates`]) records decisions. A decision on a gate
//! request's item is the gate decision, taken in the same transaction.

use chrono::NaiveDate;
use portfolio_domain::gates::GateStatus;
use portfolio_domain::meetings::{
    auto_agenda, AgendaItemDraft, Decision, DecisionDraft, DecisionQuery, LoggedDecision, Meeting,
    MeetingAction, MeetingActionDraft, MeetingDraft, MeetingRecord, Pending,
};
use portfolio_domain::raid::{ActionStatus, RaidStatus};
use portfolio_domain::{Permission, ValidationErrors};
use portfolio_store::GateRequestFilter;

use crate::{App, AppError, Caller, Result};

/// Today, as meetings and actions are judged.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A meeting with how much was recorded in it, for the list of meetings.
#[derive(Debug, Clone)]
pub struct MeetingSummary {
    pub meeting: Meeting,
    pub decisions: i64,
    pub actions: i64,
}

impl App {
    /// Every meeting, latest date first, with its counts.
    pub async fn meetings(&self, caller: &Caller) -> Result<Vec<MeetingSummary>> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let counts = self.store.meeting_counts(org).await?;
        Ok(self
            .store
            .meetings(org)
            .await?
            .into_iter()
            .map(|meeting| {
                let (decisions, actions) = counts.get(&meeting.id).copied().unwrap_or((0, 0));
                MeetingSummary {
                    meeting,
                    decisions,
                    actions,
                }
            })
            .collect())
    }

    pub async fn meeting(&self, caller: &Caller, id: i64) -> Result<MeetingRecord> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.meeting(caller.organisation_id(), id).await?)
    }

    /// The same body's meeting before this one: "since the last board" starts there.
    pub async fn previous_meeting(
        &self,
        caller: &Caller,
        meeting: &Meeting,
    ) -> Result<Option<Meeting>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .previous_meeting(caller.organisation_id(), meeting.body, meeting.meets_on)
            .await?)
    }

    /// What awaits the board now: pending gate requests, open escalated
    /// risks, and running projects rated Red or Amber/Red.
    pub async fn pending_for_board(&self, caller: &Caller) -> Result<Pending> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let gate_requests = self
            .store
            .gate_requests(
                org,
                &GateRequestFilter {
                    status: Some(GateStatus::Pending),
                    project_id: None,
                },
            )
            .await?
            .into_iter()
            .rev()
            .map(|r| {
                let gate = r.gate().label();
                (r.id, r.project_code, r.project_title, gate)
            })
            .collect();
        let mut risks: Vec<_> = self
            .store
            .raid_items(org)
            .await?
            .into_iter()
            .filter(|i| i.status == RaidStatus::Open)
            .filter_map(|i| {
                let risk = i.risk.as_ref().filter(|r| r.escalated)?;
                Some((
                    i.id,
                    i.reference(),
                    i.title.clone(),
                    risk.current.value(),
                    i.project.as_ref().map(|p| p.code.clone()),
                ))
            })
            .collect();
        risks.sort_by_key(|r| (std::cmp::Reverse(r.3), r.0));
        let projects = self
            .store
            .all_projects(org)
            .await?
            .into_iter()
            .filter(|p| p.stage.is_active())
            .filter_map(|p| p.confidence.map(|c| (p.id, p.code, p.title, c)))
            .collect();
        Ok(Pending {
            gate_requests,
            escalated_risks: risks,
            projects,
        })
    }

    async fn active_users(
        &self,
        caller: &Caller,
    ) -> Result<Vec<portfolio_domain::organisation::User>> {
        Ok(self.store.users(caller.organisation_id()).await?)
    }

    /// The people a meeting can name: the organisation's active users.
    pub async fn meeting_people(
        &self,
        caller: &Caller,
    ) -> Result<Vec<portfolio_domain::organisation::User>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .active_users(caller)
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .collect())
    }

    /// Schedules a meeting; its agenda starts with what awaits the board.
    pub async fn create_meeting(
        &self,
        caller: &Caller,
        draft: &MeetingDraft,
    ) -> Result<MeetingRecord> {
        caller.require(Permission::RequestGates)?;
        let users = self.active_users(caller).await?;
        let input = draft.validate(&users)?;
        let pending = self.pending_for_board(caller).await?;
        let agenda = auto_agenda(&pending, &[]);
        Ok(self
            .store
            .create_meeting(caller.organisation_id(), &input, &agenda, &caller.actor())
            .await?)
    }

    /// Changes a meeting's details read at `version`. A new date may not
    /// leave an action due before the meeting.
    pub async fn update_meeting(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        draft: &MeetingDraft,
    ) -> Result<MeetingRecord> {
        caller.require(Permission::RequestGates)?;
        let users = self.active_users(caller).await?;
        let input = draft.validate(&users)?;
        let result = self
            .store
            .update_meeting(
                caller.organisation_id(),
                id,
                version,
                &input,
                &caller.actor(),
                |stored| match stored.actions.iter().map(|a| a.due_on).min() {
                    Some(first) if first < input.meets_on => Err(ValidationErrors::single(
                        "meets_on",
                        format!(
                            "must be on or before {}, when the meeting's first action is due",
                            first.format("%-d %B %Y")
                        ),
                    )),
                    _ => Ok(()),
                },
            )
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Adds an item by hand to a meeting's agenda.
    pub async fn add_agenda_item(
        &self,
        caller: &Caller,
        meeting_id: i64,
        draft: &AgendaItemDraft,
    ) -> Result<MeetingRecord> {
        caller.require(Permission::RequestGates)?;
        let item = draft.validate()?;
        let (record, _) = self
            .store
            .add_agenda_items(
                caller.organisation_id(),
                meeting_id,
                &caller.actor(),
                |_| vec![item],
            )
            .await?;
        Ok(record)
    }

    /// Adds to an agenda what has come to await the board since it was
    /// built; returns the meeting and how many items were added.
    pub async fn refresh_agenda(
        &self,
        caller: &Caller,
        meeting_id: i64,
    ) -> Result<(MeetingRecord, usize)> {
        caller.require(Permission::RequestGates)?;
        let pending = self.pending_for_board(caller).await?;
        Ok(self
            .store
            .add_agenda_items(caller.organisation_id(), meeting_id, &caller.actor(), |m| {
                auto_agenda(&pending, &m.agenda)
            })
            .await?)
    }

    /// Records a decision on an agenda item. Only a decider may; a gate
    /// request's item records the gate decision too (and an approval moves
    /// the project), all in one transaction.
    pub async fn record_decision(
        &self,
        caller: &Caller,
        meeting_id: i64,
        draft: &DecisionDraft,
    ) -> Result<(MeetingRecord, Decision)> {
        caller.require(Permission::DecideGates)?;
        let result = self
            .store
            .record_decision(caller.organisation_id(), meeting_id, &caller.actor(), |m| {
                draft.validate(m)
            })
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Records an action arising from a meeting.
    pub async fn add_meeting_action(
        &self,
        caller: &Caller,
        meeting_id: i64,
        draft: &MeetingActionDraft,
    ) -> Result<MeetingAction> {
        caller.require(Permission::RequestGates)?;
        let users = self.active_users(caller).await?;
        let result = self
            .store
            .add_meeting_action(caller.organisation_id(), meeting_id, &caller.actor(), |m| {
                draft.validate(m, &users)
            })
            .await?;
        result.map_err(AppError::Validation)
    }

    /// Every action of every meeting, by due date; `open_only` leaves out done ones.
    pub async fn meeting_actions(
        &self,
        caller: &Caller,
        open_only: bool,
    ) -> Result<Vec<MeetingAction>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .meeting_actions(caller.organisation_id())
            .await?
            .into_iter()
            .filter(|a| !open_only || a.status != ActionStatus::Done)
            .collect())
    }

    pub async fn meeting_action(&self, caller: &Caller, id: i64) -> Result<MeetingAction> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .meeting_action(caller.organisation_id(), id)
            .await?)
    }

    /// Moves an action on (not started, in progress, done). The programme
    /// office may, and so may the action's owner.
    pub async fn set_meeting_action_status(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        status: &str,
    ) -> Result<MeetingAction> {
        caller.require(Permission::ReadProgramme)?;
        let status =
            ActionStatus::parse(status).map_err(|e| ValidationErrors::single("status", e))?;
        let org = caller.organisation_id();
        let action = self.store.meeting_action(org, id).await?;
        if !caller.can(Permission::RequestGates) && action.owner.id != caller.user.id {
            return Err(AppError::Forbidden);
        }
        Ok(self
            .store
            .set_meeting_action_status(org, id, version, status, &caller.actor())
            .await?)
    }

    /// The decision log across meetings, latest first, filtered by the query.
    pub async fn decision_log(
        &self,
        caller: &Caller,
        query: &DecisionQuery,
    ) -> Result<Vec<LoggedDecision>> {
        caller.require(Permission::ReadProgramme)?;
        let filter = query.parse()?;
        Ok(self
            .store
            .decision_log(caller.organisation_id())
            .await?
            .into_iter()
            .filter(|d| filter.matches(d))
            .collect())
    }
}
