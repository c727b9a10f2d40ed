//! Reading one table of a task file with clear errors: every read names its dotted key, and
//! [`Section::finish`] rejects keys that nothing asked for, listing the ones that are accepted.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// One TOML table being read, with the keys read so far.
pub struct Section<'a> {
    table: &'a Table,
    prefix: String,
    seen: Vec<&'static str>,
    base_dir: &'a Path,
}

impl<'a> Section<'a> {
    /// Reads `table`, whose dotted name is `prefix` (e.g. `physics.kernel`). Relative paths in it are
    /// resolved against `base_dir` (the task file's folder).
    pub fn new(table: &'a Table, prefix: impl Into<String>, base_dir: &'a Path) -> Self {
        Self {
            table,
            prefix: prefix.into(),
            seen: Vec::new(),
            base_dir,
        }
    }

    /// The dotted name of `key` inside this table.
    pub fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// Whether the user wrote `key` here (to refuse keys that conflict with others).
    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.push(key);
        self.table.get(key)
    }

    fn wrong_type(&self, key: &str, expected: &str, found: &Value) -> Error {
        Error::config(
            self.key(key),
            format!("expected {expected}, found {} `{found}`", found.type_str()),
        )
    }

    /// An optional number (integers are accepted where floats are expected).
    pub fn f64_opt(&mut self, key: &'static str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Float(v)) if v.is_finite() => Ok(Some(*v)),
            Some(Value::Integer(v)) => Ok(Some(*v as f64)),
            Some(v) => Err(self.wrong_type(key, "a finite number", v)),
        }
    }

    /// A number with a default.
    pub fn f64_or(&mut self, key: &'static str, default: f64) -> Result<f64> {
        Ok(self.f64_opt(key)?.unwrap_or(default))
    }

    /// A number with a default that must lie in `[lo, hi]` (`hi_open` excludes `hi`).
    pub fn f64_in(
        &mut self,
        key: &'static str,
        default: f64,
        lo: f64,
        hi: f64,
        hi_open: bool,
    ) -> Result<f64> {
        let v = self.f64_or(key, default)?;
        let ok = v >= lo && if hi_open { v < hi } else { v <= hi };
        if !ok {
            let close = if hi_open { ")" } else { "]" };
            return Err(Error::config(
                self.key(key),
                format!("expected a number in [{lo}, {hi}{close}, found {v}"),
            ));
        }
        Ok(v)
    }

    /// A strictly positive number with a default.
    pub fn positive_or(&mut self, key: &'static str, default: f64) -> Result<f64> {
        let v = self.f64_or(key, default)?;
        if v <= 0.0 {
            return Err(Error::config(
                self.key(key),
                format!("expected a positive number, found {v}"),
            ));
        }
        Ok(v)
    }

    /// A non-negative number with a default.
    pub fn non_negative_or(&mut self, key: &'static str, default: f64) -> Result<f64> {
        let v = self.f64_or(key, default)?;
        if v < 0.0 {
            return Err(Error::config(
                self.key(key),
                format!("expected a number >= 0, found {v}"),
            ));
        }
        Ok(v)
    }

    /// A non-negative integer with a default.
    pub fn usize_or(&mut self, key: &'static str, default: usize) -> Result<usize> {
        Ok(self.usize_opt(key)?.unwrap_or(default))
    }

    /// An optional non-negative integer.
    pub fn usize_opt(&mut self, key: &'static str) -> Result<Option<usize>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(v)) if *v >= 0 => Ok(Some(*v as usize)),
            Some(Value::Integer(v)) => Err(Error::config(
                self.key(key),
                format!("expected an integer >= 0, found {v}"),
            )),
            Some(v) => Err(self.wrong_type(key, "an integer", v)),
        }
    }

    /// A positive integer with a default.
    pub fn positive_usize_or(&mut self, key: &'static str, default: usize) -> Result<usize> {
        let v = self.usize_or(key, default)?;
        if v == 0 {
            return Err(Error::config(
                self.key(key),
                "expected an integer >= 1, found 0",
            ));
        }
        Ok(v)
    }

    /// An optional string.
    pub fn str_opt(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(self.wrong_type(key, "a string", v)),
        }
    }

    /// A string that must be one of `choices`, with a default.
    pub fn choice_or(
        &mut self,
        key: &'static str,
        default: &'static str,
        choices: &[&str],
    ) -> Result<String> {
        let v = self.str_opt(key)?.unwrap_or(default);
        if !choices.contains(&v) {
            return Err(Error::config(
                self.key(key),
                format!(
                    "unknown value \"{v}\"; expected one of: {}",
                    choices.join(", ")
                ),
            ));
        }
        Ok(v.to_string())
    }

    /// A boolean with a default.
    pub fn bool_or(&mut self, key: &'static str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.wrong_type(key, "true or false", v)),
        }
    }

    /// An optional path, resolved against the task file's folder.
    pub fn path_opt(&mut self, key: &'static str) -> Result<Option<PathBuf>> {
        Ok(self.str_opt(key)?.map(|s| self.base_dir.join(s)))
    }

    /// An optional sub-table, read as its own [`Section`].
    pub fn table_opt(&mut self, key: &'static str) -> Result<Option<Section<'a>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(Section::new(t, self.key(key), self.base_dir))),
            Some(v) => Err(self.wrong_type(key, "a table like { kind = \"...\" }", v)),
        }
    }

    /// An optional list of non-negative integers (a shape).
    pub fn usize_list_opt(&mut self, key: &'static str) -> Result<Option<Vec<usize>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::Integer(v) if *v > 0 => Ok(*v as usize),
                    other => Err(self.wrong_type(key, "a list of positive integers", other)),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(self.wrong_type(key, "a list of positive integers", v)),
        }
    }

    /// The folder relative paths are resolved against.
    pub fn base_dir(&self) -> &'a Path {
        self.base_dir
    }

    /// Fails on any key of the table that was not read, naming it and the accepted keys.
    pub fn finish(self) -> Result<()> {
        for key in self.table.keys() {
            if !self.seen.contains(&key.as_str()) {
                let mut accepted: Vec<&str> = self.seen.clone();
                accepted.sort_unstable();
                accepted.dedup();
                return Err(Error::config(
                    self.key(key),
                    format!("unknown key; accepted keys here: {}", accepted.join(", ")),
                ));
            }
        }
        Ok(())
    }
}
