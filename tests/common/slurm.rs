//! A single-host Slurm for tests, started inside the test process (no systemd): munged as the
//! munge user with a generated key, then slurmctld and slurmd in the foreground with a
//! generated slurm.conf, all in a temporary folder with its own munge socket and free ports, so
//! it neither needs nor touches a system Slurm. The node is `hostname -s` at 127.0.0.1 with
//! more CPUs than the machine has (`SlurmdParameters=config_overrides`), so a 4-task array
//! runs at once on 2 cores. [`Slurm::start_or_skip`] skips (with the reason) where Slurm is
//! not installed or the tests are not root, unless `FLEETSIM_REQUIRE_SLURM=1` (CI), which
//! makes that a failure. Dropping the [`Slurm`] cancels its jobs and stops the daemons.
//!
//! Every command for the cluster must carry its `SLURM_CONF` ([`Slurm::command`]); jobs are
//! waited for by polling `squeue` (not `sbatch --wait`).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Environment variable that turns "Slurm cannot run here" from a skip into a test failure.
pub const REQUIRE_ENV: &str = "FLEETSIM_REQUIRE_SLURM";
/// CPUs the node claims (more than the machine has: tasks of 1 CPU each run at once).
pub const NODE_CPUS: u32 = 16;
/// How long the daemons may take to bring the node up.
pub const START_TIMEOUT: Duration = Duration::from_secs(40);
/// The programs the cluster needs (Debian: slurmctld, slurmd, slurm-client, munge).
pub const PROGRAMS: &[&str] = &[
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
    "setpriv",
];

/// Whether `FLEETSIM_REQUIRE_SLURM` is set to `1` (or `true`/`yes`).
pub fn slurm_required() -> bool {
    std::env::var(REQUIRE_ENV)
        .map(|v| matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// `prog` on PATH or in /usr/sbin and /sbin (not on a non-root PATH on Debian).
pub fn find_program(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// Why Slurm cannot run here, or `None` when it can be tried.
pub fn unavailable() -> Option<String> {
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "Slurm is not installed (missing {}; Debian: apt-get install slurmd slurmctld slurm-client munge)",
            missing.join(", ")
        ));
    }
    if uid_of(None) != Some(0) {
        return Some(
            "a single-host Slurm needs root (slurmd starts jobs as their user, munged runs as the munge user)"
                .into(),
        );
    }
    if uid_of(Some("munge")).is_none() {
        return Some("there is no `munge` user (install Debian's munge package)".into());
    }
    None
}

/// The uid and gid of `user` (`None`: the current user's uid only, gid 0).
fn uid_of(user: Option<&str>) -> Option<u32> {
    ids(user).map(|(u, _)| u)
}

fn ids(user: Option<&str>) -> Option<(u32, u32)> {
    let run = |flag: &str| {
        let mut c = Command::new("id");
        c.arg(flag);
        if let Some(u) = user {
            c.arg(u);
        }
        let o = c.output().ok()?;
        if !o.status.success() {
            return None;
        }
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse::<u32>()
            .ok()
    };
    Some((run("-u")?, run("-g")?))
}

/// A running single-host cluster; dropped, it stops.
pub struct Slurm {
    /// The folder holding its config, state, spool, logs and munge files (0755).
    pub dir: PathBuf,
    /// Its slurm.conf (give it as `SLURM_CONF`).
    pub conf: PathBuf,
    /// The node's name (`hostname -s`).
    pub node: String,
    daemons: Vec<(&'static str, Child)>,
    _tmp: tempfile::TempDir,
}

impl Slurm {
    /// A cluster for `test`, or `None` after printing "skipped: ..." where Slurm cannot run
    /// and `FLEETSIM_REQUIRE_SLURM` is not set; panics with the reason when it is set, or when
    /// Slurm is there but does not start (with the daemons' logs).
    pub fn start_or_skip(test: &str) -> Option<Slurm> {
        match unavailable() {
            None => Some(Slurm::start().unwrap_or_else(|e| panic!("{test}: {e}"))),
            Some(why) if slurm_required() => {
                panic!("{test}: {REQUIRE_ENV}=1 but the Slurm tests cannot run: {why}")
            }
            Some(why) => {
                eprintln!(
                    "{test}: skipped: {why}; set {REQUIRE_ENV}=1 to make this a failure (CI does)"
                );
                None
            }
        }
    }

