//! Capacity storage: resource pools, budgets per financial year, project plans.
//!
//! Every write is one transaction with its audit record and refuses a stale
//! version with [`StoreError::Conflict`]. Budgets and plans exist before they
//! are stored (a year without a budget, a project with its default plan), so
//! their writes take the version read, 0 meaning "not stored yet": a second
//! writer who also read 0 finds the record stored and is refused.
//!
//! Plan writes bump the organisation's data version first, which takes its
//! row lock on PostgreSQL (and SQLite has one writer), so the check the
//! caller passes (dependency cycles across plans) sees every other plan as
//! it will be when this one is written.

use portfolio_domain::capacity::{
    Budget, PoolDemand, PoolInput, ProjectPlan, QuarterSupply, RelativeCost, ResourcePool,
};
use portfolio_domain::project::ProjectCode;
use portfolio_domain::quarters::{FinancialQuarter, FinancialYear};
use portfolio_domain::Money;
use serde::de::DeserializeOwned;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::audit::{bump_data_version, insert_audit, record, AuditRecord};
use crate::{get, map_unique, parse_stored, Actor, Result, Store, StoreError};

const POOL_SELECT: &str =
    "SELECT id, slug, name, unit, description, supply, version FROM resource_pools";
const PLAN_SELECT: &str = "SELECT pp.project_id, p.code, pp.earliest_start, pp.latest_start, pp.duration_quarters, \
     pp.demand, pp.costs, pp.benefits_pence, pp.mandatory, pp.depends_on, pp.exclusive_group, pp.version \
     FROM project_plans pp JOIN projects p ON p.id = pp.project_id";

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what} '{text}': {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn conflict(entity: &'static str, current_version: i64) -> StoreError {
    StoreError::Conflict {
        entity,
        current_version,
        current: Box::new(None),
    }
}

fn pool_from(row: &AnyRow) -> Result<ResourcePool> {
    let supply: Vec<QuarterSupply> = from_json("supply", &get::<String>(row, "supply")?)?;
    Ok(ResourcePool {
        id: get(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        unit: get(row, "unit")?,
        description: get(row, "description")?,
        supply,
        version: get(row, "version")?,
    })
}

fn budget_from(row: &AnyRow) -> Result<Budget> {
    let money = |column: &str| -> Result<Money> {
        Money::from_pence(get(row, column)?).map_err(StoreError::Corrupt)
    };
    Ok(Budget {
        year: FinancialYear::new(get::<i64>(row, "year")? as i32).map_err(StoreError::Corrupt)?,
        capital: money("capital_pence")?,
        revenue: money("revenue_pence")?,
        version: get(row, "version")?,
    })
}

fn plan_from(row: &AnyRow) -> Result<ProjectPlan> {
    let quarter = |column: &str| -> Result<Option<FinancialQuarter>> {
        get::<Option<String>>(row, column)?
            .map(|q| parse_stored(column, &q, FinancialQuarter::parse))
            .transpose()
    };
    let code: String = get(row, "code")?;
    let demand: Vec<PoolDemand> = from_json("demand", &get::<String>(row, "demand")?)?;
    let costs: Vec<RelativeCost> = from_json("costs", &get::<String>(row, "costs")?)?;
    let depends_on: Vec<ProjectCode> = from_json("depends_on", &get::<String>(row, "depends_on")?)?;
    Ok(ProjectPlan {
        project_id: get(row, "project_id")?,
        code: parse_stored("code", &code, ProjectCode::parse)?,
        earliest_start: quarter("earliest_start")?,
        latest_start: quarter("latest_start")?,
        duration_quarters: get::<i64>(row, "duration_quarters")? as u32,
        demand,
        costs,
        benefits: Money::from_pence(get(row, "benefits_pence")?).map_err(StoreError::Corrupt)?,
        mandatory: get::<i64>(row, "mandatory")? != 0,
        depends_on,
        exclusive_group: get(row, "exclusive_group")?,
        version: get(row, "version")?,
    })
}

async fn pool_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    slug: &str,
) -> Result<Option<ResourcePool>> {
    sqlx::query(&format!(
        "{POOL_SELECT} WHERE organisation_id = $1 AND slug = $2"
    ))
    .bind(organisation_id)
    .bind(slug.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| pool_from(&r))
    .transpose()
}

async fn plans_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
) -> Result<Vec<ProjectPlan>> {
    let rows = sqlx::query(&format!(
        "{PLAN_SELECT} WHERE pp.organisation_id = $1 ORDER BY p.code"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(plan_from).collect()
}

async fn plan_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    project_id: i64,
) -> Result<Option<ProjectPlan>> {
    sqlx::query(&format!(
        "{PLAN_SELECT} WHERE pp.organisation_id = $1 AND pp.project_id = $2"
    ))
    .bind(organisation_id)
    .bind(project_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| plan_from(&r))
    .transpose()
}

async fn budget_in(
    conn: &mut sqlx::AnyConnection,
    organisation_id: i64,
    year: FinancialYear,
) -> Result<Option<(i64, Budget)>> {
    let row = sqlx::query(
        "SELECT id, year, capital_pence, revenue_pence, version FROM budgets WHERE organisation_id = $1 AND year = $2",
    )
    .bind(organisation_id)
    .bind(i64::from(year.start_year()))
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => Ok(Some((get(&r, "id")?, budget_from(&r)?))),
        None => Ok(None),
    }
}

