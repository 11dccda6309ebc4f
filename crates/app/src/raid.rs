//! RAID services: the register of risks, assumptions, issues and
//! dependencies with its filters, the 5×5 heat map, the escalated risks the
//! board's agenda will list, and each organisation's scale words.
//!
//! Everyone who may read the programme may read the register; adding and
//! changing items needs [`Permission::EditProjects`] for the item's project
//! (the programme office and administrators for every item, a department
//! lead or project manager for the projects in their scope), setting the scale words [`Permission::ManageOrganisation`].
//! Filtering happens here over the organisation's items: a register holds
//! hundreds of entries, not millions, and one read keeps the heat map and the
//! list counting exactly the same risks.

use chrono::NaiveDate;
use portfolio_domain::raid::{
    risk_heat_map, Person, ProjectRef, RaidContext, RaidDraft, RaidFilter, RaidItem, RaidKind,
    RaidQuery, RaidStatus, RiskHeatMap, RiskScales, RiskScalesDraft,
};
use portfolio_domain::{Permission, ValidationErrors};

use crate::{App, AppError, Caller, Result};

/// The register as a filter shows it.
#[derive(Debug, Clone)]
pub struct RaidRegister {
    /// Matching items, oldest first.
    pub items: Vec<RaidItem>,
    /// The open risks among `items`, counted on the 5×5 matrix.
    pub heat_map: RiskHeatMap,
    pub filter: RaidFilter,
    /// The date overdue reviews are judged against.
    pub today: NaiveDate,
}

impl RaidRegister {
    pub fn of_kind(&self, kind: RaidKind) -> impl Iterator<Item = &RaidItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }

    pub fn overdue(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.review_overdue(self.today))
            .count()
    }
}

/// Today, as RAID reviews are judged.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Builds the register of `items` under `query`.
fn register(items: Vec<RaidItem>, query: &RaidQuery, scales: &RiskScales) -> Result<RaidRegister> {
    let filter = query.parse()?;
    let today = today();
    let items: Vec<RaidItem> = items
        .into_iter()
        .filter(|i| filter.matches(i, today))
        .collect();
    let heat_map = risk_heat_map(&items, scales);
    Ok(RaidRegister {
        items,
        heat_map,
        filter,
        today,
    })
}

