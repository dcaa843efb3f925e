//! Scenario variants for sweeps, sensitivity and spares planning: a base scenario document
//! with values set at key paths (`options.trn2.utilization_mean`, `environment.usd_per_kwh`),
//! re-validated in full, so a variant can never be a scenario the loader would reject.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::catalog::{Catalog, builtin_catalog};
use super::error::{ConfigError, Issue, IssueKind};
use super::raw::{self, Node, Source, Table, Val};
use super::scenario;
use super::types::Scenario;

/// A parsed, not yet validated scenario document with its catalog: the base that variants
/// are built from. Parsing once and re-validating per variant keeps file and line numbers of
/// the base in every error.
#[derive(Clone, Debug)]
pub struct BaseScenario {
    doc: Table,
    origin: String,
    catalog: Catalog,
}

/// One value to set in a variant: the key path and the value, with the place it came from
/// (a sweep file's axis, a command-line flag) so errors about it name that place.
#[derive(Clone, Debug)]
pub struct Override {
    /// Dotted key path from the document root, e.g. `options.trn2.spare_nodes`.
    pub path: String,
    /// The value; its `src` and `offset` locate it for error messages.
    pub node: Node,
}

impl Override {
    /// A numeric value set from `origin` (e.g. `sweep.toml` and the axis line), written as an
    /// integer when it is one so integer fields accept it.
    pub fn number(path: &str, value: f64, origin: &Arc<Source>, offset: usize) -> Self {
        let v = if value.fract() == 0.0 && value.is_finite() && value.abs() < 9.0e15 {
            Val::Int(value as i64)
        } else {
            Val::Float(value)
        };
        Override {
            path: path.to_string(),
            node: Node {
                v,
                offset,
                src: origin.clone(),
            },
        }
    }
}

impl BaseScenario {
    /// Reads a scenario file (and its `[scenario] catalog`, relative to it) without validating
    /// the options yet; syntax errors are reported here.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: origin.clone(),
            source: e,
        })?;
        Self::from_str(&text, &origin)
    }

    /// Parses scenario text; `origin` labels messages and anchors a relative `catalog` path.
    pub fn from_str(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let doc = raw::parse(text, origin)?;
        let catalog = catalog_for(&doc, origin)?;
        Ok(BaseScenario {
            doc,
            origin: origin.to_string(),
            catalog,
        })
    }

    /// The built-in default scenario (configs/default.toml).
    pub fn builtin_default() -> Self {
        Self::from_str(super::DEFAULT_SCENARIO, super::DEFAULT_ORIGIN)
            .unwrap_or_else(|e| panic!("built-in default scenario is invalid:\n{e}"))
    }

    /// Where the base came from, for messages and manifests.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The value written at `path` in the base document, if any (catalog defaults are not
    /// seen here: they are merged during validation).
    pub fn get(&self, path: &str) -> Option<&Node> {
        let mut parts = path.split('.');
        let mut node = self.doc.get(parts.next()?)?;
        for p in parts {
            node = node.table()?.get(p)?;
        }
        Some(node)
    }

    /// The base scenario itself, validated.
    pub fn build(&self) -> Result<Scenario, ConfigError> {
        scenario::build(&self.doc, &self.origin, &self.catalog)
    }

    /// The base with `sets` applied in order, validated. A path through a value that is not a
    /// table, or a path the scenario format does not know, is an error naming the override's
    /// origin and the path; an out-of-range value gets the field's usual range message.
    ///
    /// Setting one unit of a failure rate (`rate_per_chip_day`) removes the other
    /// (`rate_per_node_day`) written in the same class table, as the catalog merge does.
    pub fn with(&self, sets: &[Override]) -> Result<Scenario, ConfigError> {
        let mut doc = self.doc.clone();
        let mut issues = Vec::new();
        for s in sets {
            if let Err(message) = set_path(&mut doc, s) {
                issues.push(Issue {
                    file: s.node.src.name.clone(),
                    line: Some(s.node.line()),
                    path: s.path.clone(),
                    kind: IssueKind::UnknownKey,
                    message,
                });
            }
        }
        if !issues.is_empty() {
            return Err(ConfigError::Invalid(issues));
        }
        scenario::build(&doc, &self.origin, &self.catalog)
    }
}

/// The catalog a scenario document names (`[scenario] catalog`, relative to `origin`), or
/// the built-in one.
pub(super) fn catalog_for(doc: &Table, origin: &str) -> Result<Catalog, ConfigError> {
    let Some(n) = doc
        .get("scenario")
        .and_then(Node::table)
        .and_then(|t| t.get("catalog"))
    else {
        return Ok(builtin_catalog());
    };
    let Val::Str(rel) = &n.v else {
        return Err(ConfigError::Invalid(vec![Issue {
            file: origin.to_string(),
            line: Some(n.line()),
            path: "scenario.catalog".into(),
            kind: IssueKind::WrongType,
            message: format!("expected a path string, got {}", n.show()),
        }]));
    };
    let dir = Path::new(origin)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let p: PathBuf = dir.join(rel);
    let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Io {
        file: p.display().to_string(),
        source: e,
    })?;
    Catalog::parse(&text, &p.display().to_string())
}

/// The other unit of a failure-rate key, which a set of one unit removes.
fn other_rate_unit(key: &str) -> Option<&'static str> {
    match key {
        "rate_per_chip_day" => Some("rate_per_node_day"),
        "rate_per_node_day" => Some("rate_per_chip_day"),
        _ => None,
    }
}

