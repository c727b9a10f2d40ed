//! `reconstruction.png`: each original beside the reconstruction matched to it.

use crate::outcome::Artifact;
use candle_core::{Result, Tensor};

/// Pixels between the columns and between the rows.
const GAP: usize = 2;

/// The images of a `[B, 1, H, W]` batch, each flattened.
pub(super) fn split_batch(images: &Tensor) -> Result<Vec<Vec<f32>>> {
    (0..images.dim(0)?)
        .map(|b| images.get(b)?.flatten_all()?.to_vec1::<f32>())
        .collect()
}

/// One row per image of the batch: the original, a white gap, the reconstruction that
/// `matched_originals` pairs with it; rows separated by the same gap.
pub(super) fn side_by_side(
    originals: &[Vec<f32>],
    rebuilt: &[Vec<f32>],
    matched_originals: &[usize],
    (height, width): (usize, usize),
) -> Artifact {
    let mut matched = vec![0; originals.len()];
    for (k, &o) in matched_originals.iter().enumerate() {
        matched[o] = k;
    }
    let picture_width = 2 * width + GAP;
    let picture_height = originals.len() * (height + GAP) - GAP;
    let mut pixels = vec![1.0f32; picture_height * picture_width];
    for (o, original) in originals.iter().enumerate() {
        for r in 0..height {
            let line = &mut pixels[(o * (height + GAP) + r) * picture_width..][..picture_width];
            line[..width].copy_from_slice(&original[r * width..(r + 1) * width]);
            line[width + GAP..].copy_from_slice(&rebuilt[matched[o]][r * width..(r + 1) * width]);
        }
    }
    Artifact::Image {
        shape: vec![1, picture_height, picture_width],
        pixels,
    }
}
