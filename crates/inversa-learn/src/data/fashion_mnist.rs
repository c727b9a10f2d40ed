//! Fashion-MNIST (Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
//! Machine Learning Algorithms", 2017, arXiv:1708.07747): 60,000 training and 10,000 test grey
//! 28×28 images of 10 garment classes, as shipped by the Debian package `dataset-fashion-mnist`
//! in `/usr/share/datasets/fashion-mnist/`.
//!
//! The files are in LeCun's IDX format, gzipped or not: two zero bytes, a type byte (`0x08`:
//! unsigned bytes, the only type read here), the number of dimensions `n`, `n` big-endian `u32`
//! sizes, then the values in row-major order. Images are `[count, rows, cols]`, labels `[count]`.
//!
//! The networks see an image as a `[1, side, side]` tensor in `[−1, 1]` (`2·p/255 − 1`), centred
//! in a square of `side` (32 for the UNet, whose three resolutions need a multiple of 4) by
//! padding with `−1`, the value of a black pixel: Fashion-MNIST's background is black, so the
//! padding continues it.

use candle_core::{Device, Tensor};
use inversa::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The Debian package that installs the data set.
pub const PACKAGE: &str = "dataset-fashion-mnist";

/// Where [`PACKAGE`] puts the files.
pub const DEFAULT_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The side the networks see (28 plus 2 pixels of padding on each side).
pub const SIDE: usize = 32;

/// The class names, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The training or the test part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// The file-name prefix of the part (`train`, `t10k`).
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// Labelled grey images of one size, pixels as bytes.
#[derive(Clone, Debug)]
pub struct LabelledImages {
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl LabelledImages {
    /// Images of `rows × cols` bytes, one label each; errors (naming `origin`) when the sizes
    /// disagree or there is no image.
    pub fn new(
        rows: usize,
        cols: usize,
        pixels: Vec<u8>,
        labels: Vec<u8>,
        origin: &Path,
    ) -> Result<Self> {
        let needed = labels
            .len()
            .checked_mul(rows)
            .and_then(|n| n.checked_mul(cols));
        if labels.is_empty() {
            return Err(Error::format(origin, "holds no image"));
        }
        if rows == 0 || cols == 0 || needed != Some(pixels.len()) {
            return Err(Error::format(
                origin,
                format!(
                    "{} labels do not fit {} pixels of {rows}×{cols} images",
                    labels.len(),
                    pixels.len()
                ),
            ));
        }
        Ok(Self {
            rows,
            cols,
            pixels,
            labels,
        })
    }

    /// The images and labels of a part of Fashion-MNIST in `dir` (`<part>-images-idx3-ubyte` and
    /// `<part>-labels-idx1-ubyte`, each optionally `.gz`).
    pub fn read_fashion_mnist(dir: &Path, split: Split) -> Result<Self> {
        let images_path = find(dir, &format!("{}-images-idx3-ubyte", split.prefix()))?;
        let labels_path = find(dir, &format!("{}-labels-idx1-ubyte", split.prefix()))?;
        let (dims, pixels) = read_idx(&images_path)?;
        let [_, rows, cols] = dims[..] else {
            return Err(Error::format(
                &images_path,
                format!("expected 3 dimensions (count, rows, cols), found {dims:?}"),
            ));
        };
        let (dims, labels) = read_idx(&labels_path)?;
        let images = pixels
            .len()
            .checked_div(rows.saturating_mul(cols))
            .unwrap_or(0);
        if dims[..] != [images] {
            return Err(Error::format(
                &labels_path,
                format!(
                    "holds labels of shape {dims:?}, but {} has {images} images",
                    images_path.display(),
                ),
            ));
        }
        Self::new(rows, cols, pixels, labels, &images_path)
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `(rows, cols)` of every image.
    pub fn size(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Every label.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The images whose label lies in `classes`, relabelled from 0 (label `classes.start()`
    /// becomes 0): e.g. a model-inversion protocol's private or public classes.
    pub fn classes(&self, classes: std::ops::RangeInclusive<u8>) -> Self {
        let kept: Vec<usize> = (0..self.len())
            .filter(|&i| classes.contains(&self.labels[i]))
            .collect();
        Self {
            rows: self.rows,
            cols: self.cols,
            pixels: kept.iter().flat_map(|&i| self.pixels(i)).copied().collect(),
            labels: kept
                .iter()
                .map(|&i| self.labels[i] - classes.start())
                .collect(),
        }
    }

    /// The bytes of image `index`.
    pub fn pixels(&self, index: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.pixels[index * n..(index + 1) * n]
    }

    /// `count` indices drawn uniformly with replacement: a training batch.
    pub fn random_indices(&self, rng: &mut impl rand::Rng, count: usize) -> Vec<usize> {
        (0..count).map(|_| rng.gen_range(0..self.len())).collect()
    }

    /// The images at `indices` as a `[B, 1, side, side]` f32 tensor in `[−1, 1]`, each centred
    /// and padded with `−1` (`side` at least the image size).
    pub fn batch(&self, indices: &[usize], side: usize) -> candle_core::Result<Tensor> {
        if side < self.rows || side < self.cols {
            candle_core::bail!(
                "cannot pad {}×{} images into {side}×{side}",
                self.rows,
                self.cols
            );
        }
        let (top, left) = ((side - self.rows) / 2, (side - self.cols) / 2);
        let mut data = vec![-1.0f32; indices.len() * side * side];
        for (b, &index) in indices.iter().enumerate() {
            let image = &mut data[b * side * side..(b + 1) * side * side];
            for (r, row) in self.pixels(index).chunks(self.cols).enumerate() {
                let start = (top + r) * side + left;
                for (out, &p) in image[start..start + self.cols].iter_mut().zip(row) {
                    *out = f32::from(p) * (2.0 / 255.0) - 1.0;
                }
            }
        }
        Tensor::from_vec(data, (indices.len(), 1, side, side), &Device::Cpu)
    }
}

/// `dir/name`, or `dir/name.gz`; an error naming both and the Debian package when neither exists.
fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    if plain.is_file() {
        return Ok(plain);
    }
    Err({
        Error::format(
            &gz,
            format!(
                "missing (nor is {} there); Fashion-MNIST is in the Debian package {PACKAGE} \
                     (`apt-get install {PACKAGE}` puts it in {DEFAULT_DIR})",
                plain.display()
            ),
        )
    })
}

/// The dimensions and bytes of an unsigned-byte IDX file, gunzipped if it starts with the gzip
/// magic number.
pub fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>)> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        gunzip(&raw).map_err(|e| Error::format(path, e))?
    } else {
        raw
    };
    decode_idx(&bytes).map_err(|message| Error::format(path, format!("not an IDX file: {message}")))
}

