//! Python keyword arguments and dicts to the TOML tables the task-file parser reads, so that a
//! Python call and a task file go through the same keys, defaults and error messages.

use crate::errors;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A dict of settings (`None` values left out, as if not given) as a TOML table; `context` is
/// the dotted key the table stands for, named in errors.
pub fn table(dict: &Bound<'_, PyDict>, context: &str) -> PyResult<toml::Table> {
    let mut table = toml::Table::new();
    for (key, value) in dict.iter() {
        let key: String = key
            .extract()
            .map_err(|_| errors::value(context, format!("keys must be strings, found {key}")))?;
        if value.is_none() {
            continue;
        }
        let dotted = dotted(context, &key);
        table.insert(key, to_toml(&value, &dotted)?);
    }
    Ok(table)
}

fn dotted(context: &str, key: &str) -> String {
    if context.is_empty() {
        key.to_string()
    } else {
        format!("{context}.{key}")
    }
}

/// One Python value as TOML: bool, int, float, str, a path, a list or tuple, a dict, or a NumPy
/// scalar.
fn to_toml(value: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    // bool first: Python's bool is an int.
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        let v: i64 = value
            .extract()
            .map_err(|_| errors::value(key, format!("{value} does not fit in 64 bits")))?;
        return Ok(toml::Value::Integer(v));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(value.extract()?));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(toml::Value::Table(table(dict, key)?));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<toml::Value>> = value
            .try_iter()?
            .enumerate()
            .map(|(i, item)| to_toml(&item?, &format!("{key}[{i}]")))
            .collect();
        return Ok(toml::Value::Array(items?));
    }
    if let Ok(path) = value.extract::<std::path::PathBuf>() {
        return Ok(toml::Value::String(path.to_string_lossy().into_owned()));
    }
    // NumPy scalars and other numbers: an integer if it is one exactly, else a float.
    if let Ok(v) = value
        .call_method0("__index__")
        .and_then(|i| i.extract::<i64>())
    {
        return Ok(toml::Value::Integer(v));
    }
    if let Ok(v) = value
        .call_method0("__float__")
        .and_then(|f| f.extract::<f64>())
    {
        return Ok(toml::Value::Float(v));
    }
    Err(errors::value(
        key,
        format!(
            "expected a number, string, bool, list or dict, found {}",
            value.get_type().name()?
        ),
    ))
}
