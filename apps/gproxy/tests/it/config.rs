//! Start-up as an operator meets it: the real binary in a subprocess (banner, layering of
//! flags, variables and file, loud config errors), and seed/bootstrap rules in-process.

use crate::bin::*;
use crate::helpers::*;
use gproxy::Cli;
use gproxy_testkit::MockUpstream;
use serde_json::json;
use std::io::{BufRead, Read};
use std::time::Duration;

#[tokio::test]
async fn first_start_creates_the_admin_and_prints_its_key_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (child, url, mut out) = start_bin(gproxy(dir.path(), &["--port", "0"], &[]));
    let mut notice = String::new();
    out.read_line(&mut notice).expect("notice");
    let key = notice.trim().rsplit(' ').next().expect("key").to_owned();
    assert!(
        notice.contains("shown once") && key.starts_with("sk-gp-"),
        "{notice}"
    );
    assert!(
        dir.path().join("data/gproxy.db").exists(),
        "default SQLite file under ./data"
    );

    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{url}/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), 200);
    let resp = http
        .post(format!("{url}/login"))
        .json(&json!({"name": "admin", "password": key}))
        .send()
        .await
        .expect("req");
    assert_eq!(json(resp).await["api_key"], key.as_str());
    assert!(terminate(child).success(), "SIGTERM is a clean exit");

    let (child, _, mut out) = start_bin(gproxy(dir.path(), &["--port", "0"], &[]));
    let status = terminate(child);
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("rest");
    assert!(status.success());
    assert!(
        !rest.contains("shown once"),
        "the key is printed only when it is created: {rest}"
    );
}

#[tokio::test]
async fn flags_beat_variables_beat_the_file() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy_port = busy.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("gproxy.toml"),
        format!("[global]\nport = {busy_port}\n"),
    )
    .expect("write");

    let err = start_error(&mut gproxy(dir.path(), &[], &[]));
    assert!(
        err.contains(&format!("127.0.0.1:{busy_port}")),
        "the file's port is used: {err}"
    );
    let (child, url, _) = start_bin(gproxy(dir.path(), &[], &[("GPROXY_PORT", "0")]));
    assert!(
        !url.ends_with(&format!(":{busy_port}")),
        "the variable beats the file"
    );
    terminate(child);
    let (child, url, _) = start_bin(gproxy(
        dir.path(),
        &["--port", "0"],
        &[("GPROXY_PORT", &busy_port)],
    ));
    assert!(
        !url.ends_with(&format!(":{busy_port}")),
        "the flag beats the variable"
    );
    terminate(child);
}

