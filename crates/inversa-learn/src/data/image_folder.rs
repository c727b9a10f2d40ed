//! A folder of training images: every `.png` in it (not in sub-folders), grey or RGB, 8- or 16-bit,
//! read once as a grey `[H, W]` image in [0, 1]. RGB images become their luminance
//! `0.2125 R + 0.7154 G + 0.0721 B` (as the task files' `grey = true` and scikit-image's
//! `rgb2gray`): the grey networks learn the statistics of one natural-image channel, and keeping
//! R, G, B as three images would count each picture three times with nearly equal planes.
//!
//! [`ImageFolder::sample_batch`] draws random square crops, each under one of the 8 symmetries of
//! the square (flips and 90° rotations), from a seeded generator: the same seed gives the same batch.

use candle_core::{Device, Tensor};
use inversa::io::read_png;
use inversa::{Error, Result};
use rand::Rng;
use std::path::{Path, PathBuf};

/// One grey image, row-major.
#[derive(Clone, Debug)]
pub struct GreyImage {
    /// The file it was read from.
    pub path: PathBuf,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<f32>,
}

/// The images of a folder, sorted by file name.
#[derive(Clone, Debug)]
pub struct ImageFolder {
    images: Vec<GreyImage>,
}

impl ImageFolder {
    /// Reads every `.png` in `folder`; each must be at least `min_side` pixels in both directions
    /// (the crop size when training; 1 for validation images, which are used whole).
    pub fn read(folder: &Path, min_side: usize) -> Result<Self> {
        let entries = std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| Error::io(folder, e))?.path();
            let is_png = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if is_png && path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(Error::format(
                folder,
                "no .png images in this folder (training reads the PNG files directly inside it)",
            ));
        }
        paths.sort();
        let images = paths
            .into_iter()
            .map(|path| read_grey(&path, min_side))
            .collect::<Result<_>>()?;
        Ok(Self { images })
    }

    /// The images given (at least one), e.g. bundled slices.
    pub fn from_images(images: Vec<GreyImage>) -> Result<Self> {
        match images.first() {
            Some(_) => Ok(Self { images }),
            None => Err(Error::config("images", "no training images")),
        }
    }

    /// The images, in file-name order.
    pub fn images(&self) -> &[GreyImage] {
        &self.images
    }

    /// `batch` random `crop × crop` patches, `[batch, 1, crop, crop]`: an image chosen with
    /// probability proportional to its number of possible crops (so that every patch of the folder
    /// is equally likely), a uniform position, and one of the 8 dihedral transforms.
    pub fn sample_batch<R: Rng>(
        &self,
        rng: &mut R,
        batch: usize,
        crop: usize,
    ) -> candle_core::Result<Tensor> {
        if let Some(small) = self
            .images
            .iter()
            .find(|im| im.height < crop || im.width < crop || crop == 0)
        {
            candle_core::bail!(
                "{}: {}×{} cannot give {crop}×{crop} crops",
                small.path.display(),
                small.height,
                small.width
            );
        }
        // The number of crops of an image is below its number of pixels, which is in memory.
        let weights: Vec<usize> = self
            .images
            .iter()
            .map(|im| (im.height + 1 - crop) * (im.width + 1 - crop))
            .collect();
        let total = weights
            .iter()
            .try_fold(0usize, |t, &w| t.checked_add(w))
            .ok_or_else(|| candle_core::Error::msg("the folder has more crops than usize holds"))?;
        let size = inversa::memory::check_array("batch", &[batch, crop, crop], 4, 1)
            .map_err(candle_core::Error::wrap)?;
        let mut data = Vec::with_capacity(size);
        for _ in 0..batch {
            let mut pick = rng.gen_range(0..total);
            let index = weights
                .iter()
                .position(|&w| {
                    let here = pick < w;
                    pick = pick.saturating_sub(w);
                    here
                })
                .unwrap_or(0);
            let image = &self.images[index];
            let top = rng.gen_range(0..=image.height - crop);
            let left = rng.gen_range(0..=image.width - crop);
            let symmetry = rng.gen_range(0..8u8);
            push_crop(image, top, left, crop, symmetry, &mut data);
        }
        Tensor::from_vec(data, (batch, 1, crop, crop), &Device::Cpu)
    }
}

/// Reads `path` as a grey image of at least `min_side × min_side`.
pub fn read_grey(path: &Path, min_side: usize) -> Result<GreyImage> {
    let array = inversa::io::image::to_grey(read_png(path)?);
    let [1, height, width] = array.shape[..] else {
        return Err(Error::format(
            path,
            format!("expected a grey or RGB image, read shape {:?}", array.shape),
        ));
    };
    if height < min_side || width < min_side {
        return Err(Error::format(
            path,
            format!("the image is {height}×{width}, smaller than the {min_side}×{min_side} crop"),
        ));
    }
    let pixels = array.data.iter().map(|&v| v as f32).collect();
    Ok(GreyImage {
        path: path.to_path_buf(),
        height,
        width,
        pixels,
    })
}

/// Appends the `crop × crop` patch at `(top, left)` under dihedral transform `symmetry` (bit 0:
/// transpose, bit 1: flip rows, bit 2: flip columns; together the 8 symmetries of the square).
fn push_crop(
    image: &GreyImage,
    top: usize,
    left: usize,
    crop: usize,
    symmetry: u8,
    out: &mut Vec<f32>,
) {
    for i in 0..crop {
        for j in 0..crop {
            let (mut r, mut c) = if symmetry & 1 == 1 { (j, i) } else { (i, j) };
            if symmetry & 2 == 2 {
                r = crop - 1 - r;
            }
            if symmetry & 4 == 4 {
                c = crop - 1 - c;
            }
            out.push(image.pixels[(top + r) * image.width + left + c]);
        }
    }
}