/// Writes one plan inside `tx` (the data version already bumped), with its audit record.
async fn write_plan(
    tx: &mut Transaction<'_, Any>,
    organisation_id: i64,
    plan: &ProjectPlan,
    actor: &Actor,
) -> Result<ProjectPlan> {
    let before = plan_in(tx, organisation_id, plan.project_id).await?;
    let current = before.as_ref().map_or(0, |p| p.version);
    if current != plan.version {
        return Err(conflict("project plan", current));
    }
    let demand = to_json(&plan.demand)?;
    let costs = to_json(&plan.costs)?;
    let depends_on = to_json(&plan.depends_on)?;
    let earliest = plan.earliest_start.map(|q| q.to_string());
    let latest = plan.latest_start.map(|q| q.to_string());
    if before.is_none() {
        sqlx::query(
            "INSERT INTO project_plans (project_id, organisation_id, earliest_start, latest_start, duration_quarters, \
             demand, costs, benefits_pence, mandatory, depends_on, exclusive_group, version) \
             SELECT id, organisation_id, $1, $2, $3, $4, $5, $6, $7, $8, $9, 1 FROM projects \
             WHERE id = $10 AND organisation_id = $11",
        )
        .bind(earliest)
        .bind(latest)
        .bind(i64::from(plan.duration_quarters))
        .bind(demand)
        .bind(costs)
        .bind(plan.benefits.pence())
        .bind(i64::from(plan.mandatory))
        .bind(depends_on)
        .bind(plan.exclusive_group.clone())
        .bind(plan.project_id)
        .bind(organisation_id)
        .execute(&mut **tx)
        .await
        .map_err(|e| match map_unique(e, "project", plan.code.as_str()) {
            StoreError::Duplicate { .. } => conflict("project plan", 1),
            other => other,
        })
        .and_then(|done| {
            if done.rows_affected() == 1 {
                Ok(())
            } else {
                Err(StoreError::NotFound { entity: "project" })
            }
        })?;
    } else {
        let done = sqlx::query(
            "UPDATE project_plans SET earliest_start = $1, latest_start = $2, duration_quarters = $3, demand = $4, \
             costs = $5, benefits_pence = $6, mandatory = $7, depends_on = $8, exclusive_group = $9, \
             version = version + 1 WHERE project_id = $10 AND organisation_id = $11 AND version = $12",
        )
        .bind(earliest)
        .bind(latest)
        .bind(i64::from(plan.duration_quarters))
        .bind(demand)
        .bind(costs)
        .bind(plan.benefits.pence())
        .bind(i64::from(plan.mandatory))
        .bind(depends_on)
        .bind(plan.exclusive_group.clone())
        .bind(plan.project_id)
        .bind(organisation_id)
        .bind(plan.version)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("project plan", current + 1));
        }
    }
    let after =
        plan_in(tx, organisation_id, plan.project_id)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "project plan",
            })?;
    insert_audit(
        tx,
        vec![AuditRecord {
            organisation_id: Some(organisation_id),
            entity: "project_plan",
            entity_id: plan.project_id,
            action: if before.is_some() {
                "updated"
            } else {
                "created"
            },
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
            actor,
        }],
    )
    .await?;
    Ok(after)
}