    /// Starts munged, slurmctld and slurmd and waits until `sinfo` shows the node idle.
    pub fn start() -> Result<Slurm, String> {
        let tmp = tempfile::Builder::new()
            .prefix("fleetsim-slurm.")
            .tempdir_in("/tmp")
            .map_err(|e| format!("temp dir: {e}"))?;
        let dir = tmp.path().to_path_buf();
        let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
        for sub in ["etc", "state", "spool", "log", "munge"] {
            std::fs::create_dir(dir.join(sub)).map_err(|e| io(sub, e))?;
        }
        // Readable by every user that submits (sbatch reads the config itself).
        chmod(&dir, 0o755)?;
        chmod(&dir.join("etc"), 0o755)?;
        let mut slurm = Slurm {
            conf: dir.join("etc/slurm.conf"),
            node: hostname()?,
            dir,
            daemons: Vec::new(),
            _tmp: tmp,
        };
        let socket = slurm.start_munge()?;
        let (ctld_port, slurmd_port) = (free_port()?, free_port()?);
        let conf = slurm_conf(&slurm.dir, &slurm.node, &socket, ctld_port, slurmd_port);
        std::fs::write(&slurm.conf, conf).map_err(|e| io("slurm.conf", e))?;
        chmod(&slurm.conf, 0o644)?;
        let conf_arg = slurm.conf.display().to_string();
        slurm.spawn("slurmctld", &["-D", "-i", "-f", &conf_arg])?;
        slurm.spawn("slurmd", &["-D", "-f", &conf_arg])?;
        slurm.wait_idle()?;
        Ok(slurm)
    }

    /// munged as the munge user with a fresh key and its own socket; returns the socket.
    fn start_munge(&mut self) -> Result<PathBuf, String> {
        let (uid, gid) = ids(Some("munge")).ok_or("no munge user")?;
        let m = self.dir.join("munge");
        let key = m.join("munge.key");
        let mut bytes = vec![0u8; 1024];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        std::fs::write(&key, &bytes).map_err(|e| format!("munge key: {e}"))?;
        for p in [&m, &key] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", p.display()))?;
        }
        chmod(&key, 0o400)?;
        chmod(&m, 0o755)?;
        let socket = m.join("munge.socket");
        let arg = |k: &str, p: &Path| format!("--{k}={}", p.display());
        let munged = find_program("munged").ok_or("no munged")?;
        let child = Command::new(find_program("setpriv").ok_or("no setpriv")?)
            .args([
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".into(),
            ])
            .arg(munged)
            .args([
                "--foreground".to_string(),
                arg("key-file", &key),
                arg("socket", &socket),
                arg("pid-file", &m.join("munged.pid")),
                arg("log-file", &m.join("munged.log")),
                arg("seed-file", &m.join("munged.seed")),
            ])
            .stdin(Stdio::null())
            .stdout(self.log_file("munged")?)
            .stderr(self.log_file("munged")?)
            .spawn()
            .map_err(|e| format!("starting munged: {e}"))?;
        self.daemons.push(("munged", child));
        let t0 = Instant::now();
        while !socket.exists() {
            self.check_alive()?;
            if t0.elapsed() > START_TIMEOUT {
                return Err(format!("munged made no socket in time\n{}", self.logs()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(socket)
    }

    fn log_file(&self, name: &str) -> Result<std::fs::File, String> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("log/{name}.out")))
            .map_err(|e| format!("log file: {e}"))
    }

    fn spawn(&mut self, name: &'static str, args: &[&str]) -> Result<(), String> {
        let prog = find_program(name).ok_or_else(|| format!("no {name}"))?;
        let child = Command::new(prog)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(self.log_file(name)?)
            .stderr(self.log_file(name)?)
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        self.daemons.push((name, child));
        Ok(())
    }

    /// Fails (with the logs) when a daemon has exited.
    fn check_alive(&mut self) -> Result<(), String> {
        for (name, child) in &mut self.daemons {
            if let Ok(Some(status)) = child.try_wait() {
                let name = *name;
                return Err(format!("{name} exited ({status})\n{}", self.logs()));
            }
        }
        Ok(())
    }

    fn wait_idle(&mut self) -> Result<(), String> {
        let t0 = Instant::now();
        loop {
            self.check_alive()?;
            let o = self.run("sinfo", &["-h", "-n", &self.node.clone(), "-o", "%t"]);
            let state = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && state == "idle" {
                return Ok(());
            }
            if t0.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "the node did not come up idle in {START_TIMEOUT:?} (sinfo: {state:?} {})\n{}",
                    String::from_utf8_lossy(&o.stderr).trim(),
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines of every daemon's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("log"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.push(self.dir.join("munge/munged.log"));
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(15)..];
            s.push_str(&format!("== {}\n{}\n", f.display(), tail.join("\n")));
        }
        s
    }

