//! TOML reading that keeps, for every value, the file it came from, its line, and the order in
//! which keys were written (options are compared in the order the user wrote them), plus the
//! error collector that turns bad values into one-line [`Issue`]s with full key paths.

use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, Issue, IssueKind};

/// One source text (a scenario or a catalog) with its line index.
#[derive(Debug)]
pub struct Source {
    /// File name or origin label used in messages.
    pub name: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// A source with no text (values set from the command line or by a plan): every offset is
    /// on line 1.
    pub fn named(name: &str) -> Self {
        Source::new(name, "")
    }

    fn new(name: &str, text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            name: name.to_string(),
            line_starts,
        }
    }

    /// 1-based (line, column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|s| *s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        (line, offset - start + 1)
    }
}

/// A parsed value with its origin.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub v: Val,
    /// Byte offset of the value in its source.
    pub offset: usize,
    /// Where it came from.
    pub src: Arc<Source>,
}

/// A TOML value (owned).
#[derive(Clone, Debug)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer (out-of-range integers are reported as errors when parsing).
    Int(i64),
    /// A float (may be NaN or infinite: TOML allows `nan` and `inf`).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A datetime (never valid in this format; kept for error messages).
    Datetime(String),
    /// An array.
    Array(Vec<Node>),
    /// A table, entries in the order they were written.
    Table(Table),
}

/// A table whose entries keep the written order; each key carries its own node offset.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// `(key, key offset, value)` in written order.
    pub entries: Vec<(String, usize, Node)>,
}

impl Table {
    /// Value of `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.0 == key).map(|e| &e.2)
    }

    /// True if `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (replacing in place, or appending).
    pub fn set(&mut self, key: &str, offset: usize, node: Node) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == key) {
            e.1 = offset;
            e.2 = node;
        } else {
            self.entries.push((key.to_string(), offset, node));
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|e| e.0 != key);
    }

    /// Keys in written order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.0.as_str())
    }
}

impl Node {
    /// Short type name for messages ("a string", "a table", ...).
    pub fn type_name(&self) -> &'static str {
        match &self.v {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a float",
            Val::Bool(_) => "a boolean",
            Val::Datetime(_) => "a date",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }

    /// What was found, for "got ..." in messages: the type and the value as written
    /// (`an integer 5`, `a string "x"`), or only the type for an array or a table, whose
    /// [`Node::show`] is the type already (never "an array an array").
    pub fn described(&self) -> String {
        match &self.v {
            Val::Array(_) | Val::Table(_) => self.type_name().to_string(),
            _ => format!("{} {}", self.type_name(), self.show()),
        }
    }

    /// The value as written, shortened for messages.
    pub fn show(&self) -> String {
        match &self.v {
            Val::Str(s) => format!("{s:?}"),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => super::error::num(*f),
            Val::Bool(b) => b.to_string(),
            Val::Datetime(d) => d.clone(),
            Val::Array(_) => "an array".into(),
            Val::Table(_) => "a table".into(),
        }
    }

    /// The table, if this is one.
    pub fn table(&self) -> Option<&Table> {
        match &self.v {
            Val::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The number, if this is an integer or float.
    pub fn number(&self) -> Option<f64> {
        match &self.v {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.src.line_col(self.offset).0
    }
}

/// Parses `text` (from `name`) into a table, or a [`ConfigError::Syntax`] with line/column.
pub fn parse(text: &str, name: &str) -> Result<Table, ConfigError> {
    let src = Arc::new(Source::new(name, text));
    let doc = DeTable::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| src.line_col(s.start));
        ConfigError::Syntax {
            file: name.to_string(),
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    let mut bad = Vec::new();
    let t = conv_table(doc.get_ref(), &src, &mut bad, "");
    if bad.is_empty() {
        Ok(t)
    } else {
        Err(ConfigError::Invalid(bad))
    }
}

fn conv_table(t: &DeTable<'_>, src: &Arc<Source>, bad: &mut Vec<Issue>, path: &str) -> Table {
    let mut entries: Vec<(String, usize, Node)> = t
        .iter()
        .map(|(k, v)| {
            let key = k.get_ref().to_string();
            let p = join(path, &key);
            let off = k.span().start;
            (key, off, conv(v.get_ref(), v.span().start, src, bad, &p))
        })
        .collect();
    entries.sort_by_key(|e| e.1);
    Table { entries }
}

fn conv(
    v: &DeValue<'_>,
    offset: usize,
    src: &Arc<Source>,
    bad: &mut Vec<Issue>,
    path: &str,
) -> Node {
    let val = match v {
        DeValue::String(s) => Val::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(x) => Val::Int(x),
            Err(_) => {
                bad.push(Issue {
                    file: src.name.clone(),
                    line: Some(src.line_col(offset).0),
                    path: path.to_string(),
                    kind: IssueKind::OutOfRange,
                    message: format!("integer {i} does not fit in 64 bits"),
                });
                Val::Int(0)
            }
        },
        DeValue::Float(f) => Val::Float(f.as_str().parse::<f64>().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(d) => Val::Datetime(d.to_string()),
        DeValue::Array(a) => Val::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| {
                    conv(
                        x.get_ref(),
                        x.span().start,
                        src,
                        bad,
                        &format!("{path}[{i}]"),
                    )
                })
                .collect(),
        ),
        DeValue::Table(t) => Val::Table(conv_table(t, src, bad, path)),
    };
    Node {
        v: val,
        offset,
        src: src.clone(),
    }
}

/// `a.b` (or `b` when `a` is empty).
pub fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Collects issues while a config is read, so that every problem of a file is reported at once.
#[derive(Debug, Default)]
pub struct Issues {
    /// Problems found so far.
    pub list: Vec<Issue>,
}

impl Issues {
    /// Records a problem located at `node`.
    pub fn at(&mut self, node: &Node, path: &str, kind: IssueKind, message: impl Into<String>) {
        self.list.push(Issue {
            file: node.src.name.clone(),
            line: Some(node.line()),
            path: path.to_string(),
            kind,
            message: message.into(),
        });
    }

