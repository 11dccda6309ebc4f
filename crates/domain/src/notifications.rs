//! Notifications: people are told, in the app and by email, when something
//! needs them — a gate they requested has been decided, a board action has
//! been assigned to them, or a risk they own is due for review.
//!
//! This module says who is told what. Each notice carries a key naming the
//! event it reports (`gate:14:v2`, `board-action:7`, `risk-review:3:2027-01-15`);
//! the store keeps one notice per person and key, so an event that is seen
//! twice (a reminder sweep run again, a retried request) never tells anyone
//! twice. Nobody is told about what they did themselves.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::gates::GateRequest;
use crate::meetings::{Meeting, MeetingAction};
use crate::raid::{RaidItem, RaidKind, RaidStatus};

/// A risk is due for review from this many days before its review date.
pub const REVIEW_NOTICE_DAYS: i64 = 7;

/// Sending an email is tried this many times before it is given up.
pub const MAX_EMAIL_ATTEMPTS: i64 = 5;

/// An email not sent within this many days of its notice is not sent at all
/// (the mail server was not configured, or was down): news that late is
/// noise, and the notice is still in the app.
pub const EMAIL_EXPIRY_DAYS: i64 = 7;

/// An email claimed for sending this many minutes ago and neither sent nor
/// failed belonged to a server that stopped: it is tried again.
pub const SENDING_TIMEOUT_MINUTES: i64 = 10;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    GateDecided,
    ActionAssigned,
    RiskReviewDue,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::GateDecided => "gate_decided",
            NoticeKind::ActionAssigned => "action_assigned",
            NoticeKind::RiskReviewDue => "risk_review_due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::GateDecided => "Gate decided",
            NoticeKind::ActionAssigned => "Action assigned",
            NoticeKind::RiskReviewDue => "Risk review due",
        }
    }

    pub fn parse(s: &str) -> Result<NoticeKind, String> {
        match s {
            "gate_decided" => Ok(NoticeKind::GateDecided),
            "action_assigned" => Ok(NoticeKind::ActionAssigned),
            "risk_review_due" => Ok(NoticeKind::RiskReviewDue),
            other => Err(format!("unknown notification kind {other:?}")),
        }
    }
}

/// A notice to store: who is told, about what, and where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub user_id: i64,
    pub kind: NoticeKind,
    /// The event reported; one notice per user and key.
    pub key: String,
    /// One line: the email's subject and the notice's heading.
    pub subject: String,
    /// A few lines of plain text.
    pub body: String,
    /// A path in the app (`/gates/14`): where to see and act on it.
    pub link: String,
}

/// Where a notice's email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting to be sent (or to be tried again).
    Pending,
    /// Claimed by a server that is sending it now (another server leaves it).
    Sending,
    Sent,
    /// Tried [`MAX_EMAIL_ATTEMPTS`] times without success.
    Failed,
    /// Not sent within [`EMAIL_EXPIRY_DAYS`].
    Expired,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sending => "sending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
            EmailStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmailStatus::Pending => "Email not sent yet",
            EmailStatus::Sending => "Being emailed",
            EmailStatus::Sent => "Emailed",
            EmailStatus::Failed => "Email could not be sent",
            EmailStatus::Expired => "Not emailed",
        }
    }

    pub fn parse(s: &str) -> Result<EmailStatus, String> {
        match s {
            "pending" => Ok(EmailStatus::Pending),
            "sending" => Ok(EmailStatus::Sending),
            "sent" => Ok(EmailStatus::Sent),
            "failed" => Ok(EmailStatus::Failed),
            "expired" => Ok(EmailStatus::Expired),
            other => Err(format!("unknown email status {other:?}")),
        }
    }
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: i64,
    pub user_id: i64,
    pub kind: NoticeKind,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    /// When its reader marked it read; none while unread.
    pub read_at: Option<DateTime<Utc>>,
    pub email_status: EmailStatus,
    pub emailed_at: Option<DateTime<Utc>>,
    pub email_attempts: i64,
    /// Why the last attempt failed.
    pub email_error: Option<String>,
}

impl Notice {
    pub fn unread(&self) -> bool {
        self.read_at.is_none()
    }
}

/// After a failed attempt: try again later, or give up.
pub fn after_failure(attempts_so_far: i64) -> EmailStatus {
    if attempts_so_far + 1 >= MAX_EMAIL_ATTEMPTS {
        EmailStatus::Failed
    } else {
        EmailStatus::Pending
    }
}

/// Whether a pending email is too old to send (see [`EMAIL_EXPIRY_DAYS`]).
pub fn email_expired(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - created_at > Duration::days(EMAIL_EXPIRY_DAYS)
}

