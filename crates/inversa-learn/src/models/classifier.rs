//! A small convolutional classifier of 32×32 grey images (Fashion-MNIST's 10 classes), used to
//! score diffusion edits: LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to
//! document recognition", Proc. IEEE 1998 (convolutions and pooling, then fully connected layers).
//!
//! Three 3×3 convolutions (`channels`, `2·channels`, `2·channels`), each followed by ReLU and a
//! 2×2 average pooling (32 → 16 → 8 → 4), then `Linear(32·channels → 128) → ReLU → Linear(128 →
//! classes)`. Trained with the shared loop on the cross-entropy of random training batches
//! ([`ClassifierTraining`]); validation is the accuracy on the held-out set. Inputs are the
//! padded `[−1, 1]` images of [`crate::data::fashion_mnist`].

use crate::data::fashion_mnist::{LabelledImages, SIDE};
use crate::nn::conv2d::{conv2d_layer, Conv2d};
use crate::training::Trainable;
use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{Linear, VarBuilder, VarMap};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;

/// The safetensors metadata value of `architecture` in classifier weights.
pub const ARCHITECTURE: &str = "fashion-classifier";

/// Width of the hidden fully connected layer.
const HIDDEN: usize = 128;

/// Images per forward pass when scoring a whole set.
const CHUNK: usize = 500;

/// The classifier's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// Channels of the first convolution (doubled after it).
    pub channels: usize,
    pub classes: usize,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            channels: 32,
            classes: 10,
        }
    }
}

impl ClassifierConfig {
    /// The `architecture`, `channels` and `classes` metadata of a weights file.
    pub fn metadata(&self) -> HashMap<String, String> {
        crate::nn::weights::metadata(
            ARCHITECTURE,
            &[("channels", &self.channels), ("classes", &self.classes)],
        )
    }

    /// Reads the configuration back from a weights file's metadata; `origin` names it in errors.
    pub fn from_metadata(
        metadata: &HashMap<String, String>,
        origin: &Path,
    ) -> inversa::Result<Self> {
        crate::nn::weights::expect_architecture(
            metadata,
            ARCHITECTURE,
            "classifier weights",
            origin,
        )?;
        let number = |key| crate::nn::weights::positive_metadata(metadata, key, origin);
        Ok(Self {
            channels: number("channels")?,
            classes: number("classes")?,
        })
    }
}

/// The classifier.
pub struct Classifier {
    config: ClassifierConfig,
    convs: Vec<Conv2d>,
    fc0: Linear,
    fc1: Linear,
}

impl Classifier {
    /// The network with weights `conv0` … `conv2`, `fc0`, `fc1` under `vb`.
    pub fn new(vb: VarBuilder, config: ClassifierConfig) -> Result<Self> {
        if config.channels == 0 || config.classes < 2 {
            candle_core::bail!("the classifier needs channels >= 1 and classes >= 2");
        }
        let c = config.channels;
        let sizes = [(1, c), (c, 2 * c), (2 * c, 2 * c)];
        let convs = sizes
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| conv2d_layer(a, b, 3, 1, vb.pp(format!("conv{i}"))))
            .collect::<Result<_>>()?;
        let flat = 2 * c * (SIDE / 8) * (SIDE / 8);
        Ok(Self {
            config,
            convs,
            fc0: candle_nn::linear(flat, HIDDEN, vb.pp("fc0"))?,
            fc1: candle_nn::linear(HIDDEN, config.classes, vb.pp("fc1"))?,
        })
    }

    /// Reads a weights file written by `inversa train classifier`.
    pub fn load(path: &Path) -> inversa::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| inversa::Error::io(path, e))?;
        Self::from_safetensors(&bytes, path)
    }

    /// The classifier from safetensors `bytes` (f32 or f16; size in the metadata); `origin`
    /// names them in errors.
    pub fn from_safetensors(bytes: &[u8], origin: &Path) -> inversa::Result<Self> {
        let (tensors, metadata) = crate::nn::weights::read_safetensors(bytes, origin)?;
        let config = ClassifierConfig::from_metadata(&metadata, origin)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        Self::new(vb, config).map_err(|e| inversa::Error::format(origin, e.to_string()))
    }

    /// The classifier's size.
    pub fn config(&self) -> ClassifierConfig {
        self.config
    }

    /// The class logits `[B, classes]` of a `[B, 1, 32, 32]` batch in `[−1, 1]`.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        self.logits_of_features(&self.features(x)?)
    }

    /// The penultimate layer `[B, 128]` (after its ReLU) of a `[B, 1, 32, 32]` batch in
    /// `[−1, 1]`: the features on which sample quality is scored by a Fréchet distance.
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        if (h, w) != (SIDE, SIDE) {
            candle_core::bail!("the classifier takes {SIDE}×{SIDE} images, not {h}×{w}");
        }
        let mut z = x.to_dtype(DType::F32)?;
        for conv in &self.convs {
            z = average_pool(&conv.forward(&z)?.relu()?)?;
        }
        self.fc0.forward(&z.flatten_from(1)?)?.relu()
    }

    /// The class logits of penultimate [`Classifier::features`] `[B, 128]`.
    pub fn logits_of_features(&self, features: &Tensor) -> Result<Tensor> {
        self.fc1.forward(features)
    }

    /// Width of [`Classifier::features`].
    pub fn feature_width(&self) -> usize {
        HIDDEN
    }

    /// The class probabilities `[B, classes]` (softmax of the logits).
    pub fn probabilities(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::softmax_last_dim(&self.logits(x)?)
    }

    /// The fraction of `set` whose most probable class is its label.
    pub fn accuracy(&self, set: &LabelledImages) -> Result<f64> {
        let mut correct = 0usize;
        for start in (0..set.len()).step_by(CHUNK) {
            let indices: Vec<usize> = (start..(start + CHUNK).min(set.len())).collect();
            let predicted = self
                .logits(&set.batch(&indices, SIDE)?)?
                .argmax(D::Minus1)?
                .to_vec1::<u32>()?;
            correct += indices
                .iter()
                .zip(predicted)
                .filter(|(&i, p)| u32::from(set.labels()[i]) == *p)
                .count();
        }
        Ok(correct as f64 / set.len().max(1) as f64)
    }
}

