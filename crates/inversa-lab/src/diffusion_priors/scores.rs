//! The scores of a method's reconstructions: PSNR and SSIM against the truth (data range 1, after
//! clipping to [0, 1]) and the Fréchet distance of the bundled classifier's penultimate features
//! to those of a reference set ([`crate::sample_quality`] scores samples the same way).

use super::images::ImageSet;
use super::{Reconstructions, Row};
use crate::sample_quality::score;
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use inversa::numerics::frechet::{frechet_distance, Gaussian};
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::Classifier;

/// Side of the images and of the classifier's input.
const SIDE: usize = 28;
const PADDED: usize = 32;

/// Images per classifier batch.
const BATCH: usize = 500;

/// The classifier and the reference set's feature Gaussian.
pub struct Judge {
    classifier: Classifier,
    reference: Gaussian,
}

impl Judge {
    pub fn new(reference: &ImageSet) -> Result<Self> {
        let classifier = bundled::classifier()?;
        let features = features(&classifier, &reference.images)?;
        let reference = Gaussian::fit(&features, classifier.feature_width())?;
        Ok(Self {
            classifier,
            reference,
        })
    }

    /// The Fréchet distance of `images` (28×28 in [0, 1], at least two) to the reference.
    pub fn frechet(&self, images: &[Vec<f64>]) -> Result<f64> {
        let clipped: Vec<Vec<f64>> = images.iter().map(|im| clipped(im)).collect();
        let features = features(&self.classifier, &clipped)?;
        let fitted = Gaussian::fit(&features, self.classifier.feature_width())?;
        Ok(frechet_distance(&fitted, &self.reference)?)
    }

    /// The table row of `method` on `physics` from its reconstructions of `truths`.
    pub fn row(
        &self,
        physics: &str,
        method: &str,
        truths: &[Vec<f64>],
        result: &Reconstructions,
    ) -> Result<Row> {
        let mut psnrs = Vec::with_capacity(truths.len());
        let mut ssims = Vec::with_capacity(truths.len());
        for (truth, image) in truths.iter().zip(&result.images) {
            let image = clipped(image);
            psnrs.push(inversa::metrics::psnr(&image, truth, 1.0));
            ssims.push(inversa::metrics::ssim(
                &image,
                truth,
                &[1, SIDE, SIDE],
                1.0,
            )?);
        }
        let (psnr_mean, psnr_std) = mean_and_std(&psnrs);
        let (ssim_mean, ssim_std) = mean_and_std(&ssims);
        Ok(Row {
            physics: physics.to_string(),
            method: method.to_string(),
            model_calls: result.model_calls,
            psnr_mean,
            psnr_std,
            ssim_mean,
            ssim_std,
            frechet: self.frechet(&result.images)?,
            seconds_per_image: result.seconds_per_image,
            psnr: psnrs,
        })
    }
}

/// `image` clipped to the pixel range [0, 1] (a NaN stays NaN, so that the report refuses it).
pub fn clipped(image: &[f64]) -> Vec<f64> {
    image.iter().map(|v| v.clamp(0.0, 1.0)).collect()
}

/// The mean and the sample standard deviation (0 for one value).
pub fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let spread = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, spread)
}

/// The classifier's features of 28×28 images in [0, 1], padded to its 32×32 input in [−1, 1]
/// (the padding black, as [`inversa_learn::data::fashion_mnist::LabelledImages::batch`] pads).
fn features(classifier: &Classifier, images: &[Vec<f64>]) -> Result<Vec<f64>> {
    let margin = (PADDED - SIDE) / 2;
    let mut features = Vec::with_capacity(images.len() * classifier.feature_width());
    for chunk in images.chunks(BATCH) {
        let mut data = vec![-1.0f32; chunk.len() * PADDED * PADDED];
        for (b, image) in chunk.iter().enumerate() {
            if image.len() != SIDE * SIDE {
                let message = format!("an image of {} pixels, not 28×28", image.len());
                return Err(Error::setting("images", message));
            }
            for (p, &v) in image.iter().enumerate() {
                let (row, column) = (p / SIDE + margin, p % SIDE + margin);
                data[b * PADDED * PADDED + row * PADDED + column] = (2.0 * v - 1.0) as f32;
            }
        }
        let batch = Tensor::from_vec(data, (chunk.len(), 1, PADDED, PADDED), &Device::Cpu)?;
        features.extend(score(classifier, &batch)?.1);
    }
    Ok(features)
}
