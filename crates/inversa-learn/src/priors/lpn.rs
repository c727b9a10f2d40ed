//! A Learned Proximal Network as the prior of the core solvers (`prior.kind = "lpn"`): PnP-ADMM
//! with an LPN, as in Fang, Buchanan, Sulam (ICLR 2024), where — unlike a generic denoiser — the
//! plugged-in map is exactly the prox of a regulariser `R_θ`, so ADMM minimises a true objective.
//!
//! The network is `prox_{R_θ}` for one fixed `R_θ`; it has no step-size argument. A solver's
//! `prox_{τR}` therefore becomes `prox_{R_θ}` whatever `τ`: with ADMM (`τ = 1/ρ`) the problem
//! solved is `min ½‖Ax − y‖² + ρ·R_θ(x)`, so `rho` is the prior's weight. The objective the
//! solvers report leaves `R_θ` out ([`Prior::value`] is 0): evaluating it means inverting the
//! network (tens of network passes, [`LearnedProximalNetwork::regulariser`]), too slow per
//! iteration.

use crate::models::denoiser::{from_f32, to_f32};
use crate::models::lpn::LearnedProximalNetwork;
use candle_core::{Device, Tensor};
use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::priors::Prior;
use inversa::real::Real;
use inversa::Error;
use std::marker::PhantomData;
use std::sync::Arc;

/// An LPN applied channel by channel to `[C, H, W]` images.
pub struct LpnPrior<T> {
    network: Arc<LearnedProximalNetwork>,
    shape: Vec<usize>,
    precision: PhantomData<fn() -> T>,
}

impl<T: Real> LpnPrior<T> {
    /// The prior for images of `shape` (`[C, H, W]`).
    pub fn new(network: Arc<LearnedProximalNetwork>, shape: &[usize]) -> crate::Result<Self> {
        match shape {
            [_, h, w] if *h >= 3 && *w >= 3 => Ok(Self {
                network,
                shape: shape.to_vec(),
                precision: PhantomData,
            }),
            _ => Err(crate::Error::setting(
                "shape",
                format!("the LPN needs [channels, height, width] images of at least 3×3 pixels, not {shape:?}"),
            )),
        }
    }
}

impl<T: Real> Prior<T> for LpnPrior<T> {
    fn value(&self, _x: &[T]) -> f64 {
        0.0
    }

    #[allow(
        clippy::expect_used,
        reason = "`new` accepted the shape when the task was built"
    )]
    fn prox(&self, v: &[T], _tau: T, out: &mut [T]) {
        let (c, h, w) = (self.shape[0], self.shape[1], self.shape[2]);
        let input = to_f32(v);
        let run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::from_vec(input, (c, 1, h, w), &Device::Cpu)?;
            self.network.prox(&x)?.flatten_all()?.to_vec1::<f32>()
        };
        // `new` accepted the shape when the task was built; a failure here is a bug.
        let clean = run().expect("LPN prox on a supported shape");
        from_f32(&clean, out);
    }
}

/// Builds `prior.kind = "lpn"` from `weights` (a safetensors file written by
/// `inversa train lpn`; default: the bundled grey LPN).
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
) -> inversa::Result<Box<dyn Prior<T>>> {
    let network = match section.path_opt("weights")? {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(|e| {
                Error::config(
                    section.key("weights"),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let network = LearnedProximalNetwork::from_safetensors(&bytes, &path)
                .map_err(|e| Error::config(section.key("weights"), e.to_string()))?;
            Arc::new(network)
        }
        None => crate::models::bundled::lpn()
            .map_err(|e| Error::config(section.key("weights"), e.to_string()))?,
    };
    let prior = LpnPrior::new(network, &ctx.image_shape)
        .map_err(|e| Error::config(section.key("kind"), e.to_string()))?;
    Ok(Box::new(prior))
}
