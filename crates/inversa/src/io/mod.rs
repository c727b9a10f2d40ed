//! Reading and writing images and arrays: PNG (8- and 16-bit, grey/RGB), NPY (`<f4`, `<f8`, `|u1`,
//! `<u2`, complex) and BART's `.cfl`/`.hdr` pairs ([`cfl`]). Images are `[channels, height, width]` with values in [0, 1]. Every write goes to a
//! temporary name in the same folder and is renamed into place, so a crash never leaves half a file
//! and nothing is ever partly overwritten.

use crate::error::{Error, Result};
use std::path::Path;

pub mod cfl;
pub mod image;
pub mod ismrmrd;
pub mod npy;
pub mod overlap;
pub mod png_image;
pub mod twix;

pub use npy::{decode_npy, read_npy, write_npy_f32, write_npy_f64};
pub use png_image::{decode_png, read_png, write_png_u16, write_png_u8};

/// A dense array of `f64` with its shape, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Array {
    /// Wraps `data`, checking that it has `shape`'s number of entries.
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Result<Self> {
        let len = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if len != Some(data.len()) {
            return Err(Error::Shape(format!(
                "shape {shape:?} needs {} values, got {}",
                len.map_or("more than usize::MAX".to_string(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(Self { shape, data })
    }
}

/// The number of elements of the array of `dims` that the header of the file at `origin` declares
/// (`what`, e.g. "a 600×400 RGB image"), refused as a format error naming the file when it
/// overflows or when `element_bytes` per element exceed the [memory ceiling](crate::memory)
/// `limit` (the ceiling itself when `None`). Readers call it before allocating anything.
///
/// ```
/// use inversa::io::check_declared_size;
/// use std::path::Path;
/// let error = check_declared_size(Path::new("big.png"), "a 60000×60000 RGB image", &[60_000, 60_000], 27, Some(1 << 30))
///     .unwrap_err()
///     .to_string();
/// assert!(error.starts_with("big.png: the header declares a 60000×60000 RGB image, which needs 97.2 GB of memory"), "{error}");
/// ```
pub fn check_declared_size(
    origin: &Path,
    what: &str,
    dims: &[usize],
    element_bytes: usize,
    limit: Option<u64>,
) -> Result<usize> {
    let key = origin.display().to_string();
    let checked = match limit {
        Some(limit) => crate::memory::check_array_under(&key, dims, element_bytes, 1, limit),
        None => crate::memory::check_array(&key, dims, element_bytes, 1),
    };
    checked.map_err(|error| match error {
        Error::Config { key: k, message } if k == key => Error::format(
            origin,
            format!("the header declares {what}, which {message}"),
        ),
        other => other,
    })
}

/// Reads a `.png` as an image or a `.npy` as an array, by extension.
pub fn read_image_or_array(path: &Path) -> Result<Array> {
    match extension(path).as_str() {
        "png" => read_png(path),
        "npy" => read_npy(path),
        other => Err(Error::format(
            path,
            format!("unsupported file type \".{other}\"; expected .png or .npy"),
        )),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::format(path, "not a file path"))?
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(|e| Error::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        Error::io(path, e)
    })
}
