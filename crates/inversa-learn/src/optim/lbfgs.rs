//! Limited-memory BFGS with a backtracking (Armijo) line search: Liu & Nocedal, "On the limited
//! memory BFGS method for large scale optimization", Math. Programming 1989; the two-loop
//! recursion of Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4.
//!
//! `d = −H∇f` from the last `memory` pairs `(s, y)` with `H₀ = (sᵀy / yᵀy) I`; the step `t`
//! starts at 1 and halves until `f(x + t d) ≤ f(x) + 10⁻⁴ t ∇fᵀd`. A step that fails the
//! curvature condition (`sᵀy ≤ 10⁻¹⁰‖s‖‖y‖`) or a non-descent direction restarts the memory.

use inversa::krylov::dense::dot;
use inversa::Control;

/// Settings of [`minimise`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lbfgs {
    pub iterations: usize,
    pub memory: usize,
    /// Stop when `‖∇f‖∞` falls below this.
    pub gradient_tolerance: f64,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Self {
            iterations: 100,
            memory: 10,
            gradient_tolerance: 1e-10,
        }
    }
}

/// Minimises `f` (returning the value and gradient at a point) from `x`, in place; calls
/// `progress(iteration, value)` after every accepted step, stopping when it says so. Returns the
/// final value.
pub fn minimise<E>(
    settings: Lbfgs,
    x: &mut [f64],
    mut f: impl FnMut(&[f64]) -> Result<(f64, Vec<f64>), E>,
    mut progress: impl FnMut(usize, f64) -> Control,
) -> Result<f64, E> {
    let (mut value, mut gradient) = f(x)?;
    let mut pairs: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for iteration in 0..settings.iterations {
        if gradient
            .iter()
            .all(|g| g.abs() < settings.gradient_tolerance)
        {
            break;
        }
        let mut direction = two_loop(&pairs, &gradient);
        let mut slope = dot(&gradient, &direction);
        if slope >= 0.0 {
            pairs.clear();
            direction = gradient.iter().map(|g| -g).collect();
            slope = dot(&gradient, &direction);
        }
        let mut step = 1.0;
        let (candidate, next_value, next_gradient) = loop {
            let candidate: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(a, d)| a + step * d)
                .collect();
            let (v, g) = f(&candidate)?;
            if v <= value + 1e-4 * step * slope || step < 1e-12 {
                break (candidate, v, g);
            }
            step *= 0.5;
        };
        let s: Vec<f64> = candidate.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        if sy > 1e-10 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            pairs.push((s, y, 1.0 / sy));
            if pairs.len() > settings.memory {
                pairs.remove(0);
            }
        } else {
            // Without a Wolfe line search the curvature can come out non-positive; the old pairs
            // then describe another region, and keeping them stalls the method.
            pairs.clear();
        }
        x.copy_from_slice(&candidate);
        (value, gradient) = (next_value, next_gradient);
        if progress(iteration, value) == Control::Stop {
            break;
        }
    }
    Ok(value)
}

/// `−H∇f` by the two-loop recursion over `(s, y, 1/sᵀy)` pairs, oldest first.
fn two_loop(pairs: &[(Vec<f64>, Vec<f64>, f64)], gradient: &[f64]) -> Vec<f64> {
    let mut q = gradient.to_vec();
    let mut alphas = Vec::with_capacity(pairs.len());
    for (s, y, rho) in pairs.iter().rev() {
        let alpha = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= alpha * yi);
        alphas.push(alpha);
    }
    if let Some((s, y, _)) = pairs.last() {
        let scale = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|qi| *qi *= scale);
    }
    for ((s, y, rho), alpha) in pairs.iter().zip(alphas.iter().rev()) {
        let beta = rho * dot(y, &q);
        q.iter_mut()
            .zip(s)
            .for_each(|(qi, si)| *qi += (alpha - beta) * si);
    }
    q.iter_mut().for_each(|qi| *qi = -*qi);
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let mut x = [-1.2, 1.0];
        let rosenbrock = |p: &[f64]| -> Result<(f64, Vec<f64>), ()> {
            let (a, b) = (p[0], p[1]);
            let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let gradient = vec![
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ];
            Ok((value, gradient))
        };
        let value = minimise(Lbfgs::default(), &mut x, rosenbrock, |_, _| {
            Control::Continue
        })
        .unwrap();
        assert!(value < 1e-12, "{value}");
        assert!(
            (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
            "{x:?}"
        );
    }
}
