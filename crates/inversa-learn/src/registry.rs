//! The learned priors a task file can name, in the core's registry format, and the denoisers they
//! can use.

use crate::denoiser::Denoiser;
use crate::denoiser_training::Architecture;
use crate::dncnn::DnCnn;
use crate::drunet::Drunet;
use crate::ffdnet::FfdNet;
use crate::lpn::LearnedProximalNetwork;
use inversa::operators::EXAMPLE_SHAPE;
use inversa::priors::registry::PriorEntry;
use inversa::priors::Prior;
use inversa::real::Real;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Priors added to the core's by this crate.
pub fn priors<T: Real>() -> Vec<PriorEntry<T>> {
    vec![
        PriorEntry {
            name: "pnp",
            summary: "plug-and-play: a pretrained denoiser (FFDNet, DnCNN, DRUNet) as the prox, σ = √(weight·τ)",
            build: crate::pnp::from_config,
            example,
        },
        PriorEntry {
            name: "lpn",
            summary: "Learned Proximal Network: the exact prox of a learned regulariser (use with admm; rho is its weight)",
            build: crate::lpn_prior::from_config,
            example: lpn_example,
        },
    ]
}

/// The bundled grey LPN (trained by `inversa train lpn`, see `data/README.md`), loaded once.
pub fn bundled_lpn() -> inversa::Result<Arc<LearnedProximalNetwork>> {
    static LPN: OnceLock<Arc<LearnedProximalNetwork>> = OnceLock::new();
    if let Some(net) = LPN.get() {
        return Ok(net.clone());
    }
    let origin = Path::new("the bundled lpn_grey.safetensors");
    let net = Arc::new(LearnedProximalNetwork::from_safetensors(
        LPN_WEIGHTS,
        origin,
    )?);
    Ok(LPN.get_or_init(|| net).clone())
}

/// The bundled LPN weights.
const LPN_WEIGHTS: &[u8] = include_bytes!("../../../data/weights/lpn_grey.safetensors");

fn lpn_example<T: Real>() -> Box<dyn Prior<T>> {
    let net = bundled_lpn().expect("the bundled LPN weights load");
    let shape = [1, EXAMPLE_SHAPE[1], EXAMPLE_SHAPE[2]];
    Box::new(
        crate::lpn_prior::LpnPrior::<T>::new(net, &shape).expect("the LPN supports grey images"),
    )
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
        path if path.ends_with(".safetensors") => {
            load_trained(&base_dir.join(path)).map_err(|e| e.to_string())
        }
        other => Err(format!(
            "no denoiser named {other:?}; expected \"ffdnet\", \"dncnn\" or a path to DnCNN/DRUNet weights ending in .safetensors"
        )),
    }
}

/// A denoiser written by `inversa train denoiser` (its architecture read from the metadata).
pub fn load_trained(path: &Path) -> inversa::Result<Arc<dyn Denoiser>> {
    let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
    let (_, metadata) = crate::checkpoint::read_safetensors(&bytes, path)?;
    Ok(match Architecture::from_metadata(&metadata, path)? {
        Architecture::DnCnn(_) => Arc::new(DnCnn::from_safetensors(&bytes, path)?),
        Architecture::Drunet(_) => Arc::new(Drunet::from_safetensors(&bytes, path)?),
    })
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
