//! The one error type of the protocols.

/// Why a protocol did not produce its report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is out of range or inconsistent with another; `key` is the setting's field name
    /// (the CLI shows it as its flag, `--key`).
    #[error("{key} {message}")]
    Setting { key: String, message: String },
    /// The core library refused an input or a file, or a solver failed.
    #[error(transparent)]
    Core(#[from] inversa::Error),
    /// A learned component (a network, diffusion model or attack) refused an input or failed.
    #[error(transparent)]
    Learn(#[from] inversa_learn::Error),
    /// A network computation failed.
    #[error("network computation failed: {0}")]
    Network(#[from] candle_core::Error),
}

impl Error {
    /// A [`Error::Setting`] for `key`.
    pub fn setting(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Setting {
            key: key.into(),
            message: message.into(),
        }
    }

    /// A core refusal of a value (a [`inversa::Error::Config`], e.g. from [`inversa::memory`]) as
    /// the setting `key`'s; other errors pass through.
    pub fn at_setting(key: impl Into<String>, error: inversa::Error) -> Self {
        match error {
            inversa::Error::Config { message, .. } => Error::setting(key, message),
            other => Error::Core(other),
        }
    }

    /// Whether the error lies in what the caller gave (a setting, a file), rather than in the
    /// computation.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Setting { .. } => true,
            Error::Core(inversa::Error::Solver(_)) => false,
            Error::Core(_) => true,
            Error::Learn(e) => e.is_bad_input(),
            Error::Network(_) => false,
        }
    }
}

/// Refuses the setting `key` when `copies` arrays of `dims`, of `element_bytes` each, would not
/// fit under the memory ceiling ([`inversa::memory`]).
pub fn check_memory(key: &str, dims: &[usize], element_bytes: usize, copies: usize) -> Result<()> {
    inversa::memory::check_array(key, dims, element_bytes, copies)
        .map(|_| ())
        .map_err(|e| Error::at_setting(key, e))
}

/// Result with the protocols' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