/// The decompressed content of gzip `bytes`, refused once it passes the
/// [memory ceiling](inversa::memory) (a gzip bomb never gets the chance to exhaust the machine).
pub(crate) fn gunzip(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    gunzip_within(
        bytes,
        inversa::memory::ceiling().map_err(|e| e.to_string())?,
    )
}

/// [`gunzip`] under `limit` bytes of output.
fn gunzip_within(bytes: &[u8], limit: u64) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("not a readable gzip stream: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "decompresses to more than the memory limit of {limit} bytes; raise it with {} if \
             the machine has the memory",
            inversa::memory::LIMIT_VARIABLE
        ));
    }
    Ok(out)
}

/// Parses IDX `bytes` (header, then unsigned bytes).
pub(crate) fn decode_idx(bytes: &[u8]) -> std::result::Result<(Vec<usize>, Vec<u8>), String> {
    let [0, 0, kind, n, ..] = *bytes else {
        return Err("it must start with two zero bytes, a type and a dimension count".into());
    };
    if kind != 0x08 {
        return Err(format!(
            "element type 0x{kind:02x}; only unsigned bytes (0x08) are read"
        ));
    }
    let header = 4 + 4 * usize::from(n);
    let sizes = bytes
        .get(4..header)
        .filter(|_| n > 0)
        .ok_or_else(|| format!("the header of {n} dimensions is cut short or empty"))?;
    let dims: Vec<usize> = sizes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let data = bytes.get(header..).unwrap_or_default();
    if expected != Some(data.len()) {
        return Err(format!(
            "dimensions {dims:?} need {} bytes of data, the file has {}",
            expected.map_or("too many".to_string(), |e| e.to_string()),
            data.len()
        ));
    }
    Ok((dims, data.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_sizes_that_overflow_or_disagree_with_the_data_are_errors() {
        // [2^32 − 1]^3 overflows usize's product check on the way, never wraps to fit.
        let mut bytes = vec![0, 0, 8, 3];
        bytes.extend_from_slice(&[0xff; 12]);
        bytes.extend_from_slice(&[7; 16]);
        let err = decode_idx(&bytes).unwrap_err();
        assert_eq!(
            err,
            "dimensions [4294967295, 4294967295, 4294967295] need too many bytes of data, the file has 16"
        );
        assert!(decode_idx(&[0, 0, 8, 2, 0, 0, 0])
            .unwrap_err()
            .contains("cut short"));
        assert_eq!(
            decode_idx(&[0, 0, 8, 1, 0, 0, 0, 2, 5, 6]).unwrap(),
            (vec![2], vec![5, 6])
        );
    }

    #[test]
    fn labelled_images_with_sizes_whose_product_overflows_are_refused() {
        let origin = Path::new("x-idx3-ubyte");
        let err = LabelledImages::new(usize::MAX, 2, vec![0; 4], vec![1, 2], origin)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x-idx3-ubyte: 2 labels do not fit 4 pixels"),
            "{err}"
        );
    }

    #[test]
    fn a_gzip_stream_longer_than_the_limit_stops_at_the_limit() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 8192, "{}", bomb.len());
        let err = gunzip_within(&bomb, 1000).unwrap_err();
        assert!(
            err.starts_with("decompresses to more than the memory limit of 1000 bytes"),
            "{err}"
        );
        assert_eq!(gunzip_within(&bomb, 1 << 20).unwrap().len(), 1 << 20);
    }
}
