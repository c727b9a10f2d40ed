//! Learned solvers: deep conjugate directions ([`deep_cd`]) and the diffusion posterior samplers
//! as task-file solvers ([`diffusion_sampler`]).

pub mod deep_cd;
pub mod diffusion_sampler;
