//! The learned priors a task file can name, in the core's registry format, and the denoisers they
//! can use.

use crate::denoiser::Denoiser;
use crate::ffdnet::FfdNet;
use inversa::operators::EXAMPLE_SHAPE;
use inversa::priors::registry::PriorEntry;
use inversa::priors::Prior;
use inversa::real::Real;
use std::sync::{Arc, OnceLock};

/// Priors added to the core's by this crate.
pub fn priors<T: Real>() -> Vec<PriorEntry<T>> {
    vec![PriorEntry {
        name: "pnp",
        summary: "plug-and-play: a pretrained denoiser (FFDNet) as the prox, σ = √(weight·τ)",
        build: crate::pnp::from_config,
        example,
    }]
}

/// A denoiser by name; the network is loaded once per process and shared.
pub fn denoiser(name: &str) -> candle_core::Result<Arc<dyn Denoiser>> {
    static FFDNET: OnceLock<Arc<FfdNet>> = OnceLock::new();
    match name {
        "ffdnet" => {
            if let Some(net) = FFDNET.get() {
                return Ok(net.clone());
            }
            let net = Arc::new(FfdNet::pretrained_color()?);
            Ok(FFDNET.get_or_init(|| net).clone())
        }
        other => candle_core::bail!("no denoiser named {other:?}; expected \"ffdnet\""),
    }
}

fn example<T: Real>() -> Box<dyn Prior<T>> {
    let denoiser = denoiser("ffdnet").expect("the built-in FFDNet weights load");
    let shape = [1, EXAMPLE_SHAPE[1], EXAMPLE_SHAPE[2]];
    Box::new(
        crate::pnp::DenoiserPrior::<T>::new(denoiser, 1e-3, &shape)
            .expect("FFDNet supports grey images"),
    )
}