#[tokio::test]
async fn bad_configuration_stops_start_up_naming_field_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |text: &str| std::fs::write(dir.path().join("gproxy.toml"), text).expect("write");

    write("[global]\nhost = \"127.0.0.1\"\nprot = 8080\n");
    let err = start_error(&mut gproxy(dir.path(), &[], &[]));
    assert!(
        err.contains("unknown field `prot`") && err.contains("line 3"),
        "{err}"
    );

    write(
        "[[providers]]\nname = \"a\"\nchannel = \"openai\"\n\n[[providers]]\nname = \"b\"\nchannel = \"claude\"\n",
    );
    let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &[]));
    assert!(
        err.contains("line 7")
            && err.contains("providers[1]")
            && err.contains("unknown channel `claude`"),
        "{err}"
    );

    write(
        "[[providers]]\nname = \"c\"\nchannel = \"custom\"\ncredentials = [{ api_key = \"k\" }]\n",
    );
    let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &[]));
    assert!(err.contains("base_url is required"), "{err}");

    // A parse error names the line but never quotes it: the line may hold a secret.
    write("[[users]]\nname = \"x\"\nkeys = [{ api_key = \"sk-secret-in-config\", bogus = 1 }]\n");
    let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &[]));
    assert!(
        err.contains("line 3") && err.contains("unknown field `bogus`"),
        "{err}"
    );
    assert!(!err.contains("sk-secret-in-config"), "{err}");

    // A provider name the gateway's own routes would shadow.
    for name in ["v1", "admin", "healthz", "openapi.json", "../x"] {
        write(&format!(
            "[[providers]]\nname = \"{name}\"\nchannel = \"openai\"\n"
        ));
        let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &[]));
        assert!(
            err.contains("line 1") && err.contains(&format!("`{name}`")),
            "{err}"
        );
    }
    write("[[providers]]\nname = \"v1beta\"\nchannel = \"openai\"\n");
    let err = start_error(&mut gproxy(dir.path(), &["--port", "0"], &[]));
    assert!(
        err.contains("clashes with the gateway's own route `/v1beta`"),
        "{err}"
    );

    write("");
    let err = start_error(&mut gproxy(
        dir.path(),
        &["--port", "0"],
        &[("GPROXY_MASTER_KEY", "short")],
    ));
    assert!(err.contains("master_key"), "{err}");
    let err = start_error(&mut gproxy(dir.path(), &[], &[("GPROXY_PORT", "eighty")]));
    assert!(err.contains("--port"), "{err}");
    let err = start_error(&mut gproxy(
        dir.path(),
        &["--port", "0", "--dsn", "oracle://x"],
        &[],
    ));
    assert!(err.contains("dsn"), "{err}");
    let err = start_error(&mut gproxy(dir.path(), &["--config", "missing.toml"], &[]));
    assert!(err.contains("missing.toml"), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[tokio::test]
async fn the_seed_applies_only_to_an_empty_database_unless_forced() {
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    std::fs::write(&config, seed_toml(&mock.base_url())).expect("write");
    let cli = |force: Option<bool>| Cli {
        config: Some(config.clone()),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        bootstrap_force_config: force,
        ..Cli::default()
    };
    let settings = gproxy::load(cli(None)).expect("settings");
    let app = gproxy::App::build(settings).await.expect("first start");
    drop(app);

    // A changed seed is ignored on a database that has data...
    let changed = format!(
        "{}\n[[providers]]\nname = \"late\"\nchannel = \"openai\"\nsettings = {{ base_url = \"{}/v1\" }}\ncredentials = [{{ api_key = \"k\" }}]\n",
        seed_toml(&mock.base_url()),
        mock.base_url()
    );
    std::fs::write(&config, changed).expect("write");
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = start(cli(None), mock.clone(), tmp).await;
    let resp = app
        .post(
            "/late/v1/chat/completions",
            ALICE,
            json!({"model": "m", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 404);
    app.stop().await;
    // ...unless forced.
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = start(cli(Some(true)), mock, tmp).await;
    let resp = app
        .post(
            "/late/v1/chat/completions",
            ALICE,
            json!({"model": "m", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn admin_bootstrap_from_settings() {
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = Cli {
        config: Some(dir.path().join("absent.toml")),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        admin_user: Some("root".into()),
        admin_password: Some("root-pw".into()),
        admin_api_key: Some("sk-root-key".into()),
        ..Cli::default()
    };
    // An explicit --config that does not exist is an error...
    assert!(gproxy::load(cli).is_err());
    // ...without one, the admin comes from the settings.
    let cli = Cli {
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        admin_user: Some("root".into()),
        admin_password: Some("root-pw".into()),
        admin_api_key: Some("sk-root-key".into()),
        ..Cli::default()
    };
    let app = start(cli, mock, dir).await;
    let resp = app
        .http
        .post(app.url("/login"))
        .json(&json!({"name": "root", "password": "root-pw"}))
        .send()
        .await
        .expect("req");
    assert_eq!(json(resp).await["api_key"], "sk-root-key");
    assert_eq!(app.get("/v1/models", "sk-root-key").await.status(), 200);
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("stops");
}

/// `[database]` tunes the pool (flags and `DATABASE_*` variables override it); values out of
/// range stop start-up naming the field.
#[test]
fn database_pool_settings_are_read_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let load = |text: &str, tweak: &dyn Fn(&mut gproxy::Cli)| {
        std::fs::write(&config, text).expect("write");
        let mut cli = gproxy::Cli {
            config: Some(config.clone()),
            data_dir: Some(dir.path().join("data")),
            ..gproxy::Cli::default()
        };
        tweak(&mut cli);
        gproxy::load(cli)
    };
    let settings = load(
        "[database]\npool_size = 8\nmax_overflow = 4\npool_timeout = 7\necho = true\n",
        &|cli| cli.database_max_overflow = Some(2),
    )
    .expect("valid");
    assert_eq!(settings.database.pool_size, 8);
    assert_eq!(settings.database.max_overflow, 2, "the flag wins");
    assert_eq!(
        settings.database.pool_timeout,
        std::time::Duration::from_secs(7)
    );
    assert!(settings.database.echo && !settings.database.echo_pool);
    for (text, field) in [
        ("[database]\npool_size = 0\n", "database.pool_size"),
        ("[database]\nmax_overflow = 101\n", "database.max_overflow"),
        ("[database]\npool_timeout = 0\n", "database.pool_timeout"),
        (
            "[global]\nusage_retention_days = 0\n",
            "usage_retention_days",
        ),
    ] {
        let err = load(text, &|_| {}).expect_err("out of range");
        assert!(err.to_string().contains(field), "{err}");
    }
}

/// `[[rate_limits]]` and `[[quotas]]` convert exactly (`total_tokens` is tokens per day,
/// `model_pattern` defaults to `*`, amounts are exact nano-USD); a bad amount, `tpd` given
/// twice, an unknown period, a zero ceiling or a second quota stop start-up naming the
/// table, the field and the line.
#[test]
fn rate_limits_and_quotas_are_read_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    let users = "[[users]]\nname = \"alice\"\n\n";
    let load = |text: &str| {
        std::fs::write(&config, format!("{users}{text}")).expect("write");
        gproxy::load(gproxy::Cli {
            config: Some(config.clone()),
            data_dir: Some(dir.path().join("data")),
            ..gproxy::Cli::default()
        })
    };
    let settings = load(
        "[[rate_limits]]\nuser_name = \"alice\"\nrpm = 60\ntotal_tokens = 200000\n\n\
         [[rate_limits]]\nuser_name = \"alice\"\nmodel_pattern = \"gpt-*\"\ntpm = 9000\ntpd = 10\nrpd = 5\n\n\
         [[quotas]]\nuser_name = \"alice\"\nquota = \"100.000000001\"\ncost_used = 0.25\nperiod = \"monthly\"\n",
    )
    .expect("valid");
    let (_, seed) = settings.seed.expect("a seed");
    assert_eq!(
        seed.rate_limits,
        vec![
            gproxy_storage::model::SeedRateLimit {
                user_name: "alice".into(),
                model_pattern: "*".into(),
                rpm: Some(60),
                rpd: None,
                tpm: None,
                tpd: Some(200_000),
            },
            gproxy_storage::model::SeedRateLimit {
                user_name: "alice".into(),
                model_pattern: "gpt-*".into(),
                rpm: None,
                rpd: Some(5),
                tpm: Some(9_000),
                tpd: Some(10),
            },
        ]
    );
    assert_eq!(
        seed.quotas,
        vec![gproxy_storage::model::SeedQuota {
            user_name: "alice".into(),
            limit_nano: 100_000_000_001,
            used_nano: 250_000_000,
            period: "monthly".into(),
        }]
    );
    let quota = load("[[quotas]]\nuser_name = \"alice\"\nquota = 100\n").expect("valid");
    let (_, seed) = quota.seed.expect("a seed");
    assert_eq!(
        (
            seed.quotas[0].limit_nano,
            seed.quotas[0].used_nano,
            seed.quotas[0].period.as_str()
        ),
        (100_000_000_000, 0, "none"),
        "cost_used defaults to 0 and period to none"
    );

    let quota = |fields: &str| format!("[[quotas]]\nuser_name = \"alice\"\n{fields}");
    let limit = |fields: &str| format!("[[rate_limits]]\nuser_name = \"alice\"\n{fields}");
    for (text, want) in [
        (
            quota("quota = \"12,5\"\n"),
            vec!["quotas[0]: quota:", "`12,5` is not a decimal amount"],
        ),
        (
            quota("quota = 0.0000000001\n"),
            vec!["quotas[0]: quota:", "more than 9 decimal places"],
        ),
        (quota("quota = -3\n"), vec!["quotas[0]: quota:", "negative"]),
        (
            quota("quota = 0\n"),
            vec!["quotas[0]: quota must be more than 0"],
        ),
        (
            quota("quota = 1\ncost_used = \"lots\"\n"),
            vec!["quotas[0]: cost_used:", "`lots`"],
        ),
        (
            quota("quota = 1\nperiod = \"weekly\"\n"),
            vec!["quotas[0]: period: `weekly` is not one of none, daily, monthly"],
        ),
        (
            limit("total_tokens = 100\ntpd = 100\n"),
            vec!["rate_limits[0]: tpd:", "total_tokens", "not both"],
        ),
        (
            limit("rpm = 0\n"),
            vec!["rate_limits[0]: rpm must be 1 or more"],
        ),
        (
            limit("tpm = 9223372036854775808\n"),
            vec!["rate_limits[0]: tpm is too large"],
        ),
        (
            limit("model_pattern = \"\"\n"),
            vec!["rate_limits[0]: model_pattern must not be empty"],
        ),
    ] {
        let err = load(&text).expect_err(&text).to_string();
        assert!(err.contains("line 4"), "{text}: {err}");
        for part in want {
            assert!(err.contains(part), "{text}: `{part}` in {err}");
        }
    }
    let err = load(&format!(
        "{}\n{}",
        quota("quota = 1\n"),
        quota("quota = 2\n")
    ))
    .expect_err("two quotas")
    .to_string();
    assert!(
        err.contains("line 8") && err.contains("quotas[1]: user_name: `alice` has a quota already"),
        "{err}"
    );
    let err = load("[[rate_limits]]\nuser_name = \"zed\"\nrpm = 1\n")
        .expect_err("unknown user")
        .to_string();
    assert!(
        err.contains("line 4") && err.contains("rate_limits[0]: user_name: unknown user `zed`"),
        "{err}"
    );
    let err = load("[[quotas]]\nuser_name = \"zed\"\nquota = 1\n")
        .expect_err("unknown user")
        .to_string();
    assert!(
        err.contains("quotas[0]: user_name: unknown user `zed`"),
        "{err}"
    );
}

/// `gproxy rotate-master-key`: every sealed value moves to the new key in one go; the
/// gateway then serves with the new key (the provider still gets its real key) and refuses
/// to start with the old one, saying why.
#[tokio::test]
async fn the_master_key_rotates_and_the_old_one_is_refused() {
    const OLD: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const NEW: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    let mock = MockUpstream::start().await.expect("mock");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gproxy.toml");
    std::fs::write(&config, seed_toml(&mock.base_url())).expect("write");
    let cli = |key: &str| Cli {
        config: Some(config.clone()),
        port: Some(0),
        data_dir: Some(dir.path().join("data")),
        master_key: Some(key.into()),
        ..Cli::default()
    };
    let app = start(
        cli(OLD),
        mock.clone(),
        tempfile::tempdir().expect("tempdir"),
    )
    .await;
    app.stop().await;

    let settings = gproxy::load(cli(OLD)).expect("settings");
    let (credentials, keys) =
        gproxy::app::rotate_master_key(&settings, &secrecy::SecretString::from(NEW))
            .await
            .expect("rotated");
    assert!(
        credentials >= 6 && keys >= 3,
        "{credentials} credentials, {keys} keys"
    );

    let app = start(
        cli(NEW),
        mock.clone(),
        tempfile::tempdir().expect("tempdir"),
    )
    .await;
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(
        resp.status(),
        200,
        "the client's key opens under the new master key"
    );
    assert_key_swapped(
        &mock.last_request().expect("forwarded"),
        "authorization",
        UP_OPENAI,
    );
    app.stop().await;

    let err = match gproxy::App::build(gproxy::load(cli(OLD)).expect("settings")).await {
        Ok(_) => panic!("the old key must not open the new ciphertext"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("could not be opened"), "{err}");
    assert!(err.contains("GPROXY_MASTER_KEY"), "{err}");

    // The binary's subcommand, flags before or after it: back to the old key.
    let out = gproxy(
        dir.path(),
        &["rotate-master-key", "--new-key", OLD, "--data-dir", "data"],
        &[("GPROXY_MASTER_KEY", NEW), ("GPROXY_CONFIG", "gproxy.toml")],
    )
    .output()
    .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("re-sealed"), "{stdout}");
    let bad = gproxy(
        dir.path(),
        &[
            "--data-dir",
            "data",
            "rotate-master-key",
            "--new-key",
            "short",
        ],
        &[("GPROXY_MASTER_KEY", OLD)],
    )
    .output()
    .expect("run");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("32 bytes"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let app = start(
        cli(OLD),
        mock.clone(),
        tempfile::tempdir().expect("tempdir"),
    )
    .await;
    app.stop().await;
    // `gproxy export` writes the bundle readable by its owner only.
    let out = gproxy(
        dir.path(),
        &["export", "--output", "bundle.toml", "--data-dir", "data"],
        &[("GPROXY_MASTER_KEY", OLD), ("GPROXY_CONFIG", "gproxy.toml")],
    )
    .output()
    .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle = std::fs::read_to_string(dir.path().join("bundle.toml")).expect("bundle");
    assert!(bundle.contains("[[providers]]") && bundle.contains(UP_OPENAI));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("bundle.toml"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// `gproxy backup`: an online copy of the SQLite database, private, that opens as a
/// database with everything in it; an existing file is never overwritten.
#[tokio::test]
async fn backup_copies_the_sqlite_database_while_it_serves() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/openai-main/v1/chat/completions",
            ALICE,
            json!({"model": "gpt-4.1", "messages": []}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    app.wait_usages(1).await;
    let settings = gproxy::load(Cli {
        data_dir: Some(app.dir.path().join("data")),
        config: Some(app.dir.path().join("gproxy.toml")),
        ..Cli::default()
    })
    .expect("settings");
    let copy = app.dir.path().join("copy.db");
    gproxy::app::backup(&settings, &copy)
        .await
        .expect("backup while serving");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = gproxy::app::backup(&settings, &copy)
        .await
        .expect_err("never over an existing file");
    assert!(format!("{again:#}").contains("already exists"), "{again:#}");
    let store = gproxy_storage::SeaStore::connect(
        &format!("sqlite://{}?mode=rw", copy.display()),
        gproxy_storage::Sealer::plaintext(),
    )
    .await
    .expect("the copy opens");
    use gproxy_storage::Store;
    assert_eq!(store.recent_usages(10).await.expect("usages").len(), 1);
    assert!(store.load().await.expect("load").providers.len() >= 6);
    app.stop().await;
}
