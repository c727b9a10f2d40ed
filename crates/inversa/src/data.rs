//! Test images compiled into the library, so the demo and the tests work from any folder with no
//! download. The photographs are CC0 / public domain from scikit-image's data folder (see
//! `data/README.md`); the Shepp–Logan phantom is drawn from its ellipses. A task file names them as
//! `"builtin:camera"`.

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

/// Side of the built-in Shepp–Logan phantom, and its supersampling per pixel side.
const PHANTOM_SIZE: usize = 256;
const PHANTOM_SUPERSAMPLING: usize = 4;

/// Name and description of the generated (not stored) built-in image.
pub const BUILTIN_PHANTOM: (&str, &str) = (
    "phantom",
    "modified Shepp–Logan phantom, 256×256, drawn from its ellipses",
);

/// The prefix that marks a built-in image in a task file.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// Decodes the built-in image `name` as `[channels, height, width]` in [0, 1].
pub fn builtin_image(name: &str) -> Result<Array> {
    if name == BUILTIN_PHANTOM.0 {
        let pixels = crate::phantom::rasterize(
            &crate::phantom::modified_shepp_logan(),
            PHANTOM_SIZE,
            PHANTOM_SUPERSAMPLING,
        );
        return Array::new(vec![1, PHANTOM_SIZE, PHANTOM_SIZE], pixels);
    }
    let (_, bytes, _) = BUILTIN_IMAGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| {
            let mut names: Vec<&str> = BUILTIN_IMAGES.iter().map(|(n, _, _)| *n).collect();
            names.push(BUILTIN_PHANTOM.0);
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
