//! Control-plane writes for the admin API on the file backend, mirroring the SeaORM
//! backend's checks and messages: each change builds the new tables and its audit entry;
//! the caller writes both or neither (see [`super::FileStore`]).

use super::state::{Tables, max_id};
use crate::model::{
    AuditRecord, NewRoute, NewRouteMember, RouteMemberPatch, RouteMemberRow, RoutePatch, RouteRow,
};
use crate::store::StoreError;

/// 409 when `name` is taken by another route (not `except`) or an alias.
fn check_name(t: &Tables, name: &str, except: Option<i64>) -> Result<(), StoreError> {
    let taken = t
        .routes
        .iter()
        .any(|r| r.name == name && Some(r.id) != except);
    let alias = t.aliases.iter().any(|a| a.alias == name);
    if taken || alias {
        return Err(StoreError::Conflict(format!(
            "name `{name}` is taken by another route or alias"
        )));
    }
    Ok(())
}

fn route_index(t: &Tables, id: i64) -> Result<usize, StoreError> {
    t.routes
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("no route `{id}`")))
}

fn member_index(t: &Tables, route_id: i64, id: i64) -> Result<usize, StoreError> {
    t.route_members
        .iter()
        .position(|m| m.id == id && m.route_id == route_id)
        .ok_or_else(|| StoreError::NotFound(format!("no member `{id}` in route `{route_id}`")))
}

fn check_provider(t: &Tables, id: i64) -> Result<(), StoreError> {
    if t.providers.iter().any(|p| p.id == id) {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("no provider `{id}`")))
    }
}

pub(super) fn create_route(
    t: &mut Tables,
    r: &NewRoute,
    actor: &str,
    now: i64,
) -> Result<(RouteRow, AuditRecord), StoreError> {
    check_name(t, &r.name, None)?;
    let row = RouteRow {
        id: t.take_id("routes", max_id(t.routes.iter().map(|r| r.id)), now)?,
        name: r.name.clone(),
        enabled: r.enabled,
        created_at: now,
    };
    t.routes.push(row.clone());
    let mut a = AuditRecord::of(actor, "create", "routes", row.id);
    a.after = Some(row.audit_json());
    Ok((row, a))
}

pub(super) fn update_route(
    t: &mut Tables,
    id: i64,
    p: &RoutePatch,
    actor: &str,
) -> Result<(RouteRow, AuditRecord), StoreError> {
    let i = route_index(t, id)?;
    if let Some(name) = &p.name {
        check_name(t, name, Some(id))?;
    }
    let before = t.routes[i].clone();
    let mut after = before.clone();
    if let Some(name) = &p.name {
        after.name = name.clone();
    }
    if let Some(enabled) = p.enabled {
        after.enabled = enabled;
    }
    t.routes[i] = after.clone();
    let mut a = AuditRecord::of(actor, "update", "routes", id);
    a.before = Some(before.audit_json());
    a.after = Some(after.audit_json());
    Ok((after, a))
}

pub(super) fn delete_route(
    t: &mut Tables,
    id: i64,
    actor: &str,
) -> Result<AuditRecord, StoreError> {
    let before = t.routes.remove(route_index(t, id)?);
    t.route_members.retain(|m| m.route_id != id);
    let mut a = AuditRecord::of(actor, "delete", "routes", id);
    a.before = Some(before.audit_json());
    Ok(a)
}

pub(super) fn create_member(
    t: &mut Tables,
    route_id: i64,
    m: &NewRouteMember,
    actor: &str,
    now: i64,
) -> Result<(RouteMemberRow, AuditRecord), StoreError> {
    route_index(t, route_id)?;
    check_provider(t, m.provider_id)?;
    let row = RouteMemberRow {
        id: t.take_id(
            "route_members",
            max_id(t.route_members.iter().map(|r| r.id)),
            now,
        )?,
        route_id,
        provider_id: m.provider_id,
        model_id: m.model_id.clone(),
        tier: m.tier,
        weight: m.weight,
        created_at: now,
    };
    t.route_members.push(row.clone());
    let mut a = AuditRecord::of(actor, "create", "route_members", row.id);
    a.after = Some(row.audit_json());
    Ok((row, a))
}

pub(super) fn update_member(
    t: &mut Tables,
    route_id: i64,
    id: i64,
    p: &RouteMemberPatch,
    actor: &str,
) -> Result<(RouteMemberRow, AuditRecord), StoreError> {
    let i = member_index(t, route_id, id)?;
    let before = t.route_members[i].clone();
    let mut after = before.clone();
    if let Some(provider_id) = p.provider_id {
        check_provider(t, provider_id)?;
        after.provider_id = provider_id;
    }
    if let Some(model_id) = &p.model_id {
        after.model_id = model_id.clone();
    }
    if let Some(tier) = p.tier {
        after.tier = tier;
    }
    if let Some(weight) = p.weight {
        after.weight = weight;
    }
    t.route_members[i] = after.clone();
    let mut a = AuditRecord::of(actor, "update", "route_members", id);
    a.before = Some(before.audit_json());
    a.after = Some(after.audit_json());
    Ok((after, a))
}

pub(super) fn delete_member(
    t: &mut Tables,
    route_id: i64,
    id: i64,
    actor: &str,
) -> Result<AuditRecord, StoreError> {
    let before = t.route_members.remove(member_index(t, route_id, id)?);
    let mut a = AuditRecord::of(actor, "delete", "route_members", id);
    a.before = Some(before.audit_json());
    Ok(a)
}
