//! Learned solvers: deep conjugate directions ([`deep_cd`]) and the diffusion posterior samplers
//! as task-file solvers ([`diffusion_sampler`]), with IDM's fine-tuned chain ([`idm`]), and the
//! learned MRI reconstructions: the recurrent inference machine ([`rim`]) and the Recurrent
//! Variational Network ([`recurrent_varnet`]).

pub mod deep_cd;
pub mod diffusion_sampler;
pub mod idm;
pub mod recurrent_varnet;
pub mod rim;