/// Sets `s.path` in `doc`, creating missing tables on the way; an error says why not.
fn set_path(doc: &mut Table, s: &Override) -> Result<(), String> {
    let parts: Vec<&str> = s.path.split('.').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(format!(
            "`{}` is not a key path (dot-separated keys, e.g. options.trn2.utilization_mean)",
            s.path
        ));
    }
    let (last, tables) = parts.split_last().expect("split yields at least one part");
    let mut t = doc;
    let mut walked = String::new();
    for p in tables {
        walked = raw::join(&walked, p);
        if !t.has(p) {
            let empty = Node {
                v: Val::Table(Table::default()),
                offset: s.node.offset,
                src: s.node.src.clone(),
            };
            t.set(p, s.node.offset, empty);
        }
        let node = t
            .entries
            .iter_mut()
            .find(|e| e.0 == *p)
            .map(|e| &mut e.2)
            .expect("present: just checked or inserted");
        if node.table().is_none() {
            return Err(format!(
                "cannot set `{}`: `{walked}` is {}, not a table",
                s.path,
                node.described()
            ));
        }
        let Val::Table(inner) = &mut node.v else {
            unreachable!("checked to be a table above")
        };
        t = inner;
    }
    if let Some(other) = other_rate_unit(last) {
        t.remove(other);
    }
    t.set(last, s.node.offset, s.node.clone());
    Ok(())
}

/// A source for values that do not come from a file (command-line flags, built-in plans).
pub fn synthetic_source(name: &str) -> Arc<Source> {
    Arc::new(Source::named(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distributions::Dist;

    fn sweep_src() -> Arc<Source> {
        synthetic_source("sweep.toml")
    }

    fn set(path: &str, v: f64) -> Override {
        Override::number(path, v, &sweep_src(), 0)
    }

    #[test]
    fn sets_environment_and_option_fields() {
        let base = BaseScenario::builtin_default();
        let s = base
            .with(&[
                set("environment.usd_per_kwh", 0.2),
                set("options.trn2.spare_nodes", 40.0),
                set("options.b200.utilization_mean", 0.6),
            ])
            .expect("valid variant");
        assert_eq!(
            s.environment.inputs.get("usd_per_kwh"),
            &Dist::Fixed { value: 0.2 }
        );
        let trn2 = &s.options[0];
        assert_eq!(trn2.spare_nodes, 40);
        assert_eq!(
            s.options[1].inputs.get("utilization_mean"),
            &Dist::Fixed { value: 0.6 }
        );
        // The base is untouched: a variant is a copy.
        let b = base.build().expect("base");
        assert_eq!(b.options[0].spare_nodes, 0);
        assert_ne!(
            b.environment.inputs.get("usd_per_kwh"),
            &Dist::Fixed { value: 0.2 }
        );
        // Spares come out of the same capital budget, so the fleet shrinks.
        assert!(trn2.accelerators < b.options[0].accelerators);
    }

    #[test]
    fn failure_rate_in_either_unit_replaces_the_class_rate() {
        let base = BaseScenario::builtin_default();
        let b = base.build().expect("base");
        let class = b.options[0].classes[0].name.clone();
        let chips = b.options[0].chips_per_node as f64;
        let path = format!("options.trn2.failures.{class}.rate_per_chip_day");
        let s = base.with(&[set(&path, 1e-3)]).expect("variant");
        assert_eq!(
            *s.options[0].classes[0].rate_per_node_day(),
            Dist::Fixed {
                value: 1e-3 * chips
            }
        );
        let path = format!("options.trn2.failures.{class}.rate_per_node_day");
        let s2 = base
            .with(&[set(&path.replace("node", "chip"), 1e-3), set(&path, 5e-3)])
            .expect("the node rate replaces the chip rate");
        assert_eq!(
            *s2.options[0].classes[0].rate_per_node_day(),
            Dist::Fixed { value: 5e-3 }
        );
    }

    #[test]
    fn bad_paths_and_values_name_the_override_origin() {
        let base = BaseScenario::builtin_default();
        let e = base
            .with(&[set("options.trn2.utilisation_mean", 0.5)])
            .expect_err("unknown key");
        let text = e.to_string();
        assert!(e.has(IssueKind::UnknownKey), "{text}");
        assert!(text.contains("sweep.toml"), "{text}");
        assert!(text.contains("options.trn2.utilisation_mean"), "{text}");

        let e = base
            .with(&[set("options.trn2.spare_nodes.count", 3.0)])
            .expect_err("through a scalar");
        assert!(e.to_string().contains("not a table"), "{e}");

        let e = base
            .with(&[set("options.trn2.utilization_mean", 1.5)])
            .expect_err("out of range");
        assert!(e.has(IssueKind::OutOfRange), "{e}");
        assert!(e.to_string().contains("sweep.toml"), "{e}");

        let e = base
            .with(&[set("options.trn2.spare_nodes", 2.5)])
            .expect_err("integer field");
        assert!(e.to_string().contains("options.trn2.spare_nodes"), "{e}");

        let e = base
            .with(&[set("environment..x", 1.0)])
            .expect_err("empty key");
        assert!(e.to_string().contains("not a key path"), "{e}");
    }

    #[test]
    fn get_reads_written_values_only() {
        let base = BaseScenario::builtin_default();
        assert_eq!(
            base.get("options.trn2.spare_nodes").and_then(Node::number),
            Some(0.0)
        );
        assert!(base.get("options.trn2.utilization_mean").is_none());
    }
}
