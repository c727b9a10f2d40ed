//! The one error type of the learned components: networks, diffusion, attacks and training.

/// Why a learned component could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file, folder or value the caller gave is not what the method needs (the core's readers
    /// and checks name the file or key).
    #[error(transparent)]
    Input(#[from] inversa::Error),
    /// A setting is out of range or contradicts another or a checkpoint; `key` is its field name
    /// (the message names it as a flag where the CLI sets it that way).
    #[error("{message}")]
    Setting { key: &'static str, message: String },
    /// The network failed to run.
    #[error("network: {0}")]
    Network(#[from] candle_core::Error),
    /// Training's loss became NaN or infinite.
    #[error("the loss is {loss} at step {step}; try a lower learning rate")]
    Diverged { step: usize, loss: f32 },
}

impl Error {
    /// A [`Error::Setting`] for `key`.
    pub fn setting(key: &'static str, message: impl Into<String>) -> Self {
        Error::Setting {
            key,
            message: message.into(),
        }
    }

    /// Whether the error lies in what the caller gave (a setting, a file) rather than in the
    /// computation.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Input(inversa::Error::Solver(_)) => false,
            Error::Input(_) | Error::Setting { .. } => true,
            Error::Network(_) | Error::Diverged { .. } => false,
        }
    }
}

/// Result with the learned components' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
