//! The picture of generator samples written next to trained GAN weights.

use crate::models::gan::{uniform_latents, GanTraining};
use crate::training::checkpoint::sibling;
use crate::Error;
use inversa::io::png_image::write_png_u8;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// Samples per row and column of the picture written after training.
const GRID: usize = 8;

/// White pixels between the samples of the picture.
const GAP: usize = 2;

/// The picture of samples next to the GAN weights at `out`.
pub(super) fn samples_path(out: &Path) -> PathBuf {
    sibling(out, ".samples.png")
}

/// Writes an 8×8 grid of samples from latents drawn from seed 0 next to the weights at `out`
/// (`<out>.samples.png`), returning its path.
pub(super) fn write_samples(training: &GanTraining, out: &Path) -> Result<PathBuf, Error> {
    let path = samples_path(out);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let latent = training.gan().generator.config().latent;
    let images =
        training
            .gan()
            .generator
            .generate(&uniform_latents(&mut rng, GRID * GRID, latent)?)?;
    let (shape, picture) = crate::models::gan::tile(&images, GRID, GAP)?;
    // A failed write after training is a failed run (exit 1), as the network's own errors are.
    write_png_u8(&path, &shape, &picture)
        .map_err(|e| Error::Network(candle_core::Error::Msg(e.to_string())))?;
    Ok(path)
}