/// One line, as an email subject must be: control characters (a line break
/// in a title would start a new header) become spaces, and runs of spaces one.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Tells whoever requested a gate that the board has decided it; nobody
/// when the request came from no user (an import) or they decided it
/// themselves. Keyed by the request's version, so a deferred request decided
/// again later is news again.
pub fn gate_decided(request: &GateRequest, decided_by: Option<i64>) -> Option<NewNotice> {
    let user_id = request.requested_by.user_id?;
    let decision = request.decision.as_ref()?;
    if decided_by == Some(user_id) {
        return None;
    }
    let mut body = format!(
        "The request to move {} {} from {} to {} has been decided: {}.",
        request.project_code,
        request.project_title,
        request.from_stage.label(),
        request.to_stage.label(),
        decision.outcome.label().to_lowercase(),
    );
    if !decision.reasons.trim().is_empty() {
        body.push_str(&format!("\n\nReasons: {}", decision.reasons.trim()));
    }
    if !decision.conditions.trim().is_empty() {
        body.push_str(&format!("\n\nConditions: {}", decision.conditions.trim()));
    }
    body.push_str(&format!("\n\nDecided by {}.", decision.decided_by.label));
    Some(NewNotice {
        user_id,
        kind: NoticeKind::GateDecided,
        key: format!("gate:{}:v{}", request.id, request.version),
        subject: one_line(&format!(
            "{}: {} gate {}",
            request.project_code,
            request.to_stage.label(),
            decision.outcome.label().to_lowercase()
        )),
        body,
        link: format!("/gates/{}", request.id),
    })
}

/// Tells an action's owner that a meeting gave it to them, unless they
/// recorded it themselves.
pub fn action_assigned(
    action: &MeetingAction,
    meeting: &Meeting,
    assigned_by: Option<i64>,
) -> Option<NewNotice> {
    if assigned_by == Some(action.owner.id) {
        return None;
    }
    Some(NewNotice {
        user_id: action.owner.id,
        kind: NoticeKind::ActionAssigned,
        key: format!("board-action:{}", action.id),
        subject: one_line(&format!(
            "Action for you from {}: due {}",
            meeting.title,
            action.due_on.format("%-d %B %Y")
        )),
        body: format!(
            "{} ({}) gave you an action, due by {}:\n\n{}",
            meeting.title,
            meeting.meets_on.format("%-d %B %Y"),
            action.due_on.format("%-d %B %Y"),
            action.description.trim()
        ),
        link: format!("/meetings/{}#actions", action.meeting_id),
    })
}

/// Tells a risk's owner that its review is due: an open risk whose review
/// date is within [`REVIEW_NOTICE_DAYS`] of `today`, or past. Keyed by the
/// review date: once reviewed and given a new date, the next one is news.
pub fn review_due(item: &RaidItem, today: NaiveDate) -> Option<NewNotice> {
    if item.kind != RaidKind::Risk || item.status != RaidStatus::Open {
        return None;
    }
    let review = item.review_date?;
    if review > today + Duration::days(REVIEW_NOTICE_DAYS) {
        return None;
    }
    let when = review.format("%-d %B %Y");
    let (subject, lead) = if review < today {
        (
            format!("Risk review overdue: {} {}", item.reference(), item.title),
            format!("The review of this risk was due on {when} and has not been done."),
        )
    } else {
        (
            format!(
                "Risk review due {when}: {} {}",
                item.reference(),
                item.title
            ),
            format!("The review of this risk is due on {when}."),
        )
    };
    let place = match &item.project {
        Some(p) => format!("{} {}", p.code, p.title),
        None => "the programme".to_string(),
    };
    Some(NewNotice {
        user_id: item.owner.id,
        kind: NoticeKind::RiskReviewDue,
        key: format!("risk-review:{}:{review}", item.id),
        subject: one_line(&subject),
        body: format!(
            "{lead}\n\n{} — a risk to {place} that you own. Review its scores, response and \
             actions, and set the next review date.",
            item.reference()
        ),
        link: format!("/raid/{}", item.id),
    })
}

