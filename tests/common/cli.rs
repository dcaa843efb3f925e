//! Running the real `fleetsim` binary from integration tests: the command with the caller's
//! adapter choice and fault hook removed, and its output as one text.

use std::process::{Command, Output};

/// The binary, with the adapter choice and fault hook of the caller's environment removed.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fleetsim"));
    c.env_remove("FLEETSIM_ADAPTER")
        .env_remove("FLEETSIM_FAULT_GPU_CHUNK");
    c
}

/// Runs fleetsim with `args`.
pub fn fleetsim(args: &[&str]) -> Output {
    command().args(args).output().expect("run fleetsim")
}

/// Runs fleetsim with extra environment variables.
pub fn fleetsim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    command()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run fleetsim")
}

/// Standard output then standard error, for assertions and failure messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `fleetsim run` of 300 paths of the built-in scenario on the CPU into `dir` (`--force -q`),
/// with `extra` arguments (e.g. `--no-breakeven`, `--report`); fails the test if it fails.
pub fn tiny_run(dir: &std::path::Path, extra: &[&str]) {
    let d = dir.display().to_string();
    let mut args = vec![
        "run",
        "-n",
        "300",
        "--backend",
        "cpu",
        "-o",
        &d,
        "--force",
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = fleetsim(&args);
    assert!(o.status.success(), "{}", text(&o));
}
