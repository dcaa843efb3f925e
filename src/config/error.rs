//! Config errors: one typed error whose every line names the file, the full key path, what was
//! allowed and what was found, so a user can fix a scenario without reading the source.

use std::fmt;

/// What kind of mistake an [`Issue`] reports (for programs and tests; the message is for people).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A key that the format does not know (the message suggests the closest known key).
    UnknownKey,
    /// A required key is absent.
    Missing,
    /// A value of the wrong TOML type (string where a number is expected, ...).
    WrongType,
    /// A number outside its allowed range, or NaN / infinite.
    OutOfRange,
    /// A distribution whose parameters are inconsistent, or that puts too much mass outside
    /// the field's range.
    BadDistribution,
    /// A `dist = "..."` kind that does not exist.
    UnknownDist,
    /// A `hardware = "..."` that names no catalog entry.
    UnknownHardware,
    /// Values that are fine alone but impossible together.
    Conflict,
    /// Too many options, failure classes or correlated inputs.
    TooMany,
    /// A correlation block that is wrong (unknown input, |rho| > 1, not positive definite).
    Correlation,
}

/// One problem found in a config file, displayed as one line:
/// `FILE: KEY.PATH: MESSAGE (line N)` (`FILE: MESSAGE` for the file as a whole, whose path is
/// empty).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Issue {
    /// File (or origin label) the offending value came from.
    pub file: String,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Full dotted key path, e.g. `options.trn2.failures.hbm.rate_per_chip_day`.
    pub path: String,
    /// Kind of mistake.
    pub kind: IssueKind,
    /// What is allowed and what was found.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A problem with the file as a whole (an empty catalog) has no key path: no empty
        // field between the colons.
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)?;
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)?;
        }
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        Ok(())
    }
}

/// Why a scenario or catalog could not be loaded. `Display` is one line per problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// Path as given.
        file: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML.
    #[error("{file}:{line}:{column}: not valid TOML: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The TOML parser's message.
        message: String,
    },
    /// The TOML is well-formed but breaks the format's rules; every problem found is listed.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<Issue>),
}

fn join_lines(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    /// The individual problems (empty for I/O and syntax errors).
    pub fn issues(&self) -> &[Issue] {
        match self {
            ConfigError::Invalid(v) => v,
            _ => &[],
        }
    }

    /// True if any problem is of `kind`.
    pub fn has(&self, kind: IssueKind) -> bool {
        self.issues().iter().any(|i| i.kind == kind)
    }
}

/// Formats a number compactly for messages: as written when short, else rounded to six
/// significant digits; scientific for very large or small magnitudes.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e9).contains(&a) {
        return format!("{v:e}");
    }
    let plain = format!("{v}");
    if plain.len() <= 10 {
        return plain;
    }
    let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
    let r = format!("{v:.decimals$}");
    if r.contains('.') {
        r.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(-1.0), "-1");
        assert_eq!(num(0.0625), "0.0625");
        assert_eq!(num(285013.3333333334), "285013");
        assert_eq!(num(53.665631459994955), "53.6656");
        assert_eq!(num(2e-5), "2e-5");
        assert_eq!(num(500000000.0), "500000000");
    }
}
