//! The learned priors a task file can name, in the core's registry format, and the denoisers they
//! can use.

use crate::denoiser::Denoiser;
use crate::dncnn::DnCnn;
use crate::ffdnet::FfdNet;
use inversa::operators::EXAMPLE_SHAPE;
use inversa::priors::registry::PriorEntry;
use inversa::priors::Prior;
use inversa::real::Real;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Priors added to the core's by this crate.
pub fn priors<T: Real>() -> Vec<PriorEntry<T>> {
    vec![PriorEntry {
        name: "pnp",
        summary:
            "plug-and-play: a pretrained denoiser (FFDNet, DnCNN) as the prox, σ = √(weight·τ)",
        build: crate::pnp::from_config,
        example,
    }]
}

/// A denoiser by name: `"ffdnet"` (the pretrained colour FFDNet), `"dncnn"` (the bundled grey
/// DnCNN), or a path (relative to `base_dir`) to DnCNN weights written by `inversa train denoiser`.
/// The built-in networks are loaded once per process and shared.
pub fn denoiser(name: &str, base_dir: &Path) -> Result<Arc<dyn Denoiser>, String> {
    static FFDNET: OnceLock<Arc<FfdNet>> = OnceLock::new();
    static DNCNN: OnceLock<Arc<DnCnn>> = OnceLock::new();
    match name {
        "ffdnet" => shared(&FFDNET, || {
            FfdNet::pretrained_color().map_err(|e| e.to_string())
        }),
        "dncnn" => shared(&DNCNN, || {
            DnCnn::pretrained_grey().map_err(|e| e.to_string())
        }),
        path if path.ends_with(".safetensors") => DnCnn::load(&base_dir.join(path))
            .map(|net| Arc::new(net) as Arc<dyn Denoiser>)
            .map_err(|e| e.to_string()),
        other => Err(format!(
            "no denoiser named {other:?}; expected \"ffdnet\", \"dncnn\" or a path to DnCNN weights ending in .safetensors"
        )),
    }
}

/// The network in `cell`, loaded by `load` on first use.
fn shared<D: Denoiser + 'static>(
    cell: &OnceLock<Arc<D>>,
    load: impl FnOnce() -> Result<D, String>,
) -> Result<Arc<dyn Denoiser>, String> {
    if let Some(net) = cell.get() {
        return Ok(net.clone());
    }
    let net = Arc::new(load()?);
    Ok(cell.get_or_init(|| net).clone())
}

fn example<T: Real>() -> Box<dyn Prior<T>> {
    let denoiser = denoiser("ffdnet", Path::new(".")).expect("the built-in FFDNet weights load");
    let shape = [1, EXAMPLE_SHAPE[1], EXAMPLE_SHAPE[2]];
    Box::new(
        crate::pnp::DenoiserPrior::<T>::new(denoiser, 1e-3, &shape)
            .expect("FFDNet supports grey images"),
    )
}