impl Store {
    /// An organisation's resource pools, in the order they were created.
    pub async fn resource_pools(&self, organisation_id: i64) -> Result<Vec<ResourcePool>> {
        let rows = sqlx::query(&format!(
            "{POOL_SELECT} WHERE organisation_id = $1 ORDER BY id"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pool_from).collect()
    }

    pub async fn resource_pool(&self, organisation_id: i64, slug: &str) -> Result<ResourcePool> {
        let mut conn = self.pool.acquire().await?;
        pool_in(&mut conn, organisation_id, slug)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "resource pool",
            })
    }

    /// Stores a new pool; a slug already used is [`StoreError::Duplicate`] on `slug`.
    pub async fn create_resource_pool(
        &self,
        organisation_id: i64,
        input: &PoolInput,
        actor: &Actor,
    ) -> Result<ResourcePool> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO resource_pools (organisation_id, slug, name, unit, description, supply, version) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
        )
        .bind(organisation_id)
        .bind(input.slug.clone())
        .bind(input.name.clone())
        .bind(input.unit.clone())
        .bind(input.description.clone())
        .bind(to_json(&input.supply)?)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_unique(e, "slug", &input.slug))?;
        let pool = input.to_pool(get(&row, "id")?, 1);
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "resource_pool",
                entity_id: pool.id,
                action: "created",
                before: None,
                after: Some(json!(pool)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pool)
    }

    /// Updates the pool `slug` read at `expected_version`; its slug stays (plans name it).
    pub async fn update_resource_pool(
        &self,
        organisation_id: i64,
        slug: &str,
        expected_version: i64,
        input: &PoolInput,
        actor: &Actor,
    ) -> Result<ResourcePool> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before =
            pool_in(&mut tx, organisation_id, slug)
                .await?
                .ok_or(StoreError::NotFound {
                    entity: "resource pool",
                })?;
        if before.version != expected_version {
            return Err(conflict("resource pool", before.version));
        }
        let done = sqlx::query(
            "UPDATE resource_pools SET name = $1, unit = $2, description = $3, supply = $4, version = version + 1 \
             WHERE id = $5 AND version = $6",
        )
        .bind(input.name.clone())
        .bind(input.unit.clone())
        .bind(input.description.clone())
        .bind(to_json(&input.supply)?)
        .bind(before.id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(conflict("resource pool", before.version + 1));
        }
        let after = PoolInput {
            slug: before.slug.clone(),
            ..input.clone()
        }
        .to_pool(before.id, expected_version + 1);
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "resource_pool",
                entity_id: before.id,
                action: "updated",
                before: Some(json!(before)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a pool no plan uses. When plans use it, nothing is written and
    /// the codes of those projects are returned as the inner error.
    pub async fn delete_resource_pool(
        &self,
        organisation_id: i64,
        slug: &str,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<Result<(), Vec<ProjectCode>>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let before =
            pool_in(&mut tx, organisation_id, slug)
                .await?
                .ok_or(StoreError::NotFound {
                    entity: "resource pool",
                })?;
        if before.version != expected_version {
            return Err(conflict("resource pool", before.version));
        }
        let users: Vec<ProjectCode> = plans_in(&mut tx, organisation_id)
            .await?
            .into_iter()
            .filter(|p| p.demand.iter().any(|d| d.pool == before.slug))
            .map(|p| p.code)
            .collect();
        if !users.is_empty() {
            return Ok(Err(users));
        }
        sqlx::query("DELETE FROM resource_pools WHERE id = $1 AND version = $2")
            .bind(before.id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            vec![AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "resource_pool",
                entity_id: before.id,
                action: "deleted",
                before: Some(json!(before)),
                after: None,
                actor,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// An organisation's budgets, in year order (years without one are absent).
    pub async fn budgets(&self, organisation_id: i64) -> Result<Vec<Budget>> {
        let rows = sqlx::query(
            "SELECT year, capital_pence, revenue_pence, version FROM budgets WHERE organisation_id = $1 ORDER BY year",
        )
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(budget_from).collect()
    }

    /// Sets a year's budget; `budget.version` is the version read (0: none stored yet).
    pub async fn put_budget(
        &self,
        organisation_id: i64,
        budget: &Budget,
        actor: &Actor,
    ) -> Result<Budget> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let before = budget_in(&mut tx, organisation_id, budget.year).await?;
        let current = before.as_ref().map_or(0, |(_, b)| b.version);
        if current != budget.version {
            return Err(conflict("budget", current));
        }
        let year = i64::from(budget.year.start_year());
        let id: i64 = match &before {
            None => {
                let row = sqlx::query(
                    "INSERT INTO budgets (organisation_id, year, capital_pence, revenue_pence, version) \
                     VALUES ($1, $2, $3, $4, 1) RETURNING id",
                )
                .bind(organisation_id)
                .bind(year)
                .bind(budget.capital.pence())
                .bind(budget.revenue.pence())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match map_unique(e, "year", &budget.year.to_string()) {
                    StoreError::Duplicate { .. } => conflict("budget", 1),
                    other => other,
                })?;
                get(&row, "id")?
            }
            Some((id, _)) => {
                let done = sqlx::query(
                    "UPDATE budgets SET capital_pence = $1, revenue_pence = $2, version = version + 1 \
                     WHERE id = $3 AND version = $4",
                )
                .bind(budget.capital.pence())
                .bind(budget.revenue.pence())
                .bind(*id)
                .bind(budget.version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(conflict("budget", current + 1));
                }
                *id
            }
        };
        let after = Budget {
            version: current + 1,
            ..*budget
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity: "budget",
                entity_id: id,
                action: if before.is_some() {
                    "updated"
                } else {
                    "created"
                },
                before: before.map(|(_, b)| json!(b)),
                after: Some(json!(after)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The stored plans of an organisation's projects, in project code order.
    pub async fn project_plans(&self, organisation_id: i64) -> Result<Vec<ProjectPlan>> {
        let mut conn = self.pool.acquire().await?;
        plans_in(&mut conn, organisation_id).await
    }

    /// One project's stored plan, if it has one.
    pub async fn project_plan(
        &self,
        organisation_id: i64,
        project_id: i64,
    ) -> Result<Option<ProjectPlan>> {
        let mut conn = self.pool.acquire().await?;
        plan_in(&mut conn, organisation_id, project_id).await
    }

    /// Stores a project's plan; `plan.version` is the version read (0: not
    /// stored yet). `check` sees every stored plan of the organisation inside
    /// the transaction and may refuse (a dependency cycle), writing nothing.
    pub async fn put_project_plan<E>(
        &self,
        organisation_id: i64,
        plan: &ProjectPlan,
        actor: &Actor,
        check: impl FnOnce(&[ProjectPlan]) -> Result<(), E>,
    ) -> Result<Result<ProjectPlan, E>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let all = plans_in(&mut tx, organisation_id).await?;
        if let Err(e) = check(&all) {
            return Ok(Err(e));
        }
        let after = write_plan(&mut tx, organisation_id, plan, actor).await?;
        tx.commit().await?;
        Ok(Ok(after))
    }

    /// Stores many plans in one transaction (the demo), each with its audit
    /// record; all or nothing.
    pub async fn put_project_plans(
        &self,
        organisation_id: i64,
        plans: &[ProjectPlan],
        actor: &Actor,
    ) -> Result<Vec<ProjectPlan>> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        bump_data_version(&mut tx, organisation_id).await?;
        let mut written = Vec::with_capacity(plans.len());
        for plan in plans {
            written.push(write_plan(&mut tx, organisation_id, plan, actor).await?);
        }
        tx.commit().await?;
        Ok(written)
    }
}
