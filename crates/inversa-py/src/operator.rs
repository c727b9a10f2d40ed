//! Every registered physics as a Python object, built from the same keys as a task file's
//! `[physics]` table (without `noise`, which Python keeps apart, as deepinv does).

use crate::{arrays, convert, errors};
use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::operators::{registry, LinearOperator};
use inversa::real::Real;
use numpy::Element;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;

/// An operator in the precision it was built in.
pub enum Precision {
    F32(Box<dyn LinearOperator<f32>>),
    F64(Box<dyn LinearOperator<f64>>),
}

/// A forward operator with its exact adjoint, on flat C-ordered buffers.
#[pyclass(frozen, module = "inversa._native")]
pub struct Operator {
    pub(crate) inner: Precision,
    /// The physics' task-file name.
    #[pyo3(get)]
    kind: String,
    /// `[channels, height, width]`.
    #[pyo3(get)]
    input_shape: Vec<usize>,
    /// The measurement's shape; complex k-space has a trailing (re, im) axis of 2.
    #[pyo3(get)]
    output_shape: Vec<usize>,
    /// Whether the measurement is complex (k-space), stored as (re, im) pairs.
    #[pyo3(get)]
    complex: bool,
    /// `"float32"` or `"float64"`.
    #[pyo3(get)]
    dtype: &'static str,
}

#[pymethods]
impl Operator {
    /// Builds physics `kind` for images of `shape` (`[channels, height, width]`) from `settings`,
    /// the keys of a task file's `[physics]` table; `seed` draws its random parts (masks, coil
    /// maps, matrices).
    #[new]
    #[pyo3(signature = (kind, shape, settings, seed = 0, dtype = "float32"))]
    fn new(
        kind: &str,
        shape: Vec<usize>,
        settings: &Bound<'_, PyDict>,
        seed: u64,
        dtype: &str,
    ) -> PyResult<Self> {
        if shape.len() != 3 || shape.contains(&0) {
            return Err(errors::value(
                "shape",
                format!("expected (height, width) or (channels, height, width) of positive sizes, found {shape:?}"),
            ));
        }
        inversa::memory::check_array("shape", &shape, 8, 8).map_err(errors::core)?;
        let table = convert::table(settings, "physics")?;
        let ctx = BuildContext {
            image_shape: shape,
            seed,
            raw: None,
        };
        let (inner, complex) = match dtype {
            "float32" => {
                let (op, complex) = build::<f32>(kind, &table, &ctx)?;
                (Precision::F32(op), complex)
            }
            "float64" => {
                let (op, complex) = build::<f64>(kind, &table, &ctx)?;
                (Precision::F64(op), complex)
            }
            other => {
                return Err(errors::value(
                    "dtype",
                    format!("expected \"float32\" or \"float64\", found \"{other}\""),
                ))
            }
        };
        let (input_shape, output_shape) = match &inner {
            Precision::F32(op) => (op.input_shape().to_vec(), op.output_shape().to_vec()),
            Precision::F64(op) => (op.input_shape().to_vec(), op.output_shape().to_vec()),
        };
        Ok(Self {
            inner,
            kind: kind.to_string(),
            input_shape,
            output_shape,
            complex,
            dtype: if dtype == "float32" {
                "float32"
            } else {
                "float64"
            },
        })
    }

    /// `A x` for a C-contiguous array of `input_shape`'s size in the operator's dtype.
    fn apply(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match &self.inner {
            Precision::F32(op) => call(py, op.as_ref(), x, true),
            Precision::F64(op) => call(py, op.as_ref(), x, true),
        }
    }

    /// `A* y` for a C-contiguous array of `output_shape`'s size in the operator's dtype.
    fn adjoint(&self, py: Python<'_>, y: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match &self.inner {
            Precision::F32(op) => call(py, op.as_ref(), y, false),
            Precision::F64(op) => call(py, op.as_ref(), y, false),
        }
    }

    /// Seconds per `A x` over `repeats` applications in a Rust loop (the reference the Python
    /// per-call overhead is measured against in `bench/python_overhead.py`).
    fn time_apply(&self, py: Python<'_>, x: &Bound<'_, PyAny>, repeats: usize) -> PyResult<f64> {
        match &self.inner {
            Precision::F32(op) => time(py, op.as_ref(), x, repeats),
            Precision::F64(op) => time(py, op.as_ref(), x, repeats),
        }
    }

    /// `‖A‖₂` by power iteration on `A*A` from a random start drawn from `seed`.
    #[pyo3(signature = (iterations = 50, seed = 0))]
    fn norm(&self, py: Python<'_>, iterations: usize, seed: u64) -> f64 {
        py.detach(|| match &self.inner {
            Precision::F32(op) => op.norm_estimate(iterations, seed),
            Precision::F64(op) => op.norm_estimate(iterations, seed),
        })
    }
}

/// The registered physics and their one-line summaries.
#[pyfunction]
pub fn physics_kinds() -> Vec<(&'static str, &'static str)> {
    registry::physics::<f64>()
        .iter()
        .map(|e| (e.name, e.summary))
        .collect()
}

fn build<T: Real>(
    kind: &str,
    table: &toml::Table,
    ctx: &BuildContext,
) -> PyResult<(Box<dyn LinearOperator<T>>, bool)> {
    let entry = registry::find::<T>(kind).ok_or_else(|| {
        errors::value(
            "physics.kind",
            format!(
                "expected one of {}, found \"{kind}\"",
                registry::names().join(", ")
            ),
        )
    })?;
    let mut section = Section::new(table, "physics", Path::new("."));
    let physics = (entry.build)(&mut section, ctx).map_err(errors::core)?;
    section.finish().map_err(errors::core)?;
    Ok((physics.operator, physics.display.is_complex()))
}

/// `A x` (`forward`) or `A* y`, with the GIL released while it computes.
fn call<T: Real + Element>(
    py: Python<'_>,
    op: &dyn LinearOperator<T>,
    input: &Bound<'_, PyAny>,
    forward: bool,
) -> PyResult<Py<PyAny>> {
    let (argument, expected, out_shape) = if forward {
        ("x", op.input_shape(), op.output_shape())
    } else {
        ("y", op.output_shape(), op.input_shape())
    };
    let array = arrays::borrow::<T>(input, argument)?;
    let data = arrays::slice(&array, argument)?;
    if data.len() != expected.iter().product::<usize>() {
        return Err(errors::value(
            argument,
            format!(
                "expected shape {expected:?}, found {:?}",
                arrays::shape_of(&array)
            ),
        ));
    }
    let out = py.detach(|| {
        if forward {
            op.apply_new(data)
        } else {
            op.adjoint_new(data)
        }
    });
    arrays::owned(py, out_shape, out)
}

fn time<T: Real + Element>(
    py: Python<'_>,
    op: &dyn LinearOperator<T>,
    x: &Bound<'_, PyAny>,
    repeats: usize,
) -> PyResult<f64> {
    let array = arrays::borrow::<T>(x, "x")?;
    let data = arrays::slice(&array, "x")?;
    if data.len() != op.input_len() || repeats == 0 {
        return Err(errors::value(
            "x",
            "expected the operator's input and repeats > 0",
        ));
    }
    Ok(py.detach(|| {
        let mut y = vec![T::zero(); op.output_len()];
        let start = std::time::Instant::now();
        for _ in 0..repeats {
            op.apply(data, &mut y);
        }
        start.elapsed().as_secs_f64() / repeats as f64
    }))
}