impl App {
    /// The organisation's words for the likelihood and impact scales.
    pub async fn risk_scales(&self, caller: &Caller) -> Result<RiskScales> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.risk_scales(caller.organisation_id()).await?)
    }

    /// Sets the scale words, read at `version` (0 while the defaults apply).
    pub async fn put_risk_scales(
        &self,
        caller: &Caller,
        version: i64,
        draft: &RiskScalesDraft,
    ) -> Result<RiskScales> {
        caller.require(Permission::ManageOrganisation)?;
        let scales = RiskScales {
            version,
            ..draft.validate()?
        };
        Ok(self
            .store
            .put_risk_scales(caller.organisation_id(), &scales, &caller.actor())
            .await?)
    }

    /// The people who may own RAID items and actions: the organisation's active users.
    pub async fn raid_owners(&self, caller: &Caller) -> Result<Vec<Person>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .users(caller.organisation_id())
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| Person {
                id: u.id,
                name: u.name,
                email: u.email,
            })
            .collect())
    }

    /// The register under the query's filters, with the heat map of its open risks.
    pub async fn raid_register(&self, caller: &Caller, query: &RaidQuery) -> Result<RaidRegister> {
        caller.require(Permission::ReadProgramme)?;
        let org = caller.organisation_id();
        let items = self.store.raid_items(org).await?;
        let scales = self.store.risk_scales(org).await?;
        register(items, query, &scales)
    }

    /// The register of an organisation named by slug, for the command line.
    pub async fn organisation_raid_register(
        &self,
        organisation_slug: &str,
        query: &RaidQuery,
    ) -> Result<RaidRegister> {
        let org = self.store.organisation_by_slug(organisation_slug).await?;
        let items = self.store.raid_items(org.id).await?;
        let scales = self.store.risk_scales(org.id).await?;
        register(items, query, &scales)
    }

    pub async fn raid_item(&self, caller: &Caller, id: i64) -> Result<RaidItem> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self.store.raid_item(caller.organisation_id(), id).await?)
    }

    /// The item's history from the audit trail, oldest first.
    pub async fn raid_history(&self, caller: &Caller, id: i64) -> Result<Vec<crate::AuditEntry>> {
        caller.require(Permission::ReadProgramme)?;
        Ok(self
            .store
            .history(caller.organisation_id(), "raid_item", id)
            .await?)
    }

    /// Open risks escalated to the board, highest current score first.
    pub async fn escalated_risks(&self, caller: &Caller) -> Result<Vec<RaidItem>> {
        caller.require(Permission::ReadProgramme)?;
        let mut risks: Vec<RaidItem> = self
            .store
            .raid_items(caller.organisation_id())
            .await?
            .into_iter()
            .filter(|i| {
                i.status == RaidStatus::Open && i.risk.as_ref().is_some_and(|r| r.escalated)
            })
            .collect();
        risks.sort_by_key(|i| {
            (
                std::cmp::Reverse(i.risk.as_ref().map_or(0, |r| r.current.value())),
                i.id,
            )
        });
        Ok(risks)
    }

    /// Passes a caller who edits every project, or one whose scope covers the
    /// item's project; an item of the whole programme (no project) is the
    /// programme office's.
    pub async fn require_raid_scope(
        &self,
        caller: &Caller,
        project: Option<&ProjectRef>,
    ) -> Result<()> {
        if caller.can(Permission::EditProjects) {
            return Ok(());
        }
        let Some(project) = project else {
            return Err(AppError::Needs(
                "the programme office or administrator role (the item belongs to no project)",
            ));
        };
        let found = self
            .store
            .all_projects(caller.organisation_id())
            .await?
            .into_iter()
            .find(|p| p.id == project.id)
            .ok_or(AppError::NotFound("project"))?;
        caller.require_on_project(Permission::EditProjects, (&found).into())
    }

    /// Checks a draft without storing it; `editing` is the item it would replace.
    pub async fn validate_raid_item(
        &self,
        caller: &Caller,
        draft: &RaidDraft,
        editing: Option<&RaidItem>,
    ) -> Result<RaidItem> {
        let org = caller.organisation_id();
        let users = self.store.users(org).await?;
        let projects: Vec<ProjectRef> = self
            .store
            .all_projects(org)
            .await?
            .into_iter()
            .map(|p| ProjectRef {
                id: p.id,
                code: p.code,
                title: p.title,
            })
            .collect();
        let risks: Vec<(i64, String)> = self
            .store
            .raid_items(org)
            .await?
            .into_iter()
            .filter(|i| i.kind == RaidKind::Risk)
            .map(|i| (i.id, i.title))
            .collect();
        let scales = self.store.risk_scales(org).await?;
        let ctx = RaidContext {
            users: &users,
            projects: &projects,
            risks: &risks,
            scales: &scales,
            today: today(),
        };
        let mut errors = ValidationErrors::default();
        if let Some(current) = editing {
            let wanted = RaidKind::parse(&draft.kind);
            if wanted.is_ok_and(|k| k != current.kind) {
                errors.push(
                    "kind",
                    format!(
                        "cannot be changed once an item is recorded (this is a {}); close it and add a new one",
                        current.kind.label().to_lowercase()
                    ),
                );
            }
        }
        match draft.validate(&ctx) {
            Ok(item) if errors.is_empty() => Ok(item),
            Ok(_) => Err(errors.into()),
            Err(mut e) => {
                e.0.extend(errors.0);
                Err(e.into())
            }
        }
    }

    pub async fn create_raid_item(&self, caller: &Caller, draft: &RaidDraft) -> Result<RaidItem> {
        caller.require_somewhere(Permission::EditProjects)?;
        let item = self.validate_raid_item(caller, draft, None).await?;
        self.require_raid_scope(caller, item.project.as_ref())
            .await?;
        Ok(self
            .store
            .create_raid_item(caller.organisation_id(), &item, &caller.actor())
            .await?)
    }

    /// Updates the item read at `version`; its kind stays.
    pub async fn update_raid_item(
        &self,
        caller: &Caller,
        id: i64,
        version: i64,
        draft: &RaidDraft,
    ) -> Result<RaidItem> {
        caller.require_somewhere(Permission::EditProjects)?;
        let current = self.store.raid_item(caller.organisation_id(), id).await?;
        self.require_raid_scope(caller, current.project.as_ref())
            .await?;
        let item = self
            .validate_raid_item(caller, draft, Some(&current))
            .await?;
        self.require_raid_scope(caller, item.project.as_ref())
            .await?;
        Ok(self
            .store
            .update_raid_item(
                caller.organisation_id(),
                id,
                version,
                &item,
                &caller.actor(),
            )
            .await?)
    }
}
