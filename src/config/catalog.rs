//! The hardware catalog: one validated option template per entry (`[trn2]`, `[b200-hgx]`,
//! `[gb200-nvl72]`, `[h100]` in the built-in `configs/catalog.toml`), from which scenario
//! options take every default. Entries are validated on load like scenario options, minus
//! `accelerators` (a scenario decision).

use std::fmt::Write as _;

use super::error::{ConfigError, IssueKind};
use super::job::JobDefaults;
use super::option::{self, Mode};
use super::raw::{self, Issues, Table};
use super::schema;
use super::types::OptionConfig;

/// Text of the built-in catalog.
pub const BUILTIN_CATALOG: &str = include_str!("../../configs/catalog.toml");
/// Origin label of the built-in catalog in messages.
pub const BUILTIN_CATALOG_ORIGIN: &str = "configs/catalog.toml (built-in)";

/// One catalog entry.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    /// Entry name (what `hardware = "..."` refers to).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The entry as a validated option (accelerators 0, no job view).
    pub option: OptionConfig,
    /// Training-job defaults (`[ENTRY.job]`) as `key, value` text.
    pub job_defaults: JobDefaults,
    /// The raw table, merged under scenario overrides.
    pub(crate) raw: Table,
}

/// A validated catalog.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// File the catalog came from.
    pub origin: String,
    /// Entries in written order.
    pub entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// Parses and validates a catalog text; `origin` labels messages.
    pub fn parse(text: &str, origin: &str) -> Result<Catalog, ConfigError> {
        let doc = raw::parse(text, origin)?;
        let mut iss = Issues::default();
        let mut entries = Vec::new();
        for (name, off, node) in &doc.entries {
            let Some(t) = node.table() else {
                iss.at(
                    node,
                    name,
                    IssueKind::WrongType,
                    format!(
                        "expected a table [{name}] describing one hardware entry, got {}",
                        node.described()
                    ),
                );
                continue;
            };
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                iss.at_key(
                    &node.src,
                    *off,
                    name,
                    IssueKind::OutOfRange,
                    "entry names may use only letters, digits, `_` and `-`",
                );
            }
            if !t.has("description") {
                iss.at_key(
                    &node.src,
                    *off,
                    &raw::join(name, "description"),
                    IssueKind::Missing,
                    "missing required field (a string)",
                );
            }
            if let Some((option, job_defaults)) =
                option::read_option(name, name, name, t, &Mode::Catalog, &mut iss)
            {
                entries.push(CatalogEntry {
                    name: name.clone(),
                    description: option.description.clone(),
                    option,
                    job_defaults,
                    raw: t.clone(),
                });
            }
        }
        if entries.is_empty() && iss.is_empty() {
            iss.in_file(origin, "", IssueKind::Missing, "the catalog has no entries");
        }
        if !iss.is_empty() {
            return Err(ConfigError::Invalid(iss.list));
        }
        Ok(Catalog {
            origin: origin.to_string(),
            entries,
        })
    }

    /// Entry names in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The entry called `name`.
    pub fn entry(&self, name: &str) -> Option<&CatalogEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Short listing for `fleetsim catalog`: one line per entry with its headline figures
    /// (medians), and where the full fields are.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "catalog: {}\n", self.origin);
        let _ = writeln!(
            s,
            "{:<14} {:>5} {:>7} {:>9} {:>13} {:>10} {:>8}  description",
            "entry", "chips", "chip W", "BF16 PF", "capex/chip", "USD/chip-h", "classes"
        );
        for e in &self.entries {
            let o = &e.option;
            let med = |k: &str| o.inputs.get(k).median();
            let _ = writeln!(
                s,
                "{:<14} {:>5} {:>7.0} {:>9.3} {:>13.0} {:>10.2} {:>8}  {}",
                e.name,
                o.chips_per_node,
                med("chip_w"),
                med("peak_bf16_pflops"),
                med("server_capex_per_chip_usd"),
                med("on_demand_usd_per_chip_hour"),
                o.classes.len(),
                e.description
            );
        }
        let _ = writeln!(
            s,
            "\n(medians; `fleetsim catalog ENTRY` shows every field, its distribution, unit and range)"
        );
        s
    }

    /// Full listing of one entry: every field with its value, unit and allowed range; `None`
    /// when there is no such entry.
    pub fn entry_listing(&self, name: &str) -> Option<String> {
        let e = self.entry(name)?;
        let mut s = String::new();
        let o = &e.option;
        let _ = writeln!(s, "[{}]  {}  ({})", e.name, e.description, self.origin);
        let _ = writeln!(
            s,
            "  chips_per_node = {}  blast_radius_chips = {}  spare_nodes = {}  facility = {}",
            o.chips_per_node,
            o.blast_radius_chips,
            o.spare_nodes,
            o.facility.name()
        );
        for spec in schema::OPTION_INPUTS {
            let _ = writeln!(
                s,
                "  {:<32} {:<60} [{} .. {}] {}",
                spec.name,
                dist_text(o.inputs.get(spec.name)),
                spec.lo,
                spec.hi,
                spec.unit
            );
        }
        let _ = writeln!(
            s,
            "  {:<32} {:<60} [0 .. 127] days",
            "rma_days",
            dist_text(&o.rma_days)
        );
        for c in &o.classes {
            let _ = writeln!(
                s,
                "  failures.{:<23} {:?}: rate {} per node-day, repair {} h, infant x{} for {} d",
                c.name,
                c.kind,
                dist_text(c.rate_per_node_day()),
                dist_text(&c.repair_hours),
                dist_text(c.inputs.get("infant_multiplier")),
                dist_text(c.inputs.get("infant_days"))
            );
        }
        for (k, v) in &e.job_defaults {
            let _ = writeln!(s, "  job.{k:<28} {v}");
        }
        Some(s)
    }
}

fn dist_text(d: &crate::distributions::Dist) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

/// The built-in catalog (`configs/catalog.toml`, embedded). Panics only if the shipped file is
/// invalid, which a test rules out.
pub fn builtin_catalog() -> Catalog {
    Catalog::parse(BUILTIN_CATALOG, BUILTIN_CATALOG_ORIGIN)
        .unwrap_or_else(|e| panic!("built-in catalog is invalid:\n{e}"))
}
