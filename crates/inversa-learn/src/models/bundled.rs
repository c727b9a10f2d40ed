//! The Fashion-MNIST models and images compiled into the library (sources, licences and the
//! training commands in `data/README.md`): the class-conditional diffusion UNet, the
//! rectified-flow UNet, the classifier that scores edits, the model-inversion GAN (public
//! classes 5–9) with the target and evaluation classifiers of the private classes 0–4, and the
//! first 100 test images with their labels (none of them seen in training).
//!
//! The weights are stored in f16 to halve their size and widened to f32 when loaded.

use crate::data::fashion_mnist::{decode_idx, LabelledImages};
use crate::models::classifier::Classifier;
use crate::models::denoiser::Denoiser;
use crate::models::dncnn::DnCnn;
use crate::models::ffdnet::FfdNet;
use crate::models::gan::Gan;
use crate::models::lpn::LearnedProximalNetwork;
use crate::models::unet::Unet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

const UNET: &[u8] = include_bytes!("../../../../data/weights/fashion_unet.safetensors");
const FLOW: &[u8] = include_bytes!("../../../../data/weights/fashion_flow.safetensors");
const CLASSIFIER: &[u8] = include_bytes!("../../../../data/weights/fashion_classifier.safetensors");
const GAN: &[u8] = include_bytes!("../../../../data/weights/fashion_gan.safetensors");
const PRIVATE_TARGET: &[u8] =
    include_bytes!("../../../../data/weights/fashion_private_target.safetensors");
const PRIVATE_EVALUATION: &[u8] =
    include_bytes!("../../../../data/weights/fashion_private_evaluation.safetensors");
const TEST_IMAGES: &[u8] =
    include_bytes!("../../../../data/fashion-mnist/t10k-first100-images-idx3-ubyte");
const MNI152_T1_TRAIN: &[u8] = include_bytes!("../../../../data/brain/mni152_t1_train.npy");
const MNI152_T1_TEST: &[u8] = include_bytes!("../../../../data/brain/mni152_t1_test.npy");
const RIM_GRU: &[u8] = include_bytes!("../../../../data/weights/rim_gru.safetensors");
const RIM_MGU: &[u8] = include_bytes!("../../../../data/weights/rim_mgu.safetensors");
const RIM_INDRNN: &[u8] = include_bytes!("../../../../data/weights/rim_indrnn.safetensors");
const RECURRENT_VARNET: &[u8] =
    include_bytes!("../../../../data/weights/recurrent_varnet.safetensors");
const TEST_LABELS: &[u8] =
    include_bytes!("../../../../data/fashion-mnist/t10k-first100-labels-idx1-ubyte");

/// The class-conditional ε-prediction UNet (`inversa train diffusion`).
pub fn diffusion_unet() -> inversa::Result<Unet> {
    Unet::from_safetensors(UNET, Path::new("the bundled fashion_unet.safetensors"))
}

/// The tensors and metadata of the bundled diffusion UNet (the start of IDM's fine-tuning).
pub fn diffusion_unet_tensors() -> inversa::Result<(
    std::collections::HashMap<String, candle_core::Tensor>,
    std::collections::HashMap<String, String>,
)> {
    crate::nn::weights::read_safetensors(UNET, Path::new("the bundled fashion_unet.safetensors"))
}

/// The class-conditional rectified-flow UNet (`inversa train flow`).
pub fn flow_unet() -> inversa::Result<Unet> {
    Unet::from_safetensors(FLOW, Path::new("the bundled fashion_flow.safetensors"))
}

/// The classifier that scores edits (`inversa train classifier`).
pub fn classifier() -> inversa::Result<Classifier> {
    Classifier::from_safetensors(
        CLASSIFIER,
        Path::new("the bundled fashion_classifier.safetensors"),
    )
}

/// The GAN trained on the public classes 5–9 (`inversa train gan --classes 5-9`).
pub fn inversion_gan() -> inversa::Result<Gan> {
    Gan::from_safetensors(GAN, Path::new("the bundled fashion_gan.safetensors"))
}

/// The target of the model-inversion attacks: a classifier of the private classes 0–4.
pub fn private_target() -> inversa::Result<Classifier> {
    Classifier::from_safetensors(
        PRIVATE_TARGET,
        Path::new("the bundled fashion_private_target.safetensors"),
    )
}

/// The evaluation classifier of the private classes 0–4 (wider, another seed), which scores the
/// attacks.
pub fn private_evaluation() -> inversa::Result<Classifier> {
    Classifier::from_safetensors(
        PRIVATE_EVALUATION,
        Path::new("the bundled fashion_private_evaluation.safetensors"),
    )
}

/// The first 100 images of the Fashion-MNIST test split with their labels.
pub fn test_images() -> inversa::Result<LabelledImages> {
    let origin = Path::new("the bundled Fashion-MNIST test images");
    let bad = |m: String| inversa::Error::format(origin, m);
    let (dims, pixels) = decode_idx(TEST_IMAGES).map_err(bad)?;
    let (_, labels) = decode_idx(TEST_LABELS).map_err(bad)?;
    let [_, rows, cols] = dims[..] else {
        return Err(bad(format!("images of dimensions {dims:?}")));
    };
    LabelledImages::new(rows, cols, pixels, labels, origin)
}

