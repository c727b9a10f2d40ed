//! What the Fashion-MNIST models share: the data set's folder and parts, the class ranges, and
//! the loop's defaults for whole 32×32 images.

use super::common::{LoopSettings, Resolved};
use crate::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR, SIDE};
use crate::training::TrainConfig;
use crate::Error;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// The loop's defaults for 32×32 Fashion-MNIST (other settings as for the denoisers).
pub(super) fn defaults() -> TrainConfig {
    TrainConfig {
        batch: 64,
        crop: SIDE,
        learning_rate: 5e-4,
        warmup: 200,
        validate_every: 500,
        checkpoint_every: 500,
        ..TrainConfig::default()
    }
}

/// The loop configuration of the UNets and the classifier, refusing the image-folder settings.
pub(super) fn resolve(common: &LoopSettings) -> Result<Resolved, Error> {
    resolve_over(common, defaults())
}

/// [`resolve`] over the model's own `defaults`.
pub(super) fn resolve_over(
    common: &LoopSettings,
    defaults: TrainConfig,
) -> Result<Resolved, Error> {
    common.no_image_folder("the Fashion-MNIST models read --data (whole 32×32 images)")?;
    common.resolve(defaults)
}

/// The training and test parts of the data set in `data` (the Debian package's folder when
/// unset).
pub(super) fn read(data: Option<&Path>) -> Result<(LabelledImages, LabelledImages), Error> {
    let dir = data.map_or_else(|| PathBuf::from(DEFAULT_DIR), Path::to_path_buf);
    Ok((
        LabelledImages::read_fashion_mnist(&dir, Split::Train)?,
        LabelledImages::read_fashion_mnist(&dir, Split::Test)?,
    ))
}

/// The labels named by `classes` (`3` or `0-4`, within 0–9); all ten when unset.
pub(super) fn class_range(classes: Option<&str>) -> Result<RangeInclusive<u8>, Error> {
    let Some(text) = classes else {
        return Ok(0..=9);
    };
    let label = |s: &str| s.trim().parse::<u8>().ok().filter(|&l| l <= 9);
    let range = match text.split_once('-') {
        Some((a, b)) => label(a).zip(label(b)).map(|(a, b)| a..=b),
        None => label(text).map(|l| l..=l),
    };
    range.filter(|r| !r.is_empty()).ok_or_else(|| {
        Error::setting(
            "classes",
            format!(
                "--classes {text}: expected a label or an increasing range of labels within 0-9, such as 0-4"
            ),
        )
    })
}
