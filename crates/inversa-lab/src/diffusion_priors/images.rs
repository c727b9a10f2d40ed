//! The images of the experiment: the held-out test images, the training images the baselines are
//! tuned on, and the reference set of the Fréchet distance.
//!
//! With the full Fashion-MNIST (the Debian package `dataset-fashion-mnist`, or `data`): the first
//! `images` of the 10,000 test images, the first `tune_images` training images, and all test
//! images as the reference. Without it: the 100 bundled test images, the last `tune_images` of
//! them for tuning (so never scored) and the first `images` of the rest for testing.

use super::Settings;
use crate::{Error, Result};
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR, PACKAGE};
use inversa_learn::models::bundled;
use std::path::PathBuf;

/// 28×28 images in [0, 1], row-major, and where they came from.
pub struct ImageSet {
    pub images: Vec<Vec<f64>>,
    pub source: String,
}

/// The three sets of a run.
pub struct Sets {
    pub test: ImageSet,
    pub tuning: ImageSet,
    pub reference: ImageSet,
}

/// The sets `settings` asks for, or why they cannot be had.
pub fn load(settings: &Settings) -> Result<Sets> {
    let dir = match &settings.data {
        Some(dir) => Some(dir.clone()),
        None => Some(PathBuf::from(DEFAULT_DIR)).filter(|d| d.is_dir()),
    };
    match dir {
        Some(dir) => {
            let read = |split| {
                LabelledImages::read_fashion_mnist(&dir, split)
                    .map_err(|e| Error::setting("data", e.to_string()))
            };
            let (test, train) = (read(Split::Test)?, read(Split::Train)?);
            let origin = format!("Fashion-MNIST in {}", dir.display());
            from_full(settings, &test, &train, &origin)
        }
        None => from_bundled(settings, &bundled::test_images()?),
    }
}

fn from_full(
    settings: &Settings,
    test: &LabelledImages,
    train: &LabelledImages,
    origin: &str,
) -> Result<Sets> {
    enough("images", settings.images, test.len(), "test images")?;
    enough(
        "tune_images",
        settings.tune_images,
        train.len(),
        "training images",
    )?;
    Ok(Sets {
        test: ImageSet {
            images: pixels(test, 0..settings.images)?,
            source: format!("the first {} test images of {origin}", settings.images),
        },
        tuning: ImageSet {
            images: pixels(train, 0..settings.tune_images)?,
            source: format!(
                "the first {} training images of {origin}",
                settings.tune_images
            ),
        },
        reference: ImageSet {
            images: pixels(test, 0..test.len())?,
            source: format!("all {} test images of {origin}", test.len()),
        },
    })
}

pub(super) fn from_bundled(settings: &Settings, bundled: &LabelledImages) -> Result<Sets> {
    let total = bundled.len();
    let tune = settings.tune_images.min(total);
    let available = total - tune;
    if settings.images > available {
        let message = format!(
            "{} asked, but without the full Fashion-MNIST only {available} of the {total} bundled \
             test images are held out from tuning (`apt-get install {PACKAGE}` gives 10,000)",
            settings.images
        );
        return Err(Error::setting("images", message));
    }
    Ok(Sets {
        test: ImageSet {
            images: pixels(bundled, 0..settings.images)?,
            source: format!(
                "the first {} of the {total} bundled test images",
                settings.images
            ),
        },
        tuning: ImageSet {
            images: pixels(bundled, available..total)?,
            source: format!("the last {tune} of the {total} bundled test images"),
        },
        reference: ImageSet {
            images: pixels(bundled, 0..total)?,
            source: format!("the {total} bundled test images"),
        },
    })
}

fn enough(key: &str, asked: usize, available: usize, what: &str) -> Result<()> {
    if asked > available {
        let message = format!("{asked} asked, but the set has only {available} {what}");
        return Err(Error::setting(key, message));
    }
    Ok(())
}

/// The images at `range` of `set` as 28×28 values in [0, 1].
fn pixels(set: &LabelledImages, range: std::ops::Range<usize>) -> Result<Vec<Vec<f64>>> {
    if set.size() != (28, 28) {
        let (h, w) = set.size();
        let message = format!("holds {h}×{w} images; the experiment needs Fashion-MNIST's 28×28");
        return Err(Error::setting("data", message));
    }
    Ok(range
        .map(|i| {
            set.pixels(i)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect()
        })
        .collect())
}
