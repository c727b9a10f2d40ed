//! The gradient-based baseline: Adam (Kingma & Ba, ICLR 2015) on the negative log-likelihood in
//! box coordinates, with the gradient from forward differences, `∂f/∂z_i ≈ (f(z + δ e_i) −
//! f(z)) / δ`: five simulations per step, run in parallel. (An adjoint solve would give the
//! gradient for the price of about two simulations; with four parameters the differences cost
//! 2.5× that, and need no second solver, so the comparison flatters the adjoint method by at most
//! that factor.)

use super::search::{Objectives, Trace};
use crate::Result;

/// Difference step in box coordinates (the box is `[0, 1]⁴`, a cell is about 0.01 of it).
const DELTA: f64 = 1e-3;

/// `iterations` Adam steps of size `rate` from `start`; the trace has a round per step.
pub fn minimise(
    objectives: &Objectives,
    start: [f64; 4],
    rate: f64,
    iterations: usize,
) -> Result<Trace> {
    let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8);
    let (mut z, mut m, mut v) = (start, [0.0; 4], [0.0; 4]);
    let mut trace = Trace::start();
    for t in 1..=iterations {
        let mut points = vec![z];
        points.extend((0..4).map(|i| {
            let mut p = z;
            p[i] += DELTA;
            p
        }));
        let values = objectives(&points)?;
        trace.saw(&points, &values);
        for i in 0..4 {
            let g = (values[i + 1] - values[0]) / DELTA;
            m[i] = beta1 * m[i] + (1.0 - beta1) * g;
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
            let m_hat = m[i] / (1.0 - beta1.powi(t as i32));
            let v_hat = v[i] / (1.0 - beta2.powi(t as i32));
            z[i] -= rate * m_hat / (v_hat.sqrt() + epsilon);
        }
        trace.round();
    }
    Ok(trace)
}
