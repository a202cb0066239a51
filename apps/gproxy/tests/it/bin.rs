//! The real binary in a subprocess, as an operator runs it.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The binary with a clean `GPROXY_*` environment, run in `dir`.
pub fn gproxy(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gproxy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GPROXY_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir).args(args).envs(envs.iter().copied());
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Starts the binary and reads stdout up to its listening line: `(child, base URL, the rest
/// of stdout)`.
pub fn start_bin(mut cmd: Command) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gproxy");
    let mut out = child.stdout.take().map(BufReader::new);
    let mut url = None;
    while let Some(reader) = out.as_mut() {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 => {
                if let Some(u) = line.trim_end().strip_prefix("gproxy listening on ") {
                    url = Some(u.to_owned());
                    break;
                }
            }
            _ => break,
        }
    }
    match (url, out) {
        (Some(url), Some(out)) => (child, url, out),
        _ => {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut err).ok();
            }
            let status = child.wait();
            panic!("gproxy exited ({status:?}) before listening: {err}");
        }
    }
}

pub fn terminate(mut child: Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    child.wait().expect("wait")
}

/// Runs the binary expecting it to fail at start-up; returns stderr.
pub fn start_error(cmd: &mut Command) -> String {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert!(!out.status.success(), "start-up should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
