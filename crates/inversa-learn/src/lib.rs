//! Learned components of Inversa, kept out of the core so that it builds without a neural-network
//! library: the bridge that puts any core [`inversa::operators::LinearOperator`] into a candle
//! autodiff graph, pretrained denoisers, and the plug-and-play prior that turns a denoiser into a
//! proximal step for the core solvers; and the loop that trains them ([`training`]).

// No panics on a path user data can reach (issue 17): an unwrap, expect or panic in this crate
// either becomes an error or carries an `#[allow(..., reason)]` saying why it cannot fire. Unit tests
// may unwrap (clippy.toml); integration tests are separate crates and are not linted for it.
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod attacks;
pub mod data;
pub mod diffusion;
mod error;
pub mod federated;
pub mod models;
pub mod nn;
pub mod optim;
pub mod priors;
pub mod solvers;
pub mod training;

pub use error::{Error, Result};
pub use models::denoiser::Denoiser;
pub use models::dncnn::DnCnn;
pub use models::ffdnet::FfdNet;

/// What this crate adds to the task file: the learned priors (`pnp`, `lpn`) and the diffusion
/// samplers (`dps`, `ddnm`, `dds`, `diffpir`, `red-diff` with `prior.kind = "diffusion"`), and the
/// learned MRI reconstructions (`rim`, `recurrent-varnet`).
pub fn task_extensions<T: inversa::real::Real>() -> inversa::task::Extensions<T> {
    inversa::task::Extensions {
        priors: priors::registry::priors(),
        solvers: solvers::diffusion_sampler::entries()
            .into_iter()
            .chain([solvers::rim::entry(), solvers::recurrent_varnet::entry()])
            .collect(),
    }
}
