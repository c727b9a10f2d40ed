//! Learned components of Inversa, kept out of the core so that it builds without a neural-network
//! library: the bridge that puts any core [`inversa::operators::LinearOperator`] into a candle
//! autodiff graph, pretrained denoisers, and the plug-and-play prior that turns a denoiser into a
//! proximal step for the core solvers; and the loop that trains them ([`training`]).

pub mod adam;
pub mod attacks;
pub mod bias_relu;
pub mod checkpoint;
pub mod conv2d;
pub mod conv2d_relu;
mod conv2d_winograd;
mod conv2d_winograd4;
mod conv2d_winograd4_weight_gradient;
pub mod deep_cd;
pub mod denoiser;
pub mod denoiser_training;
pub mod diffusion;
pub mod dihedral;
pub mod dncnn;
pub mod drunet;
pub mod fashion_classifier;
pub mod fashion_mnist;
pub mod fashion_models;
pub mod federated;
pub mod ffdnet;
pub mod image_folder;
pub mod lbfgs;
pub mod lpn;
pub mod lpn_prior;
pub mod lpn_training;
pub mod lr_schedule;
pub mod mnist_digits;
pub mod operator_bridge;
pub mod pnp;
pub mod registry;
pub mod training;

pub use denoiser::Denoiser;
pub use dncnn::DnCnn;
pub use ffdnet::FfdNet;
