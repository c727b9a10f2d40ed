//! Small instances of the operator algebra for the registry's self-tests.

use super::{blur, denoise, gradient, LinearOperator};
use super::{Composed, Scaled, Stacked, Summed};
use crate::real::{lit, Real};

#[allow(
    clippy::expect_used,
    reason = "self-test examples with fixed, compatible shapes"
)]
pub fn composed<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Composed::new(blur::example(seed), blur::example(seed + 7)).expect("shapes agree"))
}

#[allow(
    clippy::expect_used,
    reason = "self-test examples with fixed, compatible shapes"
)]
pub fn summed<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Summed::new(blur::example(seed), denoise::example(seed)).expect("shapes agree"))
}

pub fn scaled<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Scaled::new(lit(-2.5), blur::example(seed)))
}

#[allow(
    clippy::expect_used,
    reason = "self-test examples with fixed, compatible shapes"
)]
pub fn stacked<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(
        Stacked::new(vec![blur::example(seed), gradient::example(seed)]).expect("shapes agree"),
    )
}
