//! Migrations: a database created by the first released schema (version 1, the frozen
//! entities in `foundation/`), with data in it, is brought to the current version on every
//! server backend, keeping its rows and gaining the later tables and columns; the tracker
//! records each version once; a database newer than the build is refused.

use crate::backends::{self, MASTER_KEY, TestDb};
use crate::foundation;
use gproxy_storage::migrate::{LATEST, MIGRATIONS, current};
use gproxy_storage::model::{
    CredentialStatusRecord, NewRoute, NewRouteMember, Record, UsageRecord,
};
use gproxy_storage::{SeaStore, Sealer, Store, key_digest};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database};

/// Builds the version-1 schema in the empty database at `dsn` and fills it.
async fn version_1_database(dsn: &str) {
    let db = Database::connect(dsn).await.expect("connect");
    db.get_schema_builder()
        .register(foundation::provider::Entity)
        .register(foundation::credential::Entity)
        .register(foundation::provider_model::Entity)
        .register(foundation::alias::Entity)
        .register(foundation::user::Entity)
        .register(foundation::user_key::Entity)
        .register(foundation::route_permission::Entity)
        .register(foundation::usage::Entity)
        .register(foundation::downstream_request::Entity)
        .register(foundation::upstream_request::Entity)
        .register(foundation::instance_setting::Entity)
        .sync(&db)
        .await
        .expect("version 1 schema");
    let sealer = Sealer::from_base64(MASTER_KEY).expect("key");
    foundation::provider::ActiveModel {
        id: NotSet,
        name: Set("openai".into()),
        channel: Set("openai".into()),
        settings: Set(r#"{"base_url":"http://127.0.0.1:9"}"#.into()),
        enabled: Set(true),
        created_at: Set(1),
        updated_at: Set(1),
    }
    .insert(&db)
    .await
    .expect("provider");
    foundation::credential::ActiveModel {
        id: NotSet,
        provider_id: Set(1),
        label: Set(Some("main".into())),
        secret: Set(sealer
            .seal(r#"{"api_key":"sk-v1-upstream"}"#)
            .expect("seal")),
        enabled: Set(true),
        created_at: Set(1),
    }
    .insert(&db)
    .await
    .expect("credential");
    foundation::provider_model::ActiveModel {
        id: NotSet,
        provider_id: Set(1),
        model_id: Set("gpt-4.1".into()),
        display_name: Set(None),
        enabled: Set(true),
        pricing: Set("{}".into()),
        created_at: Set(1),
    }
    .insert(&db)
    .await
    .expect("model");
    foundation::user::ActiveModel {
        id: NotSet,
        name: Set("alice".into()),
        password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        is_admin: Set(true),
        enabled: Set(true),
        created_at: Set(1),
    }
    .insert(&db)
    .await
    .expect("user");
    foundation::user_key::ActiveModel {
        id: NotSet,
        user_id: Set(1),
        digest: Set(key_digest("sk-v1-user")),
        secret: Set(sealer.seal("sk-v1-user").expect("seal")),
        label: Set(None),
        enabled: Set(true),
        created_at: Set(1),
    }
    .insert(&db)
    .await
    .expect("key");
    foundation::usage::ActiveModel {
        id: NotSet,
        request_id: Set("req-v1".into()),
        created_at: Set(5),
        user_id: Set(Some(1)),
        user_key_id: Set(Some(1)),
        provider: Set("openai".into()),
        credential_id: Set(Some(1)),
        model: Set("gpt-4.1".into()),
        operation: Set("chat".into()),
        protocol: Set("openai".into()),
        status: Set(200),
        stream: Set(false),
        complete: Set(true),
        latency_ms: Set(10),
        ttfb_ms: Set(None),
        input_tokens: Set(11),
        output_tokens: Set(7),
        cache_read_tokens: Set(0),
        cache_write_tokens: Set(0),
        reasoning_tokens: Set(0),
    }
    .insert(&db)
    .await
    .expect("usage");
    foundation::instance_setting::ActiveModel {
        key: Set("schema_version".into()),
        value: Set("1".into()),
        updated_at: Set(2),
    }
    .insert(&db)
    .await
    .expect("stamp");
}

async fn from_the_first_schema(db: TestDb) {
    // The fixture's own (current) schema is not wanted: start from an empty database.
    drop_everything(&db).await;
    version_1_database(&db.dsn).await;
    let sealer = || Sealer::from_base64(MASTER_KEY).expect("key");

    let store = SeaStore::open(&db.dsn, sealer(), &Default::default())
        .await
        .expect("open");
    let before = store.migrations().await.expect("states");
    assert_eq!(current(&before), 1, "{before:?}");
    assert_eq!(
        before.iter().filter(|s| s.applied_at.is_none()).count(),
        MIGRATIONS.len() - 1
    );

    let ran = store.migrate().await.expect("migrate");
    assert_eq!(ran, (2..=LATEST).collect::<Vec<_>>());
    let after = store.migrations().await.expect("states");
    assert_eq!(current(&after), LATEST);
    assert_eq!(
        after[0].applied_at,
        Some(2),
        "version 1 keeps the stamp's time"
    );
    assert!(
        store.migrate().await.expect("again").is_empty(),
        "idempotent"
    );

    // The version-1 rows are all there, secrets still open.
    let cp = store.load().await.expect("load");
    assert_eq!(cp.providers[0].name, "openai");
    assert_eq!(cp.credentials[0].secret["api_key"], "sk-v1-upstream");
    assert_eq!(cp.models[0].model_id, "gpt-4.1");
    assert_eq!(cp.users[0].name, "alice");
    assert_eq!(cp.keys[0].digest, key_digest("sk-v1-user"));
    let usages = store.recent_usages(10).await.expect("usages");
    assert_eq!(
        (usages[0].request_id.as_str(), usages[0].input_tokens),
        ("req-v1", 11)
    );
    assert!(!usages[0].estimated, "the new column's default");

    // What later versions brought works on the upgraded database.
    store
        .write_records(&[Record::Usage(UsageRecord {
            request_id: "req-v4".into(),
            estimated: true,
            ..Default::default()
        })])
        .await
        .expect("estimated usage");
    assert!(store.recent_usages(1).await.expect("usages")[0].estimated);
    store
        .save_credential_statuses(&[CredentialStatusRecord {
            credential_id: 1,
            state: "dead".into(),
            cooling: Vec::new(),
            last_error: Some("401".into()),
        }])
        .await
        .expect("credential status");
    let route = store
        .create_route(
            &NewRoute {
                name: "smart".into(),
                enabled: true,
            },
            "test",
        )
        .await
        .expect("route");
    store
        .create_route_member(
            route.id,
            &NewRouteMember {
                provider_id: 1,
                model_id: "gpt-4.1".into(),
                tier: 0,
                weight: 1,
            },
            "test",
        )
        .await
        .expect("member");
    assert_eq!(store.audit_entries(10).await.expect("audit").len(), 2);
    // Version 9: request logs keep their headers.
    store
        .write_records(&[Record::Downstream(
            gproxy_storage::model::DownstreamRecord {
                request_id: "req-v9".into(),
                request_headers: Some([("x-v".to_owned(), "9".to_owned())].into()),
                ..Default::default()
            },
        )])
        .await
        .expect("downstream with headers");
    let (down, _) = store
        .request_log("req-v9")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(down.request_headers.as_deref(), Some(r#"{"x-v":"9"}"#));

    // A build older than the database refuses it.
    let conn = store.connection();
    let key = if conn.get_database_backend() == sea_orm::DbBackend::MySql {
        "`key`"
    } else {
        "\"key\""
    };
    conn.execute_unprepared(&format!(
        "UPDATE instance_settings SET value = '{}' WHERE {key} = 'schema_version'",
        LATEST + 1
    ))
    .await
    .expect("stamp ahead");
    let err = SeaStore::connect(&db.dsn, sealer())
        .await
        .expect_err("newer schema");
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

/// Drops every table the fixture created, leaving an empty database.
async fn drop_everything(db: &TestDb) {
    let conn = Database::connect(&db.dsn).await.expect("connect");
    let backend = conn.get_database_backend();
    if backend == sea_orm::DbBackend::MySql {
        conn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 0")
            .await
            .expect("fk off");
    }
    for table in [
        "schema_migrations",
        "audit_logs",
        "route_members",
        "routes",
        "credential_statuses",
        "route_permissions",
        "user_keys",
        "users",
        "aliases",
        "provider_models",
        "credentials",
        "providers",
        "usages",
        "usage_rollups",
        "downstream_requests",
        "upstream_requests",
        "instance_settings",
    ] {
        conn.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .unwrap_or_else(|e| panic!("drop {table}: {e}"));
    }
}

#[tokio::test]
async fn sqlite_migrates_from_the_first_schema() {
    from_the_first_schema(backends::sqlite().await).await;
}

#[tokio::test]
async fn postgres_migrates_from_the_first_schema() {
    from_the_first_schema(backends::postgres().await).await;
}

#[tokio::test]
async fn mysql_migrates_from_the_first_schema() {
    from_the_first_schema(backends::mysql().await).await;
}
