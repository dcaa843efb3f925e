//! `fleetsim report OUT_DIR` and the `--report` flag of the commands that write result
//! folders: glue between the command line and [`crate::report`] (which builds the page from
//! the folder's files alone, so both ways give the same page).

use std::path::PathBuf;

use super::{CliError, OutputArgs};
use crate::report::{self, ReportError};

/// Options of `fleetsim report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A result folder written by `fleetsim run`, `sweep`, `sensitivity` or `spares` with `--out`.
    pub dir: PathBuf,
    /// Write the page here instead of OUT_DIR/report.html.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing report file.
    #[arg(long)]
    pub force: bool,
    /// Print nothing on success.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Bad input (a folder that is not a result folder, a refused overwrite) exits 2; a failed
/// write exits 1.
fn cli_error(e: ReportError) -> CliError {
    match e {
        e @ (ReportError::Load(_) | ReportError::Exists(_)) => CliError::input(e.to_string()),
        ReportError::Export(e) => super::export_error(e),
        e @ ReportError::Io { .. } => CliError::runtime(e.to_string()),
    }
}

/// `fleetsim report OUT_DIR [--out FILE] [--force]`.
pub fn report(args: &ReportArgs) -> Result<(), CliError> {
    let path = report::write(&args.dir, args.out.as_deref(), args.force).map_err(cli_error)?;
    if !args.quiet {
        say!("wrote {}", path.display());
    }
    Ok(())
}

/// Before a command simulates: with `--report`, refuses (exit 2) when report.html exists in the
/// result folder and `--force` is not given, so nothing runs only to be refused at the end.
pub(crate) fn check(output: &OutputArgs) -> Result<(), CliError> {
    if let (true, Some(dir)) = (output.report, &output.out) {
        report::check_target(&report::target(dir, None), output.force).map_err(cli_error)?;
    }
    Ok(())
}

/// After a command committed its result files to `out`: with `--report`, builds report.html
/// from them and commits it too.
pub(crate) fn after_write(
    output: &OutputArgs,
    out: &mut crate::export::OutputDir,
) -> Result<(), CliError> {
    if output.report {
        let path = report::stage(out).map_err(cli_error)?;
        out.commit().map_err(super::export_error)?;
        if !output.quiet {
            eprintln!("fleetsim: wrote {}", path.display());
        }
    }
    Ok(())
}
