//! `run_task`: a task file (or the same keys as a dict) run as the CLI runs it, returning its
//! metrics and arrays instead of (or as well as) writing its outputs.

use crate::solve::ask;
use crate::{arrays, convert, errors};
use inversa::report::outputs::{guard, metrics_json, write_outputs};
use inversa::task::{Precision, Step, Task, TaskFile};
use inversa::Control;
use numpy::Element;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::{Path, PathBuf};

/// Runs the task file at `path`; with `out`, also writes the CLI's outputs there. Returns
/// `{"metrics": ..., "reconstruction": ..., "initial": ..., "measurement": ...,
/// "ground_truth": ... (when known), "history": {"objective": [...], "psnr": [...]}}`.
#[pyfunction]
#[pyo3(signature = (path, out = None, callback = None))]
pub fn run_task_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    out: Option<PathBuf>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let file = TaskFile::read(&path).map_err(errors::core)?;
    run(py, file, out, callback)
}

/// Runs a task given as a dict with the task file's tables (`{"data": {...}, "physics": {...},
/// ...}`); relative paths in it are resolved against `base_dir`.
#[pyfunction]
#[pyo3(signature = (task, base_dir, out = None, callback = None))]
pub fn run_task_table<'py>(
    py: Python<'py>,
    task: &Bound<'py, PyDict>,
    base_dir: PathBuf,
    out: Option<PathBuf>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let table = convert::table(task, "")?;
    // The TOML text is what the report shows as the task, and what precision is read from.
    let text = toml::to_string(&table).map_err(|e| errors::value("task", e))?;
    let file = TaskFile::parse(text, &base_dir.join("task.toml")).map_err(errors::core)?;
    run(py, file, out, callback)
}

fn run(
    py: Python<'_>,
    file: TaskFile,
    out: Option<PathBuf>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'_, PyDict>> {
    match file.precision().map_err(errors::core)? {
        Precision::F32 => run_in::<f32>(py, &file, out, callback),
        Precision::F64 => run_in::<f64>(py, &file, out, callback),
    }
}

fn run_in<'py, T: inversa::Real + Element>(
    py: Python<'py>,
    file: &TaskFile,
    out: Option<PathBuf>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let extensions = inversa_learn::task_extensions::<T>();
    let task: Task<T> = py
        .detach(|| file.build(&extensions))
        .map_err(errors::core)?;
    if let Some(dir) = &out {
        guard(&task, dir).check().map_err(errors::core)?;
    }
    let shape = task.image_shape.clone();
    let mut callback_error = None;
    let mut progress = |step: &Step<T>| match &callback {
        None => Control::Continue,
        Some(callback) => ask(callback, &mut callback_error, |py| {
            let x = arrays::owned(py, &shape, step.iteration.x.to_vec())?;
            (step.iteration.index, step.iteration.objective, step.psnr, x).into_pyobject(py)
        }),
    };
    let outcome = py.detach(|| task.run(&mut progress));
    if let Some(error) = callback_error {
        return Err(error);
    }
    let outcome = outcome.map_err(errors::core)?;
    arrays::check_finite(&outcome.reconstruction, "the reconstruction")?;
    let metrics = metrics_json(&task, &outcome, Path::new("metrics.json")).map_err(errors::core)?;
    if let Some(dir) = &out {
        py.detach(|| write_outputs(dir, &task, &outcome))
            .map_err(errors::core)?;
    }
    let result = PyDict::new(py);
    let json = py.import("json")?;
    result.set_item("metrics", json.call_method1("loads", (metrics,))?)?;
    let shape = &task.image_shape;
    result.set_item(
        "reconstruction",
        arrays::owned(py, shape, outcome.reconstruction)?,
    )?;
    result.set_item("initial", arrays::owned(py, shape, outcome.initial)?)?;
    let measurement_shape = task.physics.operator.output_shape();
    result.set_item(
        "measurement",
        arrays::owned(py, measurement_shape, task.measurement.clone())?,
    )?;
    if let Some(truth) = task.ground_truth.clone() {
        result.set_item("ground_truth", arrays::owned(py, shape, truth)?)?;
    }
    if let Some(spread) = outcome.info.spread {
        result.set_item("std", arrays::owned(py, shape, spread)?)?;
    }
    let history = PyDict::new(py);
    history.set_item("objective", outcome.history.objective)?;
    history.set_item("psnr", outcome.history.psnr)?;
    history.set_item("relative_change", outcome.history.relative_change)?;
    result.set_item("history", history)?;
    result.set_item("complex_measurement", task.physics.display.is_complex())?;
    Ok(result)
}
