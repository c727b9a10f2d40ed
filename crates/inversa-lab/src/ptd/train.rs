//! Sequential Fashion-MNIST: each 28×28 image read pixel by pixel as a sequence of 784 values,
//! classified by the small diagonal-SSM network of [`super::ssm`], trained once from S4D's modes
//! and once from PTD's, and tested on clean inputs and on inputs plus a Fourier mode
//! `a cos(2π f t / L + φ)` (the paper's robustness test, Sec. 5.2).

use super::ssm::{Classifier, Modes};
use super::Settings;
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR};
use inversa_learn::models::bundled;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::f64::consts::PI;
use std::path::PathBuf;

/// Pixels per sequence.
pub const LENGTH: usize = 784;
/// Fashion-MNIST's pixel mean and standard deviation (training set, in [0, 1]): the sequences
/// are standardised with them, so a noise amplitude is in units of the pixels' spread.
const PIXEL_MEAN: f64 = 0.2860;
const PIXEL_STD: f64 = 0.3530;

/// Standardised sequences and their labels.
pub struct Sequences {
    pub values: Vec<f32>,
    pub labels: Vec<u32>,
}

impl Sequences {
    fn of(images: &LabelledImages, indices: impl Iterator<Item = usize>) -> Self {
        let (mut values, mut labels) = (Vec::new(), Vec::new());
        for i in indices {
            values.extend(
                images
                    .pixels(i)
                    .iter()
                    .map(|&p| ((p as f64 / 255.0 - PIXEL_MEAN) / PIXEL_STD) as f32),
            );
            labels.push(images.labels()[i] as u32);
        }
        Self { values, labels }
    }

    fn len(&self) -> usize {
        self.labels.len()
    }
}

/// The training and test sequences, and a line saying where they came from: the first
/// `train_images` and `test_images` of the full set when it is installed (or in `data`), else
/// the 100 bundled test images split in two (enough for the test of the code, not for a claim).
pub fn load(settings: &Settings) -> Result<(Sequences, Sequences, String)> {
    let dir = match &settings.data {
        Some(dir) => Some(dir.clone()),
        None => Some(PathBuf::from(DEFAULT_DIR)).filter(|d| d.is_dir()),
    };
    let (train, test) = (settings.train_images, settings.test_images);
    let Some(dir) = dir else {
        let images = bundled::test_images()?;
        if train + test > images.len() {
            let message = format!(
                "+ test_images must be at most {} without the full Fashion-MNIST",
                images.len()
            );
            return Err(Error::setting("train_images", message));
        }
        let source = format!(
            "the bundled Fashion-MNIST test images: {train} for training, {test} for testing"
        );
        return Ok((
            Sequences::of(&images, 0..train),
            Sequences::of(&images, train..train + test),
            source,
        ));
    };
    let read = |split| {
        LabelledImages::read_fashion_mnist(&dir, split)
            .map_err(|e| Error::setting("data", e.to_string()))
    };
    let (train_set, test_set) = (read(Split::Train)?, read(Split::Test)?);
    if train > train_set.len() || test > test_set.len() {
        return Err(Error::setting(
            "train_images",
            format!(
                "and test_images must be at most {} and {}",
                train_set.len(),
                test_set.len()
            ),
        ));
    }
    let source = format!(
        "Fashion-MNIST in {}: the first {train} training and the first {test} test images",
        dir.display()
    );
    Ok((
        Sequences::of(&train_set, 0..train),
        Sequences::of(&test_set, 0..test),
        source,
    ))
}

/// One trained model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRun {
    pub name: String,
    /// `κ(V)` of the decomposition its modes came from.
    pub condition: f64,
    /// `max |B̃ⱼ|` at initialisation (after scaling to `‖B̃‖₂ = ‖B/2‖₂`).
    pub largest_input: f64,
    /// Mean training loss per epoch.
    pub losses: Vec<f64>,
    /// Test accuracy at each noise amplitude of the settings (the first is 0: clean).
    pub accuracy: Vec<f64>,
    pub seconds: f64,
}

