//! Pieces the PDE experiments share: an explicit finite-volume solver for heterogeneous
//! Fisher–Kolmogorov reaction–diffusion on a masked 2-D grid ([`reaction_diffusion`]) and sensors
//! that observe a field through noise and thresholds ([`sensors`]); a small tanh network in candle
//! whose forward pass carries its input derivatives, for physics-informed losses ([`mlp`]); a
//! spectral ETDRK4 solver of the Kuramoto–Sivashinsky equation ([`kuramoto_sivashinsky`]); a
//! pseudo-spectral solver of 2-D Navier–Stokes with Kolmogorov forcing ([`kolmogorov_flow`]).

pub mod kolmogorov_flow;
pub mod kuramoto_sivashinsky;
pub mod mlp;
pub mod reaction_diffusion;
pub mod sensors;

#[cfg(test)]
mod kolmogorov_tests;
#[cfg(test)]
mod tests;