    /// `prog` (a Slurm client, or anything that calls one) with this cluster's `SLURM_CONF`.
    pub fn command(&self, prog: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(prog);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// Runs a Slurm client program with `args`.
    pub fn run(&self, prog: &str, args: &[&str]) -> Output {
        let bin = find_program(prog).unwrap_or_else(|| PathBuf::from(prog));
        self.command(bin)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {prog}: {e}"))
    }

    /// `sbatch --parsable ARGS...`: the job id, or panics with sbatch's message.
    pub fn sbatch(&self, args: &[&str]) -> String {
        let mut a = vec!["--parsable"];
        a.extend_from_slice(args);
        let o = self.run("sbatch", &a);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "sbatch {args:?}: {}{}",
            out,
            String::from_utf8_lossy(&o.stderr)
        );
        out.trim().split(';').next().unwrap_or_default().to_string()
    }

    /// Polls `squeue` until none of `jobs` is pending or running; `Err` (with the queue and
    /// the logs) after `timeout`.
    pub fn wait(&self, jobs: &[&str], timeout: Duration) -> Result<(), String> {
        let list = jobs.join(",");
        let t0 = Instant::now();
        loop {
            let o = self.run("squeue", &["-h", "-j", &list, "-o", "%i %T %r"]);
            let out = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let err = String::from_utf8_lossy(&o.stderr);
            // Jobs purged from the controller are done too ("Invalid job id").
            if (o.status.success() && out.is_empty()) || err.contains("Invalid job id") {
                return Ok(());
            }
            if t0.elapsed() > timeout {
                return Err(format!(
                    "jobs {list} still queued after {timeout:?}:\n{out}{err}\n{}",
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every task of `job` as `(JobId, JobState)`, from `scontrol show job` (which keeps
    /// finished jobs for MinJobAge, 300 s by default).
    pub fn states(&self, job: &str) -> Vec<(String, String)> {
        let o = self.run("scontrol", &["show", "job", "-o", job]);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| {
                let field = |k: &str| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix(k).map(str::to_string))
                };
                let id = match (field("ArrayJobId="), field("ArrayTaskId=")) {
                    (Some(a), Some(t)) => format!("{a}_{t}"),
                    _ => field("JobId=")?,
                };
                Some((id, field("JobState=")?))
            })
            .collect()
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        // Leftover jobs first (a failed test), then the daemons: slurmctld forwards
        // `scontrol shutdown` to slurmd. Whatever is still up after 5 s is killed; every
        // daemon is this process's child and is waited for (no zombies outlive the tests).
        let _ = self.run("scancel", &["--quiet", "--full", "--user=root"]);
        let _ = self.run("scontrol", &["shutdown"]);
        let t0 = Instant::now();
        for (name, child) in &mut self.daemons {
            if *name == "munged" {
                continue;
            }
            while t0.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        for (_, child) in &mut self.daemons {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

fn chmod(p: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", p.display()))
}

fn hostname() -> Result<String, String> {
    let o = Command::new("hostname")
        .arg("-s")
        .output()
        .map_err(|e| format!("hostname -s: {e}"))?;
    let h = String::from_utf8_lossy(&o.stdout).trim().to_string();
    if h.is_empty() {
        Err("hostname -s printed nothing".into())
    } else {
        Ok(h)
    }
}

/// A TCP port free right now on 127.0.0.1.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("port: {e}"))
}

/// The cluster's slurm.conf: one node (`node` at 127.0.0.1 with [`NODE_CPUS`] CPUs, trusted
/// over what it detects), one default partition, no accounting, no cgroups (proctrack/linuxproc,
/// task/none), cons_tres over cores, the built-in scheduler without its batching delay (a job
/// starts within a second instead of three), and every file in `dir`.
pub fn slurm_conf(dir: &Path, node: &str, munge_socket: &Path, ctld: u16, slurmd: u16) -> String {
    let d = dir.display();
    format!(
        "# A single-host test cluster written by fleetsim's tests/common/slurm.rs.
ClusterName=fleetsimtest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld}
SlurmdPort={slurmd}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={socket}
CredType=cred/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=600
NodeName={node} NodeAddr=127.0.0.1 CPUs={NODE_CPUS} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
",
        socket = munge_socket.display(),
    )
}
