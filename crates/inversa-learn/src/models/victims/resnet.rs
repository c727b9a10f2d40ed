//! A small residual classifier for gradient-inversion audits: two stages of one residual block
//! each (He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016), the
//! family of the ResNets attacked by Geiping et al. ("Inverting Gradients", NeurIPS 2020), here
//! narrow and without batch normalisation (whose batch statistics would tie a client's images
//! together):
//!
//! ```text
//! conv 3×3 C→16, ReLU, x ↦ ReLU(x + conv(ReLU(conv x))), maxpool 2,
//! conv 3×3 16→32, ReLU, x ↦ ReLU(x + conv(ReLU(conv x))), maxpool 2,
//! [dropout], linear 32·⌊H/4⌋·⌊W/4⌋ → classes
//! ```
//!
//! Its parameter gradient is the explicit one of [`super::explicit_network`].

use super::explicit_network::{ExplicitNetwork, Layer};
use candle_core::Result;

/// The ResNet for `[channels, height, width]` images and `classes` outputs, initialised as
/// PyTorch initialises its layers, from `seed`.
pub fn random(
    (channels, height, width): (usize, usize, usize),
    classes: usize,
    seed: u64,
) -> Result<ExplicitNetwork> {
    if height < 4 || width < 4 {
        candle_core::bail!("the ResNet needs images of at least 4×4, got {height}×{width}");
    }
    let block = || Layer::Residual(vec![Layer::Conv, Layer::Relu, Layer::Conv]);
    let layers = vec![
        Layer::Conv,
        Layer::Relu,
        block(),
        Layer::Relu,
        Layer::MaxPool,
        Layer::Conv,
        Layer::Relu,
        block(),
        Layer::Relu,
        Layer::MaxPool,
        Layer::Flatten,
        Layer::Dropout,
        Layer::Linear,
    ];
    let features = 32 * (height / 4) * (width / 4);
    let shapes = [
        (channels, 16, 3),
        (16, 16, 3),
        (16, 16, 3),
        (16, 32, 3),
        (32, 32, 3),
        (32, 32, 3),
        (features, classes, 1),
    ];
    ExplicitNetwork::random(layers, &shapes, seed)
}