/// The email for a notice: its subject, and its body with the link made
/// absolute against the address people reach the app at.
pub fn email_text(notice: &Notice, organisation: &str, public_url: &str) -> (String, String) {
    let url = format!("{}{}", public_url.trim_end_matches('/'), notice.link);
    let body = format!(
        "{}\n\nSee it in Portfolio: {url}\n\n--\nYou are told about this because of your role in \
         {organisation}'s digital programme. Your notifications are all listed at {}/notifications.\n",
        notice.body,
        public_url.trim_end_matches('/'),
    );
    (one_line(&notice.subject), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::{GateDecision, GatePerson, GateStatus};
    use crate::meetings::Body;
    use crate::raid::{Person, ProjectRef};
    use crate::Stage;

    fn request(requested_by: Option<i64>) -> GateRequest {
        GateRequest {
            id: 14,
            project_id: 3,
            project_code: "DP-003".into(),
            project_title: "Online parking permits".into(),
            from_stage: Stage::Design,
            to_stage: Stage::Delivery,
            summary: "Ready to build".into(),
            evidence: vec![],
            status: GateStatus::ApprovedWithConditions,
            requested_by: GatePerson {
                user_id: requested_by,
                label: "pm@example.org".into(),
            },
            requested_at: Utc::now(),
            decision: Some(GateDecision {
                outcome: GateStatus::ApprovedWithConditions,
                reasons: "Business case agreed".into(),
                conditions: "Report savings quarterly".into(),
                decided_by: GatePerson {
                    user_id: Some(1),
                    label: "chair@example.org".into(),
                },
                decided_at: Utc::now(),
                meeting_id: Some(4),
            }),
            version: 2,
        }
    }

    #[test]
    fn the_requester_hears_the_outcome_reasons_and_conditions() {
        let n = gate_decided(&request(Some(7)), Some(1)).expect("a notice");
        assert_eq!(n.user_id, 7);
        assert_eq!(n.key, "gate:14:v2");
        assert_eq!(n.link, "/gates/14");
        assert_eq!(n.subject, "DP-003: Delivery gate approved with conditions");
        assert!(n.body.contains("from Design to Delivery"), "{}", n.body);
        assert!(n.body.contains("Reasons: Business case agreed"));
        assert!(n.body.contains("Conditions: Report savings quarterly"));
    }

    #[test]
    fn nobody_is_told_what_they_did_themselves() {
        assert!(gate_decided(&request(Some(1)), Some(1)).is_none());
        assert!(gate_decided(&request(None), Some(1)).is_none());
    }

    fn risk(review: Option<NaiveDate>, status: RaidStatus) -> RaidItem {
        RaidItem {
            id: 3,
            kind: RaidKind::Risk,
            project: Some(ProjectRef {
                id: 1,
                code: "DP-001".into(),
                title: "Waste app".into(),
            }),
            title: "Supplier\ncapacity".into(),
            description: String::new(),
            owner: Person {
                id: 9,
                name: "Owner".into(),
                email: "o@example.org".into(),
            },
            status,
            closed_on: None,
            review_date: review,
            risk: None,
            issue: None,
            version: 1,
        }
    }

    #[test]
    fn a_review_is_due_from_a_week_before_its_date() {
        let today = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
        let in_a_week = today + Duration::days(7);
        let n = review_due(&risk(Some(in_a_week), RaidStatus::Open), today).expect("due");
        assert_eq!(n.user_id, 9);
        assert_eq!(n.key, "risk-review:3:2027-01-17");
        assert_eq!(
            n.subject,
            "Risk review due 17 January 2027: R3 Supplier capacity"
        );
        let later = today + Duration::days(8);
        assert!(review_due(&risk(Some(later), RaidStatus::Open), today).is_none());
        assert!(review_due(&risk(None, RaidStatus::Open), today).is_none());
    }

    #[test]
    fn an_overdue_review_says_so_and_a_closed_risk_is_quiet() {
        let today = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
        let past = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
        let n = review_due(&risk(Some(past), RaidStatus::Open), today).expect("overdue");
        assert!(
            n.subject.starts_with("Risk review overdue:"),
            "{}",
            n.subject
        );
        assert!(review_due(&risk(Some(past), RaidStatus::Closed), today).is_none());
    }

    #[test]
    fn an_action_tells_its_owner_unless_they_recorded_it() {
        let meeting = Meeting {
            id: 4,
            body: Body::ProgrammeBoard,
            title: "Digital Programme Board".into(),
            meets_on: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
            location: String::new(),
            attendees: vec![],
            version: 1,
            created_at: Utc::now(),
        };
        let action = MeetingAction {
            id: 12,
            meeting_id: 4,
            agenda_item_id: None,
            description: "Bring the revised costs".into(),
            owner: Person {
                id: 9,
                name: "Owner".into(),
                email: "o@example.org".into(),
            },
            due_on: NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
            status: crate::raid::ActionStatus::NotStarted,
            version: 1,
        };
        let n = action_assigned(&action, &meeting, Some(1)).expect("a notice");
        assert_eq!(n.user_id, 9);
        assert_eq!(n.link, "/meetings/4#actions");
        assert!(n.body.contains("Bring the revised costs"));
        assert!(n.body.contains("due by 1 February 2027"));
        assert!(action_assigned(&action, &meeting, Some(9)).is_none());
    }

    #[test]
    fn an_email_links_back_to_the_app() {
        let notice = Notice {
            id: 1,
            user_id: 9,
            kind: NoticeKind::RiskReviewDue,
            subject: "Risk review due".into(),
            body: "Body".into(),
            link: "/raid/3".into(),
            created_at: Utc::now(),
            read_at: None,
            email_status: EmailStatus::Pending,
            emailed_at: None,
            email_attempts: 0,
            email_error: None,
        };
        let (subject, body) = email_text(&notice, "Northmere", "https://portfolio.example/");
        assert_eq!(subject, "Risk review due");
        assert!(body.contains("https://portfolio.example/raid/3"), "{body}");
        assert!(body.contains("https://portfolio.example/notifications"));
    }

    #[test]
    fn emails_are_retried_then_given_up_and_expire() {
        assert_eq!(after_failure(0), EmailStatus::Pending);
        assert_eq!(after_failure(MAX_EMAIL_ATTEMPTS - 1), EmailStatus::Failed);
        let now = Utc::now();
        assert!(!email_expired(now - Duration::days(6), now));
        assert!(email_expired(now - Duration::days(8), now));
    }
}
