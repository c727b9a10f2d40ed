//! Error measures shared by the experiments' accuracy checks.

use num_complex::Complex64;

/// `max |a − b| / max |b|`: the worst entry's error relative to the reference `b`'s largest entry.
pub fn sup_relative_error(a: &[Complex64], b: &[Complex64]) -> f64 {
    let scale = b.iter().map(|v| v.norm()).fold(0.0, f64::max);
    let error = a
        .iter()
        .zip(b)
        .map(|(p, q)| (p - q).norm())
        .fold(0.0, f64::max);
    error / scale
}
