//! Organisations, departments and themes.

use portfolio_domain::organisation::{Department, Organisation, Theme};
use serde_json::json;

use crate::audit::{record, AuditRecord};
use crate::{get, map_unique, now_text, Actor, Result, Store, StoreError};

fn organisation_from(row: &sqlx::any::AnyRow) -> Result<Organisation> {
    Ok(Organisation {
        id: get(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        financial_year_start_month: get::<i64>(row, "financial_year_start_month")? as u32,
        project_code_prefix: get(row, "project_code_prefix")?,
    })
}

impl Store {
    pub async fn create_organisation(
        &self,
        slug: &str,
        name: &str,
        code_prefix: &str,
        actor: &Actor,
    ) -> Result<Organisation> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO organisations (slug, name, financial_year_start_month, project_code_prefix, created_at) \
             VALUES ($1, $2, 4, $3, $4) RETURNING id",
        )
        .bind(slug.to_string())
        .bind(name.to_string())
        .bind(code_prefix.to_string())
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_unique(e, "organisation", slug))?;
        let org = Organisation {
            id: get(&row, "id")?,
            slug: slug.to_string(),
            name: name.to_string(),
            financial_year_start_month: 4,
            project_code_prefix: code_prefix.to_string(),
        };
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(org.id),
                entity: "organisation",
                entity_id: org.id,
                action: "created",
                before: None,
                after: Some(serde_json::to_value(&org).unwrap_or_default()),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn list_organisations(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query("SELECT * FROM organisations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(organisation_from).collect()
    }

    pub async fn organisation(&self, id: i64) -> Result<Organisation> {
        let row = sqlx::query("SELECT * FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "organisation",
            })?;
        organisation_from(&row)
    }

    pub async fn organisation_by_slug(&self, slug: &str) -> Result<Organisation> {
        let row = sqlx::query("SELECT * FROM organisations WHERE slug = $1")
            .bind(slug.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "organisation",
            })?;
        organisation_from(&row)
    }

    /// Inserts one row of an organisation's reference data (`INSERT … RETURNING id`)
    /// and records its creation, in one transaction. `build` makes the record from the new id.
    async fn insert_reference<'q, T: serde::Serialize>(
        &self,
        organisation_id: i64,
        entity: &'static str,
        slug: &str,
        insert: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        actor: &Actor,
        build: impl FnOnce(i64) -> T,
    ) -> Result<T> {
        let _guard = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let row = insert
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_unique(e, entity, slug))?;
        let id: i64 = get(&row, "id")?;
        let created = build(id);
        record(
            &mut tx,
            AuditRecord {
                organisation_id: Some(organisation_id),
                entity,
                entity_id: id,
                action: "created",
                before: None,
                after: Some(json!(created)),
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn create_department(
        &self,
        organisation_id: i64,
        slug: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<Department> {
        let insert = sqlx::query("INSERT INTO departments (organisation_id, slug, name) VALUES ($1, $2, $3) RETURNING id")
            .bind(organisation_id)
            .bind(slug.to_string())
            .bind(name.to_string());
        self.insert_reference(organisation_id, "department", slug, insert, actor, |id| {
            Department {
                id,
                slug: slug.to_string(),
                name: name.to_string(),
            }
        })
        .await
    }

    pub async fn departments(&self, organisation_id: i64) -> Result<Vec<Department>> {
        let rows = sqlx::query(
            "SELECT id, slug, name FROM departments WHERE organisation_id = $1 ORDER BY name",
        )
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Department {
                    id: get(r, "id")?,
                    slug: get(r, "slug")?,
                    name: get(r, "name")?,
                })
            })
            .collect()
    }

    pub async fn create_theme(
        &self,
        organisation_id: i64,
        slug: &str,
        name: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<Theme> {
        let insert = sqlx::query("INSERT INTO themes (organisation_id, slug, name, description) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(organisation_id)
            .bind(slug.to_string())
            .bind(name.to_string())
            .bind(description.to_string());
        self.insert_reference(organisation_id, "theme", slug, insert, actor, |id| Theme {
            id,
            slug: slug.to_string(),
            name: name.to_string(),
            description: description.to_string(),
        })
        .await
    }

    pub async fn themes(&self, organisation_id: i64) -> Result<Vec<Theme>> {
        let rows = sqlx::query("SELECT id, slug, name, description FROM themes WHERE organisation_id = $1 ORDER BY name")
            .bind(organisation_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Theme {
                    id: get(r, "id")?,
                    slug: get(r, "slug")?,
                    name: get(r, "name")?,
                    description: get(r, "description")?,
                })
            })
            .collect()
    }
}
