//! Network building blocks: 2-D convolution (im2col and Winograd, with fused bias and ReLU),
//! the dihedral symmetries used for self-ensembles, weights files, the bridge that puts a core
//! [`inversa::operators::LinearOperator`] into a candle autodiff graph, and a heap-peak counter.

pub mod bias_relu;
pub mod conv2d;
pub mod dihedral;
pub mod heap_peak;
pub mod operator_bridge;
pub mod weights;
