//! Test images compiled into the library, so the demo and the tests work from any folder with no
//! download. All are CC0 / public domain from scikit-image's data folder (see `data/README.md`). A
//! task file names them as `"builtin:camera"`.

use crate::error::{Error, Result};
use crate::io::{decode_png, Array};
use std::path::Path;

/// `(name, PNG bytes, description)` of every built-in image.
pub const BUILTIN_IMAGES: &[(&str, &[u8], &str)] = &[
    (
        "camera",
        include_bytes!("../../../data/camera.png"),
        "cameraman, 512×512 grey (CC0, Lav Varshney)",
    ),
    (
        "chelsea",
        include_bytes!("../../../data/chelsea.png"),
        "a cat, 300×451 RGB (CC0, Stefan van der Walt)",
    ),
    (
        "brick",
        include_bytes!("../../../data/brick.png"),
        "brick wall texture, 512×512 grey (CC0Textures)",
    ),
];

/// The prefix that marks a built-in image in a task file.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// Decodes the built-in image `name` as `[channels, height, width]` in [0, 1].
pub fn builtin_image(name: &str) -> Result<Array> {
    let (_, bytes, _) = BUILTIN_IMAGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| {
            let names: Vec<&str> = BUILTIN_IMAGES.iter().map(|(n, _, _)| *n).collect();
            Error::config(
                "data.image",
                format!(
                    "no built-in image \"{name}\"; built-in images: {}",
                    names.join(", ")
                ),
            )
        })?;
    decode_png(bytes, Path::new(&format!("{BUILTIN_PREFIX}{name}")))
}