/// The bundled grey LPN (trained by `inversa train lpn`, see `data/README.md`), loaded once.
pub fn lpn() -> inversa::Result<Arc<LearnedProximalNetwork>> {
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
const LPN_WEIGHTS: &[u8] = include_bytes!("../../../../data/weights/lpn_grey.safetensors");

/// A denoiser by name: `"ffdnet"` (the pretrained colour FFDNet), `"dncnn"` (the bundled grey
/// DnCNN), or a path (relative to `base_dir`) to DnCNN weights written by `inversa train denoiser`.
/// The built-in networks are loaded once per process and shared.
pub fn denoiser(name: &str, base_dir: &Path) -> crate::Result<Arc<dyn Denoiser>> {
    static FFDNET: OnceLock<Arc<FfdNet>> = OnceLock::new();
    static DNCNN: OnceLock<Arc<DnCnn>> = OnceLock::new();
    match name {
        "ffdnet" => shared(&FFDNET, || Ok(FfdNet::pretrained_color()?)),
        "dncnn" => shared(&DNCNN, || Ok(DnCnn::pretrained_grey()?)),
        path if path.ends_with(".safetensors") => Ok(crate::models::denoiser::load_trained(
            &base_dir.join(path),
        )?),
        other => Err(crate::Error::setting(
            "denoiser",
            format!(
                "no denoiser named {other:?}; expected \"ffdnet\", \"dncnn\" or a path to DnCNN/DRUNet weights ending in .safetensors"
            ),
        )),
    }
}

/// The network in `cell`, loaded by `load` on first use.
fn shared<D: Denoiser + 'static>(
    cell: &OnceLock<Arc<D>>,
    load: impl FnOnce() -> crate::Result<D>,
) -> crate::Result<Arc<dyn Denoiser>> {
    if let Some(net) = cell.get() {
        return Ok(net.clone());
    }
    let net = Arc::new(load()?);
    Ok(cell.get_or_init(|| net).clone())
}

/// The RIM with `unit` trained by `inversa train rim` on the bundled MNI152 T1 slices
/// (`data/README.md` has the commands).
pub fn rim(
    unit: crate::models::rim::recurrent_unit::RecurrentUnit,
) -> inversa::Result<crate::models::rim::Rim> {
    use crate::models::rim::recurrent_unit::RecurrentUnit;
    let (bytes, name) = match unit {
        RecurrentUnit::Gru => (RIM_GRU, "the bundled rim_gru.safetensors"),
        RecurrentUnit::Mgu => (RIM_MGU, "the bundled rim_mgu.safetensors"),
        RecurrentUnit::IndRnn => (RIM_INDRNN, "the bundled rim_indrnn.safetensors"),
    };
    crate::models::rim::Rim::from_safetensors(bytes, Path::new(name))
}

/// The Recurrent Variational Network trained by `inversa train recurrent-varnet` on the bundled
/// MNI152 T1 slices (`data/README.md` has the command).
pub fn recurrent_varnet() -> inversa::Result<crate::models::recurrent_varnet::RecurrentVarNet> {
    crate::models::recurrent_varnet::RecurrentVarNet::from_safetensors(
        RECURRENT_VARNET,
        Path::new("the bundled recurrent_varnet.safetensors"),
    )
}

/// Which slices of the MNI152 T1 template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceSplit {
    /// 42 coronal and 20 axial slices (z ≤ 36 mm): what the learned MRI models train on.
    Train,
    /// 8 axial slices at z = 44…72 mm, above every axial training slice.
    Test,
}

/// The 96×96 slices (2 mm cells) of the MNI152 ICBM 2009a T1 template in [0, 1] that the learned
/// MRI models train and are tested on (`tools/mni_t1_slices.py`, `data/README.md`).
pub fn mni152_t1(split: SliceSplit) -> inversa::Result<Vec<crate::data::image_folder::GreyImage>> {
    let (bytes, name) = match split {
        SliceSplit::Train => (MNI152_T1_TRAIN, "the bundled mni152_t1_train.npy"),
        SliceSplit::Test => (MNI152_T1_TEST, "the bundled mni152_t1_test.npy"),
    };
    let origin = Path::new(name);
    let array = inversa::io::npy::decode_npy(bytes, origin)?;
    let [count, height, width] = array.shape[..] else {
        return Err(inversa::Error::format(origin, "expected [slices, H, W]"));
    };
    Ok((0..count)
        .map(|i| crate::data::image_folder::GreyImage {
            path: origin.join(i.to_string()),
            height,
            width,
            pixels: array.data[i * height * width..(i + 1) * height * width]
                .iter()
                .map(|&v| v as f32)
                .collect(),
        })
        .collect())
}
