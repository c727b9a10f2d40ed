//! Invertible Diffusion Models (IDM): a few DDIM steps of a pretrained noise predictor, fine-tuned
//! end to end as one compressed-sensing reconstruction network, with the measurement injected into
//! the network and both the sampling chain and the network's blocks made reversible, so that the
//! memory of training does not grow with the number of steps.
//!
//! Chen, Zhang, Li, Zhao, Yu, Zhao, Chen, Zhang, "Invertible Diffusion Models for Compressed
//! Sensing", IEEE TPAMI 2025, arXiv:2403.17006 (reference code github.com/Guaishou74851/IDM).
//!
//! From a measurement `y = A x₀` ([`sensing`]: `A†`, `Π = A†A` as dense tensors):
//!
//! ```text
//! x_S = √ᾱ_S · x_y                                   (x_y: the state of A†y; no noise)
//! (x¹, x²) = (x_S, s·x_S)
//! for k = S … 1:   (x¹, x²) ← ((1 − v_k)·F_k(x¹) + v_k·x², x¹)
//!    F_k(x) = √ᾱ_{k−1}·P(x̂₀) + √(1−ᾱ_{k−1})·ε̂,  x̂₀ = (x − √(1−ᾱ_k) ε̂)/√ᾱ_k,
//!    P(x̂₀) = x̂₀ − A†(A x̂₀ − y),  ε̂ = ε_θ(x, τ_k; [·, Π·, x_y] injected at every level)
//! x̂ = x¹ + m·x²
//! ```
//!
//! trained on `‖x̂ − x₀‖₁` (the paper's loss) with Adam over every weight of the network, the
//! injectors and the scalars `s, m, v` ([`chain`], [`network`], [`coupling`]).
//!
//! What differs from the paper, and why:
//! - The network is the bundled 32×32 Fashion-MNIST UNet (pixel space), not Stable Diffusion; its
//!   timestep embedding is kept (frozen) and the levels `τ_k = k·⌊start/S⌋`-spaced on its training
//!   schedule, instead of a learned `ᾱ` with the embedding removed: this network's blocks are told
//!   the time, and the embedding ties `ᾱ_k` to `τ_k`. The default `start` (450) puts `ᾱ_S` near
//!   the paper's learned 0.125 for `S = 3`.
//! - `A†` and `Π` are the regularised pseudo-inverse and projector of any operator (the paper's
//!   orthonormal rows make them `Aᵀ` and `AᵀA`), so the same weights run on any CS matrix.
//! - The injectors' output convolutions start at zero (the paper's default initialisation is
//!   random), so fine-tuning starts from the pretrained network plus the couplings.

pub mod chain;
pub mod compare;
pub mod coupling;
pub mod network;
pub mod sensing;
#[cfg(test)]
mod tests;
mod weights;

pub use chain::{Backprop, Chain};
pub use network::IdmNet;
pub use sensing::{Geometry, Measured, Operator};
pub use weights::{Idm, IdmConfig, ARCHITECTURE, PINV_DELTA};
