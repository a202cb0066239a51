//! Request log queries on the SeaORM backend: the filtered listing (envelopes only, the
//! bodies never read) and one request's downstream entry with its upstream attempts.

use crate::entity::{downstream_request, upstream_request};
use crate::model::{DownstreamRow, LogFilter, TimeCursor, UpstreamRow};
use crate::store::StoreError;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A downstream row without its bodies: a listing may show hundreds of entries, and a
/// body can be megabytes.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "downstream_request::Entity")]
struct Envelope {
    id: i64,
    request_id: String,
    created_at: i64,
    user_id: Option<i64>,
    user_key_id: Option<i64>,
    method: String,
    path: String,
    status: i32,
    latency_ms: i64,
    request_headers: Option<String>,
    response_headers: Option<String>,
}

impl From<Envelope> for DownstreamRow {
    fn from(e: Envelope) -> Self {
        DownstreamRow {
            id: e.id,
            request_id: e.request_id,
            created_at: e.created_at,
            user_id: e.user_id,
            user_key_id: e.user_key_id,
            method: e.method,
            path: e.path,
            status: e.status,
            latency_ms: e.latency_ms,
            request_headers: e.request_headers,
            response_headers: e.response_headers,
            request_body: None,
            response_body: None,
        }
    }
}

/// See [`crate::Store::request_logs`].
pub(super) async fn list<C: ConnectionTrait>(
    db: &C,
    f: &LogFilter,
    before: Option<TimeCursor>,
    limit: u64,
) -> Result<Vec<DownstreamRow>, StoreError> {
    use downstream_request::Column;
    let mut q = downstream_request::Entity::find();
    if let Some(r) = &f.request_id {
        q = q.filter(Column::RequestId.eq(r.as_str()));
    }
    if let Some(u) = f.user_id {
        q = q.filter(Column::UserId.eq(u));
    }
    if let Some(s) = f.status {
        q = q.filter(Column::Status.eq(s));
    }
    if let Some(from) = f.from_ms {
        q = q.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to_ms {
        q = q.filter(Column::CreatedAt.lt(to));
    }
    let rows = super::listing::newest_first(q, Column::CreatedAt, Column::Id, before)
        .limit(limit)
        .into_partial_model::<Envelope>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(DownstreamRow::from).collect())
}

/// See [`crate::Store::request_log`].
pub(super) async fn one<C: ConnectionTrait>(
    db: &C,
    request_id: &str,
) -> Result<Option<(DownstreamRow, Vec<UpstreamRow>)>, StoreError> {
    let Some(down) = downstream_request::Entity::find()
        .filter(downstream_request::Column::RequestId.eq(request_id))
        .order_by_desc(downstream_request::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let up = upstream_request::Entity::find()
        .filter(upstream_request::Column::RequestId.eq(request_id))
        .order_by_asc(upstream_request::Column::CreatedAt)
        .order_by_asc(upstream_request::Column::Id)
        .all(db)
        .await?;
    Ok(Some((down, up)))
}
