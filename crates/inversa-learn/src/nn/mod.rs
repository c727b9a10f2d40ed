//! Network building blocks: 2-D convolution (im2col and Winograd, with fused bias and ReLU),
//! the dihedral symmetries used for self-ensembles, weights files, and the bridge that puts a
//! core [`inversa::operators::LinearOperator`] into a candle autodiff graph.

pub mod bias_relu;
pub mod conv2d;
pub mod dihedral;
pub mod operator_bridge;
pub mod weights;
