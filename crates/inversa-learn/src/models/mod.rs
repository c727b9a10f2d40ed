//! Trained networks, each a plain struct with a `Config` and a `new(vb, config)` whose keys mirror
//! its safetensors names: the denoisers (DnCNN, DRUNet, FFDNet) behind the [`denoiser::Denoiser`]
//! trait, the Learned Proximal Network, the diffusion UNet, the Fashion-MNIST classifier, the
//! model-inversion GAN, the classifiers that gradient-inversion attacks target ([`victims`]), and
//! the weights compiled into the library ([`bundled`]).

pub mod bundled;
pub mod classifier;
pub mod denoiser;
pub mod dncnn;
pub mod drunet;
pub mod ffdnet;
pub mod gan;
pub mod lpn;
pub mod recurrent_varnet;
pub mod rim;
pub mod unet;
pub mod victims;
