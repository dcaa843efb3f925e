//! Records the git commit fleetsim is built from (`FLEETSIM_GIT_COMMIT`, read by
//! `bench::report::git_commit`); empty when there is no git or no checkout.

/// `git ARGS` standard output, trimmed; `None` without git or outside a checkout.
fn git(args: &[&str]) -> Option<String> {
    std::process::Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    // Rerun after a commit or checkout (HEAD, the branch ref, the index), not only when a
    // package file changes; naming any path stops Cargo's whole-package scan, so the sources
    // are named too.
    let mut watched: Vec<String> = ["HEAD", "index"]
        .iter()
        .filter_map(|p| git(&["rev-parse", "--git-path", p]))
        .collect();
    if let Some(r) =
        git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r]))
    {
        watched.push(r);
    }
    watched.extend(["src", "shaders", "Cargo.toml", "build.rs"].map(String::from));
    for p in watched {
        println!("cargo:rerun-if-changed={p}");
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_default();
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.is_empty());
    let v = if commit.is_empty() || !dirty {
        commit
    } else {
        format!("{commit}-dirty")
    };
    println!("cargo:rustc-env=FLEETSIM_GIT_COMMIT={v}");
}