    /// Records a problem located by a key offset in `src` (for keys whose value is a table).
    pub fn at_key(
        &mut self,
        src: &Arc<Source>,
        offset: usize,
        path: &str,
        kind: IssueKind,
        message: impl Into<String>,
    ) {
        self.list.push(Issue {
            file: src.name.clone(),
            line: Some(src.line_col(offset).0),
            path: path.to_string(),
            kind,
            message: message.into(),
        });
    }

    /// Records a problem with no precise location inside `file`.
    pub fn in_file(&mut self, file: &str, path: &str, kind: IssueKind, message: impl Into<String>) {
        self.list.push(Issue {
            file: file.to_string(),
            line: None,
            path: path.to_string(),
            kind,
            message: message.into(),
        });
    }

    /// Reports every key of `t` not in `known`, suggesting the closest known key.
    pub fn unknown_keys(
        &mut self,
        t: &Table,
        path: &str,
        known: &[&str],
        units: &dyn Fn(&str) -> Option<String>,
    ) {
        for (k, off, node) in &t.entries {
            if known.contains(&k.as_str()) {
                continue;
            }
            let msg = unknown_key_message(k, known, units);
            self.at_key(&node.src, *off, &join(path, k), IssueKind::UnknownKey, msg);
        }
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Unit suffixes stripped (repeatedly) to find a key's stem, so that `repair_days` is
/// recognised as `repair_hours` in the wrong unit.
const UNIT_SUFFIXES: &[&str] = &[
    "_per_chip_day",
    "_per_node_day",
    "_per_chip_hour",
    "_per_gpu_hour",
    "_per_kw_month",
    "_per_mw_year",
    "_per_mw",
    "_per_kw",
    "_per_year",
    "_per_month",
    "_per_day",
    "_per_hour",
    "_per_chip",
    "_usd",
    "_eur",
    "_kwh",
    "_mwh",
    "_kw",
    "_mw",
    "_w",
    "_watts",
    "_years",
    "_months",
    "_weeks",
    "_days",
    "_hours",
    "_minutes",
    "_seconds",
    "_ms",
    "_h",
    "_s",
    "_pflops",
    "_tflops",
    "_fraction",
    "_percent",
    "_pct",
];

/// The key with its unit suffixes removed.
pub fn stem(key: &str) -> &str {
    let mut s = key;
    loop {
        match UNIT_SUFFIXES
            .iter()
            .find(|suf| s.len() > suf.len() && s.ends_with(*suf))
        {
            Some(suf) => s = &s[..s.len() - suf.len()],
            None => return s,
        }
    }
}

/// Levenshtein distance in characters, the measure behind every "did you mean" suggestion
/// (`strsim`, already a dependency of clap).
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// "unknown key; did you mean ...?" with the wrong-unit special case.
pub fn unknown_key_message(
    key: &str,
    known: &[&str],
    units: &dyn Fn(&str) -> Option<String>,
) -> String {
    let norm = key.replace('-', "_").to_lowercase();
    if norm != key && known.contains(&norm.as_str()) {
        return format!("unknown key; did you mean `{norm}`? (keys are snake_case)");
    }
    let st = stem(&norm);
    if let Some(k) = known.iter().find(|k| stem(k) == st && **k != norm) {
        let unit = units(k).map(|u| format!(" ({u})")).unwrap_or_default();
        return format!("unknown key: wrong unit: this field is `{k}`{unit}");
    }
    let best = known
        .iter()
        .map(|k| (edit_distance(&norm, k), *k))
        .min_by_key(|x| x.0);
    match best {
        Some((d, k)) if d <= (k.len() / 3).max(2) => {
            format!("unknown key; did you mean `{k}`?")
        }
        _ => format!("unknown key; known keys here: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_suggestions() {
        assert_eq!(stem("repair_days"), "repair");
        assert_eq!(stem("ops_usd_per_mw_year"), "ops");
        let none = |_: &str| None;
        let m = unknown_key_message("repair_days", &["kind", "repair_hours"], &none);
        assert!(
            m.contains("wrong unit") && m.contains("repair_hours"),
            "{m}"
        );
        let m = unknown_key_message("utilisation_mean", &["utilization_mean", "mfu"], &none);
        assert!(m.contains("did you mean `utilization_mean`"), "{m}");
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "pue"), 3);
        assert_eq!(edit_distance("spare_nodes", "spare_nodes"), 0);
        // Characters, not bytes: one substitution.
        assert_eq!(edit_distance("utilisätion", "utilisation"), 1);
    }

    #[test]
    fn keeps_written_order() {
        let t = parse("[b]\nx=1\n[a]\ny=2\n", "t.toml").unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(
            t.get("a")
                .unwrap()
                .table()
                .unwrap()
                .get("y")
                .unwrap()
                .line(),
            4
        );
    }
}
