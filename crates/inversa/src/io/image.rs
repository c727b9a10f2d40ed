//! Small image helpers that the task reader, the data sets and the CLI share: grey from colour
//! (BT.709 luminance), block-average downscaling, and laying images out in a grid.

use super::Array;

/// Luminance `0.2125 R + 0.7154 G + 0.0721 B` (ITU-R BT.709, as scikit-image's `rgb2gray`) of a
/// `[3, h, w]` image as `[1, h, w]`; any other shape is returned as it is.
///
/// ```
/// use inversa::io::{image::to_grey, Array};
/// let rgb = Array::new(vec![3, 1, 1], vec![1.0, 1.0, 1.0])?;
/// assert!((to_grey(rgb).data[0] - 1.0).abs() < 1e-12);
/// # Ok::<(), inversa::Error>(())
/// ```
pub fn to_grey(image: Array) -> Array {
    let [3, h, w] = image.shape[..] else {
        return image;
    };
    let Some(plane) = h
        .checked_mul(w)
        .filter(|p| p.checked_mul(3) == Some(image.data.len()))
    else {
        return image;
    };
    let (r, rest) = image.data.split_at(plane);
    let (g, b) = rest.split_at(plane);
    let data = r
        .iter()
        .zip(g)
        .zip(b)
        .map(|((r, g), b)| 0.2125 * r + 0.7154 * g + 0.0721 * b)
        .collect();
    Array {
        shape: vec![1, h, w],
        data,
    }
}

/// Averages `factor × factor` blocks of a `[c, h, w]` image (dropping a remainder at the
/// bottom/right edge); `None` when the factor leaves no pixel or the array is not a `[c, h, w]`
/// image.
///
/// ```
/// use inversa::io::{image::box_downscale, Array};
/// let image = Array::new(vec![1, 2, 3], vec![0.0, 1.0, 9.0, 2.0, 3.0, 9.0])?;
/// assert_eq!(box_downscale(image, 2).unwrap().data, vec![1.5]);
/// # Ok::<(), inversa::Error>(())
/// ```
pub fn box_downscale(image: Array, factor: usize) -> Option<Array> {
    let [c, h, w] = image.shape[..] else {
        return None;
    };
    if factor == 1 {
        return Some(image);
    }
    let (oh, ow) = (h.checked_div(factor)?, w.checked_div(factor)?);
    if oh == 0 || ow == 0 || c.checked_mul(h)?.checked_mul(w) != Some(image.data.len()) {
        return None;
    }
    // Smaller than the image, so no product overflows.
    let mut data = vec![0.0; c * oh * ow];
    let scale = 1.0 / (factor as f64 * factor as f64);
    for ch in 0..c {
        for i in 0..oh * factor {
            for j in 0..ow * factor {
                data[(ch * oh + i / factor) * ow + j / factor] +=
                    scale * image.data[(ch * h + i) * w + j];
            }
        }
    }
    Some(Array {
        shape: vec![c, oh, ow],
        data,
    })
}

/// Lays out grey `height × width` images (stored one after another in `images`) `columns` to a row,
/// `gap` white pixels apart: the picture's shape `[1, H, W]` and its pixels, white (1) where no
/// image falls (the gaps and the rest of the last row).
///
/// ```
/// let images = [0.0f32, 0.0, 0.5, 0.5]; // two 1×2 images
/// let (shape, picture) = inversa::io::image::tile(&images, (1, 2), 1, 1);
/// assert_eq!(shape, vec![1, 3, 2]);
/// assert_eq!(picture, vec![0.0, 0.0, 1.0, 1.0, 0.5, 0.5]);
/// ```
pub fn tile(
    images: &[f32],
    (height, width): (usize, usize),
    columns: usize,
    gap: usize,
) -> (Vec<usize>, Vec<f32>) {
    let count = images.len() / (height * width).max(1);
    let rows = count.div_ceil(columns.max(1));
    let total_height = (rows * (height + gap)).saturating_sub(gap);
    let total_width = (columns * (width + gap)).saturating_sub(gap);
    let mut picture = vec![1.0f32; total_height * total_width];
    for (k, image) in images.chunks(height * width).enumerate() {
        let (top, left) = (
            (k / columns) * (height + gap),
            (k % columns) * (width + gap),
        );
        for (r, line) in image.chunks(width).enumerate() {
            picture[(top + r) * total_width + left..][..width].copy_from_slice(line);
        }
    }
    (vec![1, total_height, total_width], picture)
}
