//! Pieces the PDE experiments share: an explicit finite-volume solver for heterogeneous
//! Fisher–Kolmogorov reaction–diffusion on a masked 2-D grid ([`reaction_diffusion`]) and sensors
//! that observe a field through noise and thresholds ([`sensors`]).

pub mod reaction_diffusion;
pub mod sensors;

#[cfg(test)]
mod tests;
