//! The learned priors a task file can name, in the core's registry format.

use crate::models::bundled;
use inversa::operators::EXAMPLE_SHAPE;
use inversa::priors::registry::PriorEntry;
use inversa::priors::Prior;
use inversa::real::Real;
use std::path::Path;

/// Priors added to the core's by this crate.
pub fn priors<T: Real>() -> Vec<PriorEntry<T>> {
    vec![
        PriorEntry {
            name: "pnp",
            summary: "plug-and-play: a pretrained denoiser (FFDNet, DnCNN, DRUNet) as the prox, σ = √(weight·τ)",
            build: crate::priors::pnp::from_config,
            example,
        },
        PriorEntry {
            name: "lpn",
            summary: "Learned Proximal Network: the exact prox of a learned regulariser (use with admm; rho is its weight)",
            build: crate::priors::lpn::from_config,
            example: lpn_example,
        },
    ]
}

#[allow(
    clippy::expect_used,
    reason = "the self-test example uses the bundled weights on a grey image"
)]
fn lpn_example<T: Real>() -> Box<dyn Prior<T>> {
    let net = bundled::lpn().expect("the bundled LPN weights load");
    let shape = [1, EXAMPLE_SHAPE[1], EXAMPLE_SHAPE[2]];
    Box::new(
        crate::priors::lpn::LpnPrior::<T>::new(net, &shape).expect("the LPN supports grey images"),
    )
}

#[allow(
    clippy::expect_used,
    reason = "the self-test example uses the bundled weights on a grey image"
)]
fn example<T: Real>() -> Box<dyn Prior<T>> {
    let denoiser =
        bundled::denoiser("ffdnet", Path::new(".")).expect("the built-in FFDNet weights load");
    let shape = [1, EXAMPLE_SHAPE[1], EXAMPLE_SHAPE[2]];
    Box::new(
        crate::priors::pnp::DenoiserPrior::<T>::new(denoiser, 1e-3, &shape)
            .expect("FFDNet supports grey images"),
    )
}
