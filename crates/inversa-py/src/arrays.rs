//! NumPy arrays across the boundary without copies: a C-contiguous array of the right dtype is read
//! in place (its buffer borrowed as a slice), and results are NumPy arrays that own the `Vec` Rust
//! computed. The Python half converts anything else (other dtypes, strided views) before calling.

use crate::errors;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{
    Element, IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

/// `x` as a read-only array of `T`, or a `ValueError` naming `argument`.
pub fn borrow<'py, T: Element>(
    x: &Bound<'py, PyAny>,
    argument: &str,
) -> PyResult<PyReadonlyArrayDyn<'py, T>> {
    let array = x.cast::<PyArrayDyn<T>>().map_err(|_| {
        let found = x
            .getattr("dtype")
            .map(|d| d.to_string())
            .unwrap_or_else(|_| "not an array".into());
        errors::value(
            argument,
            format!(
                "expected a NumPy array of {}, found {found}",
                std::any::type_name::<T>()
            ),
        )
    })?;
    Ok(array.readonly())
}

/// The array's buffer, when it is C-contiguous.
pub fn slice<'a, T: Element>(
    array: &'a PyReadonlyArrayDyn<'_, T>,
    argument: &str,
) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|_| errors::value(argument, "expected a C-contiguous array"))
}

/// `data` as a NumPy array of `shape` that owns it (no copy).
pub fn owned<T: Element>(py: Python<'_>, shape: &[usize], data: Vec<T>) -> PyResult<Py<PyAny>> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| errors::value("result", format!("shape {shape:?}: {e}")))?;
    Ok(array.into_pyarray(py).into_any().unbind())
}

/// The shape of an array, for messages.
pub fn shape_of<T: Element>(array: &PyReadonlyArrayDyn<'_, T>) -> Vec<usize> {
    array.shape().to_vec()
}

/// The address of the buffer the native code reads for `x` (float32 or float64, C-contiguous):
/// the zero-copy test compares it with `x.ctypes.data`.
#[pyfunction]
pub fn input_address(x: &Bound<'_, PyAny>) -> PyResult<usize> {
    if let Ok(array) = borrow::<f32>(x, "x") {
        return Ok(slice(&array, "x")?.as_ptr() as usize);
    }
    let array = borrow::<f64>(x, "x")?;
    Ok(slice(&array, "x")?.as_ptr() as usize)
}

/// An error naming `what` when `data` holds a NaN or infinity: a non-finite result is a failed
/// run, never a result.
pub fn check_finite<T: inversa::Real>(data: &[T], what: &str) -> PyResult<()> {
    match data.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "{what} has a non-finite value at index {i}"
        ))),
    }
}

/// Runs `work` on a thread pool of its own with `threads` threads, or on the shared pool of all
/// cores when `None`. Python threads that each pass `threads` run side by side instead of queueing
/// for the shared pool.
pub fn on_threads<R: Send>(threads: Option<usize>, work: impl FnOnce() -> R + Send) -> PyResult<R> {
    match threads {
        None => Ok(work()),
        Some(0) => Err(errors::value("threads", "expected at least 1")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(format!("threads: {e}")))?;
            Ok(pool.install(work))
        }
    }
}
