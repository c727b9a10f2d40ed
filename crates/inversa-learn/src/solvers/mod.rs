//! Learned solvers: deep conjugate directions ([`deep_cd`]) and the diffusion posterior samplers
//! as task-file solvers ([`diffusion_sampler`]), with IDM's fine-tuned chain ([`idm`]), and the
//! recurrent inference machine for MRI ([`rim`]).

pub mod deep_cd;
pub mod diffusion_sampler;
pub mod idm;
pub mod rim;
