//! Learned components of Inversa, kept out of the core so that it builds without a neural-network
//! library: the bridge that puts any core [`inversa::operators::LinearOperator`] into a candle
//! autodiff graph, pretrained denoisers, and the plug-and-play prior that turns a denoiser into a
//! proximal step for the core solvers.

pub mod conv2d;
mod conv2d_winograd;
pub mod denoiser;
pub mod ffdnet;
pub mod lpn;
pub mod operator_bridge;
pub mod pnp;
pub mod registry;

pub use denoiser::Denoiser;
pub use ffdnet::FfdNet;
