//! Storage conformance: one suite, run against every backend on this machine's real
//! servers (SQLite file, PostgreSQL, MariaDB) and on the file backend. Each run gets its own
//! fresh database.

/// Runs each test (a function of the calling module taking a `TestDb`) on every backend.
macro_rules! every_backend {
    ($($test:ident),* $(,)?) => {
        every_backend!(@on sqlite: $($test),*);
        every_backend!(@on postgres: $($test),*);
        every_backend!(@on mysql: $($test),*);
        every_backend!(@on file: $($test),*);
    };
    (@on $backend:ident: $($test:ident),*) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(crate::backends::$backend().await).await;
                }
            )*
        }
    };
}

mod backends;
mod change;
mod file;
mod foundation;
mod listing;
mod logs;
mod migrate;
mod outage;
mod rollup;
mod suite;
