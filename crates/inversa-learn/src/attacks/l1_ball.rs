//! Euclidean projection onto an ℓ1 ball, the constraint of IF-GMI's intermediate features
//! ([`super::if_gmi`]): Duchi, Shalev-Shwartz, Singer, Chandra, "Efficient projections onto the
//! ℓ1-ball for learning in high dimensions", ICML 2008, Figure 1 (the O(n log n) sorting
//! algorithm).
//!
//! `P(v) = argmin_{‖u‖₁ ≤ r} ‖u − v‖₂`. If `‖v‖₁ ≤ r`, `P(v) = v`. Otherwise, with `μ` the
//! magnitudes `|vᵢ|` sorted in decreasing order,
//! `ρ = max{ j : μⱼ − (Σ_{i≤j} μᵢ − r)/j > 0 }`, `θ = (Σ_{i≤ρ} μᵢ − r)/ρ`, and
//! `P(v)ᵢ = sign(vᵢ)·max(|vᵢ| − θ, 0)`: soft thresholding at the `θ ≥ 0` for which the result has
//! ℓ1 norm exactly `r`.

use candle_core::{Result, Tensor};

/// Projects `v` in place onto the ℓ1 ball of `radius` (≥ 0) centred at 0.
///
/// ```
/// let mut v = [3.0f32, -1.0, 0.5];
/// inversa_learn::attacks::l1_ball::project(&mut v, 2.0);
/// // Soft thresholding at θ = 1 leaves ℓ1 norm 2.
/// assert_eq!(v, [2.0, 0.0, 0.0]);
/// ```
pub fn project(v: &mut [f32], radius: f64) {
    let norm: f64 = v.iter().map(|x| f64::from(x.abs())).sum();
    if norm <= radius {
        return;
    }
    let theta = threshold(v, radius);
    for x in v.iter_mut() {
        let shrunk = (f64::from(x.abs()) - theta).max(0.0);
        *x = (shrunk as f32).copysign(*x);
    }
}

/// Duchi et al.'s `θ` for `v` outside the ball of `radius`.
fn threshold(v: &[f32], radius: f64) -> f64 {
    let mut magnitudes: Vec<f64> = v.iter().map(|x| f64::from(x.abs())).collect();
    magnitudes.sort_by(|a, b| b.total_cmp(a));
    let (mut sum, mut theta) = (0.0, 0.0);
    for (j, &mu) in magnitudes.iter().enumerate() {
        sum += mu;
        let candidate = (sum - radius) / (j + 1) as f64;
        // The condition holds for j = 1 … ρ and fails after ρ (Duchi et al., Lemma 2).
        if mu - candidate <= 0.0 {
            break;
        }
        theta = candidate;
    }
    theta
}

/// Projects each row `b` of `x` `[B, …]` onto the ℓ1 ball of `radius` around row `b` of
/// `centre`: `centre + P(x − centre)`.
pub fn project_around(x: &Tensor, centre: &Tensor, radius: f64) -> Result<Tensor> {
    let mut rows = (x - centre)?.flatten_from(1)?.to_vec2::<f32>()?;
    for row in &mut rows {
        project(row, radius);
    }
    let deviation = Tensor::from_vec(rows.concat(), x.shape(), x.device())?;
    centre + deviation
}

/// The ℓ1 distance of each row of `x` `[B, …]` to the same row of `centre`.
pub fn distances(x: &Tensor, centre: &Tensor) -> Result<Vec<f32>> {
    (x - centre)?
        .abs()?
        .flatten_from(1)?
        .sum(1)?
        .to_vec1::<f32>()
}
