//! Integration tests: the real application in-process (port 0, temporary SQLite database)
//! in front of the `gproxy-testkit` mock upstream.

mod admin_api;
mod admin_limits;
mod anthropic;
mod auth;
mod backends;
mod bin;
mod config;
mod console;
mod errors;
mod gemini;
mod health;
mod helpers;
mod lifecycle;
mod limits;
mod logs;
mod openai;
mod openapi;
mod paths;
mod permissions;
mod probe;
mod routes;
mod secrets;
mod settings;
mod streams;
mod translate;
mod usage;
