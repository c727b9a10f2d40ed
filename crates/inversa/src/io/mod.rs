//! Reading and writing images and arrays: PNG (8- and 16-bit, grey/RGB) and NPY (`<f4`, `<f8`, `|u1`,
//! `<u2`). Images are `[channels, height, width]` with values in [0, 1]. Every write goes to a
//! temporary name in the same folder and is renamed into place, so a crash never leaves half a file
//! and nothing is ever partly overwritten.

use crate::error::{Error, Result};
use std::path::Path;

pub mod image;
pub mod npy;
pub mod overlap;
pub mod png_image;

pub use npy::{read_npy, write_npy_f32};
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
        let len: usize = shape.iter().product();
        if len != data.len() {
            return Err(Error::Shape(format!(
                "shape {shape:?} needs {len} values, got {}",
                data.len()
            )));
        }
        Ok(Self { shape, data })
    }
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
