//! Federated learning with slow clients: [`asynchronous`] simulates asynchronous FedAvg in which
//! the clients holding some classes are also the slow ones, and aggregates their stale updates as
//! they are, weighted down by staleness, or converted; [`stale_conversion`] converts a stale update
//! into one on the current model by estimating the client's data with gradient inversion
//! (Wang and Gao, arXiv:2309.13536); [`mlp`] is the model, with an explicit parameter gradient
//! that the inversion differentiates.

pub mod asynchronous;
pub mod mlp;
pub mod stale_conversion;