/// Trains a classifier from `modes` and tests it at every noise amplitude.
pub fn train(
    name: &str,
    modes: &Modes,
    settings: &Settings,
    data: (&Sequences, &Sequences),
    say: &mut dyn FnMut(&str),
) -> Result<ModelRun> {
    let clock = std::time::Instant::now();
    let (train_set, test_set) = data;
    let device = Device::Cpu;
    let model = Classifier::new(
        modes,
        settings.channels,
        settings.layers,
        10,
        LENGTH,
        settings.seed,
        &device,
    )?;
    let (dynamics, rest) = model.vars();
    let params = |lr| ParamsAdamW {
        lr,
        weight_decay: 0.0,
        ..Default::default()
    };
    // S4D trains Δ and Λ at a lower rate than the rest (its paper's recipe).
    let mut slow = AdamW::new(dynamics, params(settings.learning_rate / 5.0))?;
    let mut fast = AdamW::new(rest, params(settings.learning_rate))?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x5eed);
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let mut losses = Vec::with_capacity(settings.epochs);
    for epoch in 0..settings.epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        for batch in order.chunks(settings.batch) {
            let (x, y) = batch_of(train_set, batch, &device)?;
            let loss = candle_nn::loss::cross_entropy(&model.forward(&x)?, &y)?;
            let grads = loss.backward()?;
            slow.step(&grads)?;
            fast.step(&grads)?;
            total += loss.to_scalar::<f32>()? as f64 * batch.len() as f64;
        }
        let mean = total / train_set.len() as f64;
        if !mean.is_finite() {
            return Err(super::failed(&format!(
                "{name}: the training loss became {mean} in epoch {}",
                epoch + 1
            )));
        }
        say(&format!("{name}: epoch {} loss {mean:.4}", epoch + 1));
        losses.push(mean);
    }
    let accuracy = settings
        .noise_amplitudes
        .iter()
        .map(|&a| accuracy(&model, test_set, a, settings, &device))
        .collect::<Result<Vec<f64>>>()?;
    Ok(ModelRun {
        name: name.into(),
        condition: 0.0,
        largest_input: 0.0,
        losses,
        accuracy,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

fn batch_of(set: &Sequences, rows: &[usize], device: &Device) -> Result<(Tensor, Tensor)> {
    let values: Vec<f32> = rows
        .iter()
        .flat_map(|&i| set.values[i * LENGTH..(i + 1) * LENGTH].iter().copied())
        .collect();
    let labels: Vec<u32> = rows.iter().map(|&i| set.labels[i]).collect();
    Ok((
        Tensor::from_vec(values, (rows.len(), LENGTH), device)?,
        Tensor::from_vec(labels, rows.len(), device)?,
    ))
}

/// `a cos(2π f t / L + φ)` for one test sequence: `f` a whole number of cycles drawn from the
/// settings' band, `φ` uniform; the same draws for every model (seeded by the sequence index).
pub fn fourier_mode(settings: &Settings, index: usize, amplitude: f64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed.wrapping_add(1_000_003 * index as u64));
    let [low, high] = settings.noise_band;
    let cycles = rng.gen_range(low..=high) as f64;
    let phase = rng.gen_range(0.0..2.0 * PI);
    (0..LENGTH)
        .map(|t| (amplitude * (2.0 * PI * cycles * t as f64 / LENGTH as f64 + phase).cos()) as f32)
        .collect()
}

/// The fraction of `set` classified right with the Fourier mode of amplitude `a` added.
fn accuracy(
    model: &Classifier,
    set: &Sequences,
    amplitude: f64,
    settings: &Settings,
    device: &Device,
) -> Result<f64> {
    let mut right = 0usize;
    let rows: Vec<usize> = (0..set.len()).collect();
    for batch in rows.chunks(settings.batch) {
        let mut values = Vec::with_capacity(batch.len() * LENGTH);
        for &i in batch {
            let noise = fourier_mode(settings, i, amplitude);
            values.extend(
                set.values[i * LENGTH..(i + 1) * LENGTH]
                    .iter()
                    .zip(&noise)
                    .map(|(x, n)| x + n),
            );
        }
        let x = Tensor::from_vec(values, (batch.len(), LENGTH), device)?;
        let predicted: Vec<u32> = model.forward(&x)?.argmax(1)?.to_vec1()?;
        right += batch
            .iter()
            .zip(&predicted)
            .filter(|(&i, &p)| set.labels[i] == p)
            .count();
    }
    Ok(right as f64 / set.len() as f64)
}
