//! Control-plane writes for the admin API on the SeaORM backend: each change and its audit
//! entry in one transaction, so a failed write changes nothing and every write is recorded.

use super::{SeaStore, now_ms};
use crate::entity::{alias, audit_log, provider, route, route_member};
use crate::model::{
    AuditRecord, AuditRow, NewRoute, NewRouteMember, RouteMemberPatch, RouteMemberRow, RoutePatch,
    RouteRow,
};
use crate::store::StoreError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

/// Runs an admin write again when SQLite reports the database busy. In WAL mode a
/// transaction that read before another writer (the record queue) committed cannot write,
/// and no busy timeout helps it: it must start over. Other errors, and other backends' (which
/// lock rows instead), pass through.
pub(super) async fn retry_busy<T, Fut>(mut op: impl FnMut() -> Fut) -> Result<T, StoreError>
where
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt: u64 = 0;
    loop {
        match op().await {
            Err(StoreError::Busy(_)) if attempt < 20 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
            }
            other => return other,
        }
    }
}

pub(super) async fn audit<C: ConnectionTrait>(db: &C, a: AuditRecord) -> Result<(), StoreError> {
    audit_log::ActiveModel {
        id: NotSet,
        created_at: Set(now_ms()),
        actor: Set(a.actor),
        action: Set(a.action),
        resource: Set(a.resource),
        resource_id: Set(a.resource_id),
        before: Set(a.before.map(|v| v.to_string())),
        after: Set(a.after.map(|v| v.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// 409 when `name` is taken by another route (not `except`) or an alias.
async fn check_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let taken = route::Entity::find()
        .filter(route::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some_and(|r| Some(r.id) != except);
    let alias = alias::Entity::find()
        .filter(alias::Column::Alias.eq(name))
        .one(db)
        .await?
        .is_some();
    if taken || alias {
        return Err(StoreError::Conflict(format!(
            "name `{name}` is taken by another route or alias"
        )));
    }
    Ok(())
}

async fn route_row<C: ConnectionTrait>(db: &C, id: i64) -> Result<RouteRow, StoreError> {
    route::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no route `{id}`")))
}

async fn member_row<C: ConnectionTrait>(
    db: &C,
    route_id: i64,
    id: i64,
) -> Result<RouteMemberRow, StoreError> {
    route_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.route_id == route_id)
        .ok_or_else(|| StoreError::NotFound(format!("no member `{id}` in route `{route_id}`")))
}

async fn check_provider<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), StoreError> {
    provider::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("no provider `{id}`")))
}

impl SeaStore {
    pub(super) async fn write_audit_entry(&self, a: &AuditRecord) -> Result<(), StoreError> {
        audit(&self.db, a.clone()).await
    }

    pub(super) async fn recent_audit(&self, limit: u64) -> Result<Vec<AuditRow>, StoreError> {
        Ok(audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    pub(super) async fn insert_route(
        &self,
        r: &NewRoute,
        actor: &str,
    ) -> Result<RouteRow, StoreError> {
        let txn = self.db.begin().await?;
        check_name(&txn, &r.name, None).await?;
        let row = route::ActiveModel {
            id: NotSet,
            name: Set(r.name.clone()),
            enabled: Set(r.enabled),
            created_at: Set(now_ms()),
        }
        .insert(&txn)
        .await?;
        let mut a = AuditRecord::of(actor, "create", "routes", row.id);
        a.after = Some(row.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(row)
    }

    pub(super) async fn patch_route(
        &self,
        id: i64,
        p: &RoutePatch,
        actor: &str,
    ) -> Result<RouteRow, StoreError> {
        let txn = self.db.begin().await?;
        let before = route_row(&txn, id).await?;
        if let Some(name) = &p.name {
            check_name(&txn, name, Some(id)).await?;
        }
        let mut row: route::ActiveModel = before.clone().into();
        if let Some(name) = &p.name {
            row.name = Set(name.clone());
        }
        if let Some(enabled) = p.enabled {
            row.enabled = Set(enabled);
        }
        let after = row.update(&txn).await?;
        let mut a = AuditRecord::of(actor, "update", "routes", id);
        a.before = Some(before.audit_json());
        a.after = Some(after.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub(super) async fn remove_route(&self, id: i64, actor: &str) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let before = route_row(&txn, id).await?;
        route_member::Entity::delete_many()
            .filter(route_member::Column::RouteId.eq(id))
            .exec(&txn)
            .await?;
        route::Entity::delete_by_id(id).exec(&txn).await?;
        let mut a = AuditRecord::of(actor, "delete", "routes", id);
        a.before = Some(before.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn insert_member(
        &self,
        route_id: i64,
        m: &NewRouteMember,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        let txn = self.db.begin().await?;
        route_row(&txn, route_id).await?;
        check_provider(&txn, m.provider_id).await?;
        let row = route_member::ActiveModel {
            id: NotSet,
            route_id: Set(route_id),
            provider_id: Set(m.provider_id),
            model_id: Set(m.model_id.clone()),
            tier: Set(m.tier),
            weight: Set(m.weight),
            created_at: Set(now_ms()),
        }
        .insert(&txn)
        .await?;
        let mut a = AuditRecord::of(actor, "create", "route_members", row.id);
        a.after = Some(row.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(row)
    }

    pub(super) async fn patch_member(
        &self,
        route_id: i64,
        id: i64,
        p: &RouteMemberPatch,
        actor: &str,
    ) -> Result<RouteMemberRow, StoreError> {
        let txn = self.db.begin().await?;
        let before = member_row(&txn, route_id, id).await?;
        let mut row: route_member::ActiveModel = before.clone().into();
        if let Some(provider_id) = p.provider_id {
            check_provider(&txn, provider_id).await?;
            row.provider_id = Set(provider_id);
        }
        if let Some(model_id) = &p.model_id {
            row.model_id = Set(model_id.clone());
        }
        if let Some(tier) = p.tier {
            row.tier = Set(tier);
        }
        if let Some(weight) = p.weight {
            row.weight = Set(weight);
        }
        let after = row.update(&txn).await?;
        let mut a = AuditRecord::of(actor, "update", "route_members", id);
        a.before = Some(before.audit_json());
        a.after = Some(after.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(after)
    }

    pub(super) async fn remove_member(
        &self,
        route_id: i64,
        id: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let before = member_row(&txn, route_id, id).await?;
        route_member::Entity::delete_by_id(id).exec(&txn).await?;
        let mut a = AuditRecord::of(actor, "delete", "route_members", id);
        a.before = Some(before.audit_json());
        audit(&txn, a).await?;
        txn.commit().await?;
        Ok(())
    }
}
