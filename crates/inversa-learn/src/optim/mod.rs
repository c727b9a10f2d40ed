//! Optimisers for candle variables and plain vectors: Adam (with its resumable state), L-BFGS,
//! and learning-rate schedules.

pub mod adam;
pub mod lbfgs;
pub mod lr_schedule;
