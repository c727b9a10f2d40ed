//! Learned priors for the core solvers: plug-and-play denoisers ([`pnp`]) and the Learned Proximal
//! Network's exact prox ([`lpn`]), listed for task files by [`registry`].

pub mod lpn;
pub mod pnp;
pub mod registry;
