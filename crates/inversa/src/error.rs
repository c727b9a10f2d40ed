//! Typed errors of the core library.

use std::path::PathBuf;

/// Everything that can go wrong in the core library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but its content is not what was expected.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A configuration value is invalid; `key` is the dotted key path (e.g. `physics.kernel.sigma`).
    #[error("{key}: {message}")]
    Config { key: String, message: String },
    /// An output of the run would replace one of its inputs (see [`crate::io::overlap`]).
    #[error("{path}: {message}")]
    Overlap { path: PathBuf, message: String },
    /// Array shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An iterative method stopped without a usable result.
    #[error(transparent)]
    Solver(#[from] crate::solvers::SolverError),
}

impl Error {
    /// A configuration error for `key`.
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            key: key.into(),
            message: message.into(),
        }
    }

    /// A format error for the file at `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An I/O error for the file at `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
