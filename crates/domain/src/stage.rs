//! Lifecycle stages, the GOV.UK service phase, and which stage moves are allowed.
//!
//! The main path is idea → concept → design → delivery → live → closed. A
//! project moves one step forward, or one step back when a board sends it
//! back; it can be put on hold or withdrawn from any active stage and resumed
//! from hold to an active stage. `merged` is reached only by merging projects
//! (lineage is kept), never by editing a stage.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Idea,
    Concept,
    Design,
    Delivery,
    Live,
    Closed,
    OnHold,
    Withdrawn,
    Merged,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Idea,
        Stage::Concept,
        Stage::Design,
        Stage::Delivery,
        Stage::Live,
        Stage::Closed,
        Stage::OnHold,
        Stage::Withdrawn,
        Stage::Merged,
    ];

    /// The main path, in order.
    pub const PATH: [Stage; 6] = [
        Stage::Idea,
        Stage::Concept,
        Stage::Design,
        Stage::Delivery,
        Stage::Live,
        Stage::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Concept => "concept",
            Stage::Design => "design",
            Stage::Delivery => "delivery",
            Stage::Live => "live",
            Stage::Closed => "closed",
            Stage::OnHold => "on_hold",
            Stage::Withdrawn => "withdrawn",
            Stage::Merged => "merged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Idea => "Idea",
            Stage::Concept => "Concept",
            Stage::Design => "Design",
            Stage::Delivery => "Delivery",
            Stage::Live => "Live",
            Stage::Closed => "Closed",
            Stage::OnHold => "On hold",
            Stage::Withdrawn => "Withdrawn",
            Stage::Merged => "Merged",
        }
    }

    /// GOV.UK tag colour class suffix for this stage.
    pub fn tag_colour(self) -> &'static str {
        match self {
            Stage::Idea => "grey",
            Stage::Concept => "light-blue",
            Stage::Design => "purple",
            Stage::Delivery => "blue",
            Stage::Live => "green",
            Stage::Closed => "grey",
            Stage::OnHold => "yellow",
            Stage::Withdrawn => "red",
            Stage::Merged => "grey",
        }
    }

    pub fn parse(s: &str) -> Result<Stage, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a stage; use one of idea, concept, design, delivery, live, closed, on_hold, withdrawn",
                    s.trim()
                )
            })
    }

    fn path_index(self) -> Option<usize> {
        Stage::PATH.iter().position(|s| *s == self)
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            Stage::Idea | Stage::Concept | Stage::Design | Stage::Delivery | Stage::Live
        )
    }

    /// A stage a new project may start in (imports bring projects already under way).
    pub fn can_start_in(self) -> Result<(), String> {
        match self {
            Stage::Merged => {
                Err("a project cannot be created as merged; merge existing projects instead".into())
            }
            _ => Ok(()),
        }
    }

    /// Whether a project in `self` may move to `to`, with the reason when not.
    pub fn check_move(self, to: Stage) -> Result<(), String> {
        if self == to {
            return Ok(());
        }
        let refuse = |why: &str| {
            Err(format!(
                "cannot move from {} to {}: {why}",
                self.label(),
                to.label()
            ))
        };
        if to == Stage::Merged {
            return refuse("a project becomes merged only by merging it into another");
        }
        match self {
            Stage::Closed | Stage::Withdrawn | Stage::Merged => {
                refuse("the project has ended; create a new project instead")
            }
            Stage::OnHold => {
                if to.is_active() || to == Stage::Withdrawn {
                    Ok(())
                } else {
                    refuse("a project on hold resumes to an active stage or is withdrawn")
                }
            }
            _ => {
                if matches!(to, Stage::OnHold | Stage::Withdrawn) {
                    return Ok(());
                }
                let (Some(from_i), Some(to_i)) = (self.path_index(), to.path_index()) else {
                    return refuse("not a stage on the lifecycle");
                };
                if to_i == from_i + 1 || to_i + 1 == from_i {
                    Ok(())
                } else if to_i > from_i {
                    refuse("stages cannot be skipped; move one stage at a time")
                } else {
                    refuse("a project goes back one stage at a time")
                }
            }
        }
    }
}

/// The GOV.UK service phase, for projects that build a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GovUkPhase {
    Discovery,
    Alpha,
    Beta,
    Live,
}

impl GovUkPhase {
    pub const ALL: [GovUkPhase; 4] = [
        GovUkPhase::Discovery,
        GovUkPhase::Alpha,
        GovUkPhase::Beta,
        GovUkPhase::Live,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GovUkPhase::Discovery => "discovery",
            GovUkPhase::Alpha => "alpha",
            GovUkPhase::Beta => "beta",
            GovUkPhase::Live => "live",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GovUkPhase::Discovery => "Discovery",
            GovUkPhase::Alpha => "Alpha",
            GovUkPhase::Beta => "Beta",
            GovUkPhase::Live => "Live",
        }
    }

    pub fn parse(s: &str) -> Result<GovUkPhase, String> {
        let norm = s.trim().to_ascii_lowercase();
        GovUkPhase::ALL
            .into_iter()
            .find(|p| p.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a GOV.UK phase; use discovery, alpha, beta or live",
                    s.trim()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_forward_or_back() {
        assert!(Stage::Concept.check_move(Stage::Design).is_ok());
        assert!(Stage::Design.check_move(Stage::Concept).is_ok());
        assert!(Stage::Delivery.check_move(Stage::Live).is_ok());
    }

    #[test]
    fn skipping_is_refused_with_a_reason() {
        let err = Stage::Concept.check_move(Stage::Delivery).unwrap_err();
        assert!(err.contains("cannot be skipped"), "{err}");
        assert!(Stage::Idea.check_move(Stage::Live).is_err());
    }

    #[test]
    fn hold_withdraw_and_ended_projects() {
        assert!(Stage::Design.check_move(Stage::OnHold).is_ok());
        assert!(Stage::OnHold.check_move(Stage::Delivery).is_ok());
        assert!(Stage::OnHold.check_move(Stage::Closed).is_err());
        assert!(Stage::Closed.check_move(Stage::Live).is_err());
        assert!(Stage::Withdrawn.check_move(Stage::Idea).is_err());
        assert!(Stage::Delivery.check_move(Stage::Merged).is_err());
        assert!(Stage::Merged.can_start_in().is_err());
    }

    #[test]
    fn parses_labels_and_values() {
        assert_eq!(Stage::parse("On hold").unwrap(), Stage::OnHold);
        assert_eq!(Stage::parse(" DELIVERY ").unwrap(), Stage::Delivery);
        assert!(Stage::parse("in progress").is_err());
        assert_eq!(GovUkPhase::parse("Beta").unwrap(), GovUkPhase::Beta);
    }
}