/// 2×2 average pooling of `[B, C, H, W]` (even sides).
fn average_pool(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h / 2, 2, w / 2, 2))?
        .sum(5)?
        .sum(3)?
        .affine(0.25, 0.0)
}

/// A classifier with its training and held-out images.
pub struct ClassifierTraining {
    varmap: VarMap,
    net: Classifier,
    data: LabelledImages,
    held_out: LabelledImages,
}

impl ClassifierTraining {
    /// A fresh classifier of `config` (its weights are drawn by the training loop), trained on
    /// `data` and validated on `held_out`.
    pub fn new(
        config: ClassifierConfig,
        data: LabelledImages,
        held_out: LabelledImages,
    ) -> inversa::Result<Self> {
        for (set, key) in [(&data, "data"), (&held_out, "validation")] {
            if set.size().0 > SIDE || set.size().1 > SIDE {
                return Err(inversa::Error::config(
                    key,
                    format!("images larger than {SIDE}×{SIDE}"),
                ));
            }
            if let Some(l) = set
                .labels()
                .iter()
                .find(|&&l| usize::from(l) >= config.classes)
            {
                return Err(inversa::Error::config(
                    key,
                    format!("label {l} is past the {} classes", config.classes),
                ));
            }
        }
        if data.is_empty() {
            return Err(inversa::Error::config("data", "no training images"));
        }
        let varmap = VarMap::new();
        let net = Classifier::new(
            VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
            config,
        )
        .map_err(|e| inversa::Error::config("classifier", e.to_string()))?;
        Ok(Self {
            varmap,
            net,
            data,
            held_out,
        })
    }

    /// The classifier being trained.
    pub fn net(&self) -> &Classifier {
        &self.net
    }

    /// The held-out images.
    pub fn held_out(&self) -> &LabelledImages {
        &self.held_out
    }
}

impl Trainable for ClassifierTraining {
    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn metadata(&self) -> HashMap<String, String> {
        self.net.config().metadata()
    }

    /// The cross-entropy of `batch` random training images (`_crop` is unused).
    fn loss(
        &self,
        _step: usize,
        rng: &mut ChaCha8Rng,
        batch: usize,
        _crop: usize,
    ) -> Result<Tensor> {
        let indices = self.data.random_indices(rng, batch);
        let labels: Vec<u32> = indices
            .iter()
            .map(|&i| u32::from(self.data.labels()[i]))
            .collect();
        let logits = self.net.logits(&self.data.batch(&indices, SIDE)?)?;
        let target = Tensor::from_vec(labels, batch, &Device::Cpu)?;
        candle_nn::loss::cross_entropy(&logits, &target)
    }

    /// `accuracy %` on the held-out images (none without them).
    fn validate(&self) -> Result<Vec<(String, f64)>> {
        if self.held_out.is_empty() {
            return Ok(Vec::new());
        }
        let accuracy = self.net.accuracy(&self.held_out)?;
        Ok(vec![("accuracy %".into(), 100.0 * accuracy)])
    }
}
