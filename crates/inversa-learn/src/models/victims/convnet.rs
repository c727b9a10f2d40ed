//! A small convolutional classifier for gradient-inversion audits, in the spirit of the
//! "ConvNet" of Geiping et al. ("Inverting Gradients", NeurIPS 2020, §5) but narrower and without
//! batch normalisation (whose batch statistics would tie a client's images together):
//!
//! ```text
//! conv 3×3 C→16, ReLU, conv 3×3 16→32, ReLU, maxpool 2,
//! conv 3×3 32→64, ReLU, maxpool 2, [dropout], linear 64·⌊H/4⌋·⌊W/4⌋ → classes
//! ```
//!
//! Its parameter gradient is the explicit one of [`super::explicit_network`].

use super::explicit_network::{ExplicitNetwork, Layer};
use candle_core::Result;

/// The ConvNet for `[channels, height, width]` images and `classes` outputs, initialised as
/// PyTorch initialises its layers, from `seed`.
pub fn random(
    (channels, height, width): (usize, usize, usize),
    classes: usize,
    seed: u64,
) -> Result<ExplicitNetwork> {
    if height < 4 || width < 4 {
        candle_core::bail!("the ConvNet needs images of at least 4×4, got {height}×{width}");
    }
    let layers = vec![
        Layer::Conv,
        Layer::Relu,
        Layer::Conv,
        Layer::Relu,
        Layer::MaxPool,
        Layer::Conv,
        Layer::Relu,
        Layer::MaxPool,
        Layer::Flatten,
        Layer::Dropout,
        Layer::Linear,
    ];
    let features = 64 * (height / 4) * (width / 4);
    let shapes = [
        (channels, 16, 3),
        (16, 32, 3),
        (32, 64, 3),
        (features, classes, 1),
    ];
    ExplicitNetwork::random(layers, &shapes, seed)
}
