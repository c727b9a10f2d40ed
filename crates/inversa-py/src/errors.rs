//! Errors cross into Python as the exception a Python user expects, with the CLI's message (which
//! names the key or file and what was expected): a missing file is `FileNotFoundError`, a key
//! nothing reads is `KeyError`, a bad value or shape is `ValueError`, a failed computation is
//! `RuntimeError`.

use pyo3::exceptions::{PyFileNotFoundError, PyKeyError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::PyErr;

/// The Python exception for a core error.
pub fn core(error: inversa::Error) -> PyErr {
    let message = error.to_string();
    match &error {
        inversa::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(message)
        }
        inversa::Error::Io { .. } | inversa::Error::Overlap { .. } => PyOSError::new_err(message),
        inversa::Error::Config { message: m, .. } if m.starts_with("unknown key") => {
            PyKeyError::new_err(message)
        }
        inversa::Error::Config { .. }
        | inversa::Error::Format { .. }
        | inversa::Error::Shape(_) => PyValueError::new_err(message),
        inversa::Error::Solver(_) => PyRuntimeError::new_err(message),
    }
}

/// The Python exception for an error of the learned models.
pub fn learn(error: inversa_learn::Error) -> PyErr {
    match error {
        inversa_learn::Error::Input(error) => core(error),
        inversa_learn::Error::Setting { .. } => PyValueError::new_err(error.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// The Python exception for an error of an experiment or a diffusion inversion.
pub fn lab(error: inversa_lab::Error) -> PyErr {
    match error {
        inversa_lab::Error::Core(error) => core(error),
        inversa_lab::Error::Learn(error) => learn(error),
        inversa_lab::Error::Setting { .. } => PyValueError::new_err(error.to_string()),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// A `ValueError` naming the argument.
pub fn value(argument: &str, message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{argument}: {message}"))
}
