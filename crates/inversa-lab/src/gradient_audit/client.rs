//! The audited client: its batch (one image of the caller's, or images drawn from a bundled data
//! set) and its model, checked against the batch's size.

use super::{Dataset, Model, Settings, CLASSES};
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use inversa_learn::data::{image_folder::read_grey, mnist_digits};
use inversa_learn::models::bundled;
use inversa_learn::models::victims::lenet::LeNet;
use inversa_learn::models::victims::{convnet, digit_recognizer, resnet, ExplicitGradient};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Largest client batch: the attacks' cost grows with it, and breaching's batch experiments stop
/// well below it.
const MOST_IMAGES: usize = 64;

/// The client's images `[B, 1, H, W]` in [0, 1] and their labels.
pub(super) struct Client {
    pub(super) images: Tensor,
    pub(super) labels: Vec<usize>,
}

/// The `image` with its `label`, or `batch` images of `data` drawn with `seed`.
pub(super) fn batch(settings: &Settings) -> Result<Client> {
    let count = settings.batch;
    if count == 0 || count > MOST_IMAGES {
        let message = format!("must be in 1..={MOST_IMAGES}, not {count}");
        return Err(Error::setting("batch", message));
    }
    if let Some(path) = &settings.image {
        if count != 1 {
            return Err(Error::setting(
                "batch",
                "needs --data; --image is one image",
            ));
        }
        let label = settings.label.ok_or_else(|| {
            Error::setting("label", "is needed with --image (the client's class, 0–9)")
        })?;
        let grey = read_grey(path, 1)?;
        let shape = (1, 1, grey.height, grey.width);
        let images = Tensor::from_vec(grey.pixels, shape, &Device::Cpu)?;
        return Ok(Client {
            images,
            labels: vec![label],
        });
    }
    drawn(settings.data, count, settings.seed)
}

/// `count` images of `data` picked at random from `seed`.
fn drawn(data: Dataset, count: usize, seed: u64) -> Result<Client> {
    let set = match data {
        Dataset::Mnist => mnist_digits::bundled()?,
        Dataset::FashionMnist => bundled::test_images()?,
    };
    if count > set.len() {
        let message = format!("must be at most {}", set.len());
        return Err(Error::setting("batch", message));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let indices = sample(&mut rng, set.len(), count).into_vec();
    let (rows, cols) = set.size();
    let pixels: Vec<f32> = indices
        .iter()
        .flat_map(|&i| set.pixels(i).iter().map(|&p| f32::from(p) / 255.0))
        .collect();
    let images = Tensor::from_vec(pixels, (count, 1, rows, cols), &Device::Cpu)?;
    let labels = indices
        .iter()
        .map(|&i| usize::from(set.labels()[i]))
        .collect();
    Ok(Client { images, labels })
}

/// The `model` for `height`×`width` grey images, checking its size constraint; random weights
/// come from `seed`.
pub(super) fn model(
    settings: &Settings,
    (height, width): (usize, usize),
) -> Result<Box<dyn ExplicitGradient>> {
    let size = |ok: bool, need: &str| match ok {
        true => Ok(()),
        false => Err(Error::setting(
            "model",
            format!(
                "{}: needs {need}; the client's images are {height}×{width}",
                settings.model.name()
            ),
        )),
    };
    let seed = settings.seed;
    let model: Box<dyn ExplicitGradient> = match settings.model {
        Model::Lenet => {
            size(height % 4 == 0 && width % 4 == 0, "sides divisible by 4")?;
            let shape = (height, width);
            Box::new(LeNet::random(1, shape, CLASSES, settings.activation, seed)?)
        }
        Model::Convnet => {
            size(height >= 4 && width >= 4, "images of at least 4×4")?;
            Box::new(convnet::random((1, height, width), CLASSES, seed)?)
        }
        Model::Resnet => {
            size(height >= 4 && width >= 4, "images of at least 4×4")?;
            Box::new(resnet::random((1, height, width), CLASSES, seed)?)
        }
        Model::DigitRecognizer => {
            size(height == 28 && width == 28, "28×28 images (MNIST's size)")?;
            Box::new(digit_recognizer::bundled()?)
        }
    };
    Ok(model)
}

/// `[B, classes]` one-hot rows of `labels`.
pub(super) fn one_hot(labels: &[usize]) -> Result<Tensor> {
    let mut values = vec![0.0f32; labels.len() * CLASSES];
    for (row, &label) in labels.iter().enumerate() {
        values[row * CLASSES + label] = 1.0;
    }
    Ok(Tensor::from_vec(
        values,
        (labels.len(), CLASSES),
        &Device::Cpu,
    )?)
}
