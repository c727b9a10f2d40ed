//! The integration tests of `inversa-learn`, one module per file, built as one test binary: linking each
//! file as a binary of its own against the whole dependency tree (48 of them in the workspace)
//! was most of CI's build time.

mod analytic_posterior;
mod attacks;
mod common;
mod conv2d;
mod deep_cd;
mod denoiser_diffusion;
mod diffusion;
mod diffusion_posterior;
mod diffusion_tasks;
mod explicit_network;
mod federated;
mod ffdnet;
mod fuzz_regressions;
mod idm;
mod inverters;
mod lpn;
mod model_inversion;
mod operator_bridge;
mod pnp;
mod recurrent_varnet;
mod rim;
mod train_config;
mod training;
mod unet;
