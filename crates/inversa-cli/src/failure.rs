//! The CLI's one error type: bad input (exit 2) or a failed computation (exit 1), with the
//! helpers every command uses to make them.

use anyhow::anyhow;

/// Why the command failed, which decides the exit code.
pub enum Failure {
    BadInput(anyhow::Error),
    Reconstruction(anyhow::Error),
}

impl From<inversa::Error> for Failure {
    fn from(error: inversa::Error) -> Self {
        match error {
            inversa::Error::Solver(_) => Failure::Reconstruction(error.into()),
            other => Failure::BadInput(other.into()),
        }
    }
}

/// Bad settings, files and data are bad input; a failing network or a diverging loss is a
/// failed run. (Training's setting messages already name their flag.)
impl From<inversa_learn::Error> for Failure {
    fn from(error: inversa_learn::Error) -> Self {
        match error {
            inversa_learn::Error::Input(e) => e.into(),
            other if other.is_bad_input() => Failure::BadInput(other.into()),
            other => Failure::Reconstruction(other.into()),
        }
    }
}

impl From<inversa_lab::Error> for Failure {
    fn from(error: inversa_lab::Error) -> Self {
        match error {
            inversa_lab::Error::Setting { key, message } => {
                bad(format!("--{} {message}", key.replace('_', "-")))
            }
            other if other.is_bad_input() => Failure::BadInput(other.into()),
            other => Failure::Reconstruction(other.into()),
        }
    }
}

/// Bad input, with `message`.
pub fn bad(message: impl std::fmt::Display) -> Failure {
    Failure::BadInput(anyhow!("{message}"))
}
