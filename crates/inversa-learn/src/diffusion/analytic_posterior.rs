//! The exact posterior of the Gaussian-mixture data of [`super::analytic`] under a linear
//! Gaussian measurement: the ground truth that diffusion posterior samplers are measured against.
//!
//! The prior of `x₀ ∈ ℝ^d` is `Σ_j π_j N(μ_j, s_j² I)` (one class's components, or all of them,
//! weights normalised over the selection); the measurement is `y = A x₀ + n` with a dense
//! `m × d` matrix `A` and `n ~ N(0, σ² I_m)`. Conditioning each component on `y` (C. M. Bishop,
//! "Pattern Recognition and Machine Learning", 2006, §2.3.3, eqs. 2.113–2.117) and re-weighting
//! the components by how well each explains `y` gives again a Gaussian mixture,
//!
//! ```text
//! p(x₀ | y) = Σ_j w_j N(x₀; m_j, Σ_j),
//! Σ_j = (I/s_j² + AᵀA/σ²)⁻¹,       m_j = Σ_j (μ_j/s_j² + Aᵀy/σ²),
//! w_j ∝ π_j N(y; A μ_j, s_j² A Aᵀ + σ² I_m).
//! ```
//!
//! Computation, per component, from one Cholesky factor `P_j = L_j L_jᵀ` of the `d × d`
//! precision `P_j = Σ_j⁻¹` (faer):
//!
//! - `m_j` by two triangular solves; a sample is `m_j + L_j⁻ᵀ z`, `z ~ N(0, I_d)`, whose
//!   covariance is `L_j⁻ᵀ L_j⁻¹ = P_j⁻¹`.
//! - The evidence never forms the `m × m` covariance `C_j = s_j² AAᵀ + σ² I_m`. By Sylvester's
//!   determinant identity `det C_j = σ^{2m} s_j^{2d} det P_j`, and the Gaussian quadratic form is
//!   the minimum of the joint one, attained at the posterior mean:
//!   `(y − Aμ_j)ᵀ C_j⁻¹ (y − Aμ_j) = ‖y − A m_j‖²/σ² + ‖m_j − μ_j‖²/s_j²`. Both terms are
//!   non-negative, so nothing cancels as `σ → 0` (Woodbury's `‖r‖²/σ² − …` would). Hence
//!   `ln w̃_j = ln π_j − ½ (m ln 2πσ² + d ln s_j² + 2 Σ_i ln (L_j)_ii + ‖y − A m_j‖²/σ² +
//!   ‖m_j − μ_j‖²/s_j²)`, normalised in the log domain.
//!
//! Cost: `AᵀA` once (`O(m d²)`), then `O(d³/3 + m d)` per component; memory `J + 2` matrices of
//! `d × d`, checked against [`inversa::memory`] before they are allocated, as are the `n × d`
//! samples. Everything is f64.
//!
//! ```
//! use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
//! use inversa_learn::diffusion::analytic_posterior::{DenseMatrix, ExactPosterior};
//! use inversa_learn::diffusion::NoiseSchedule;
//! // One coordinate of N(0, I₂) observed with noise σ = 1 at y = 2: the posterior mean of that
//! // coordinate is y s²/(s² + σ²) = 1, the other stays at 0.
//! let prior = Component { class: 0, weight: 1.0, mean: vec![0.0, 0.0], std: 1.0 };
//! let mixture = GaussianMixture::new(vec![prior], NoiseSchedule::linear(10)?)?;
//! let a = DenseMatrix::new(1, 2, vec![1.0, 0.0])?;
//! let posterior = ExactPosterior::new(&mixture, None, &a, &[2.0], 1.0)?;
//! let mean = posterior.mean();
//! assert!((mean[0] - 1.0).abs() < 1e-12 && mean[1].abs() < 1e-12);
//! # Ok::<(), inversa_learn::Error>(())
//! ```

use super::analytic::GaussianMixture;
use super::bad;
use crate::Result;
use candle_core::{DType, Device, Tensor};
use faer::linalg::solvers::Solve;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::{Col, ColRef, Mat, MatRef, Par, Side};
use inversa::memory;
use inversa::operators::LinearOperator;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// A dense `rows × cols` matrix, stored row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl DenseMatrix {
    /// The matrix with row-major entries `data` (`rows · cols` finite values, both sizes ≥ 1).
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if rows == 0 || cols == 0 || rows.checked_mul(cols) != Some(data.len()) {
            return Err(bad(
                "operator",
                format!(
                    "{rows} × {cols} needs that many entries (≥ 1), not {}",
                    data.len()
                ),
            ));
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(bad("operator", format!("entry {k} is {}", data[k])));
        }
        Ok(Self { rows, cols, data })
    }

    /// The matrix of `operator` (`output_len × input_len`), column `k` being its image of the
    /// `k`-th unit vector: `input_len` applications.
    pub fn from_operator<O: LinearOperator<f64> + ?Sized>(operator: &O) -> Result<Self> {
        let (rows, cols) = (operator.output_len(), operator.input_len());
        memory::check_array("operator", &[rows, cols], 8, 1)?;
        let mut data = vec![0.0; rows * cols];
        let mut unit = vec![0.0; cols];
        let mut image = vec![0.0; rows];
        for k in 0..cols {
            unit[k] = 1.0;
            operator.apply(&unit, &mut image);
            unit[k] = 0.0;
            for (i, v) in image.iter().enumerate() {
                data[i * cols + k] = *v;
            }
        }
        Self::new(rows, cols, data)
    }

    /// `m`, the number of measurements.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// `d`, the dimension of `x`.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The row-major entries.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// `A x` (`x` of length [`Self::cols`]).
    pub fn apply(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() != self.cols {
            return Err(bad(
                "x",
                format!("has {} entries, the operator takes {}", x.len(), self.cols),
            ));
        }
        Ok(self
            .data
            .chunks_exact(self.cols)
            .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
            .collect())
    }

    fn as_faer(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }
}

/// One component `w_j N(m_j, Σ_j)` of the posterior.
#[derive(Clone, Debug)]
pub struct PosteriorComponent {
    /// The class of the prior component it came from.
    pub class: usize,
    /// `w_j`, normalised over the components.
    pub weight: f64,
    /// `ln π_j + ln N(y; A μ_j, s_j² AAᵀ + σ² I)`, the unnormalised log weight.
    pub log_joint: f64,
    /// `m_j`.
    pub mean: Vec<f64>,
    /// The lower Cholesky factor `L_j` of the precision `Σ_j⁻¹ = L_j L_jᵀ`.
    factor: Mat<f64>,
}

impl PosteriorComponent {
    /// `Σ_j = L_j⁻ᵀ L_j⁻¹`, row-major `d × d`.
    pub fn covariance(&self) -> Result<Vec<f64>> {
        let d = self.mean.len();
        memory::check_array("covariance", &[d, d], 8, 2)?;
        let mut inverse = Mat::<f64>::identity(d, d);
        solve_lower_triangular_in_place(self.factor.as_ref(), inverse.as_mut(), Par::Seq);
        let covariance = inverse.transpose() * &inverse;
        Ok(row_major(covariance.as_ref()))
    }

    /// `m_j + L_j⁻ᵀ z` in place of the standard normal `z`.
    fn draw(&self, z: &mut [f64]) {
        let column = faer::ColMut::from_slice_mut(z).as_mat_mut();
        solve_upper_triangular_in_place(self.factor.transpose(), column, Par::Seq);
        z.iter_mut().zip(&self.mean).for_each(|(v, m)| *v += m);
    }
}

/// The exact posterior `p(x₀ | y)` of a [`GaussianMixture`] (see the module header).
#[derive(Clone, Debug)]
pub struct ExactPosterior {
    dim: usize,
    components: Vec<PosteriorComponent>,
    log_evidence: f64,
}

impl ExactPosterior {
    /// The posterior of `x₀` of `class` (or of the whole mixture) given `y = A x₀ + n`,
    /// `n ~ N(0, noise_std² I)`.
    pub fn new(
        mixture: &GaussianMixture,
        class: Option<usize>,
        operator: &DenseMatrix,
        y: &[f64],
        noise_std: f64,
    ) -> Result<Self> {
        let dim = mixture.dim();
        check_measurement(dim, operator, y, noise_std)?;
        let prior = mixture.members(class)?;
        memory::check_array("mixture", &[dim, dim], 8, prior.len() + 2)?;
        let a = operator.as_faer();
        let noise_var = noise_std * noise_std;
        let gram = a.transpose() * a;
        let data_term: Col<f64> = a.transpose() * ColRef::from_slice(y) / noise_var;
        let fit = Fit {
            gram: gram.as_ref(),
            data_term: data_term.as_ref(),
            operator,
            y,
            noise_var,
        };
        let total: f64 = prior.iter().map(|c| c.weight).sum();
        let mut components = prior
            .iter()
            .enumerate()
            .map(|(j, c)| fit.condition(j, c, (c.weight / total).ln()))
            .collect::<Result<Vec<_>>>()?;
        let log_evidence = normalise(&mut components);
        Ok(Self {
            dim,
            components,
            log_evidence,
        })
    }

    /// `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The components `w_j N(m_j, Σ_j)`, in the mixture's order.
    pub fn components(&self) -> &[PosteriorComponent] {
        &self.components
    }

    /// `ln p(y)` under the selected prior (the class's, or the whole mixture's).
    pub fn log_evidence(&self) -> f64 {
        self.log_evidence
    }

    /// `E[x₀ | y] = Σ_j w_j m_j`.
    pub fn mean(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.dim];
        for c in &self.components {
            mean.iter_mut()
                .zip(&c.mean)
                .for_each(|(a, m)| *a += c.weight * m);
        }
        mean
    }

    /// `Cov[x₀ | y] = Σ_j w_j (Σ_j + (m_j − m)(m_j − m)ᵀ)`, row-major `d × d`.
    pub fn covariance(&self) -> Result<Vec<f64>> {
        let d = self.dim;
        memory::check_array("covariance", &[d, d], 8, 3)?;
        let mean = self.mean();
        let mut total = vec![0.0; d * d];
        for c in &self.components {
            let within = c.covariance()?;
            let gap: Vec<f64> = c.mean.iter().zip(&mean).map(|(a, b)| a - b).collect();
            for (k, t) in total.iter_mut().enumerate() {
                *t += c.weight * (within[k] + gap[k / d] * gap[k % d]);
            }
        }
        Ok(total)
    }

    /// `n` independent exact posterior samples from `seed`: per sample a component drawn by its
    /// weight, then `m_j + L_j⁻ᵀ z`.
    pub fn sample(&self, n: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
        memory::check_array("samples", &[n, self.dim], 8, 1)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let component = self.pick(rng.gen::<f64>());
            let mut z: Vec<f64> = (0..self.dim).map(|_| rng.sample(StandardNormal)).collect();
            component.draw(&mut z);
            samples.push(z);
        }
        Ok(samples)
    }

    /// [`Self::sample`] as a `[n, d]` tensor of `dtype` on the CPU.
    pub fn sample_tensor(&self, n: usize, seed: u64, dtype: DType) -> Result<Tensor> {
        memory::check_array("samples", &[n, self.dim], 8, 2)?;
        let flat: Vec<f64> = self.sample(n, seed)?.into_iter().flatten().collect();
        Ok(Tensor::from_vec(flat, (n, self.dim), &Device::Cpu)?.to_dtype(dtype)?)
    }

    /// The component whose cumulative weight first passes `u ∈ [0, 1)`.
    fn pick(&self, mut u: f64) -> &PosteriorComponent {
        for c in &self.components {
            u -= c.weight;
            if u < 0.0 {
                return c;
            }
        }
        // Rounding can leave the weights summing to 1 − 1e-16 < u; the last one takes that.
        &self.components[self.components.len() - 1]
    }
}

/// `n` exact samples of `p(x₀ | y, class)` for `y = A x₀ + N(0, noise_std² I)`, from `seed`.
pub fn exact_posterior_samples(
    mixture: &GaussianMixture,
    class: Option<usize>,
    operator: &DenseMatrix,
    y: &[f64],
    noise_std: f64,
    n: usize,
    seed: u64,
) -> Result<Vec<Vec<f64>>> {
    ExactPosterior::new(mixture, class, operator, y, noise_std)?.sample(n, seed)
}

/// The shared inputs of conditioning one prior component on `y`.
struct Fit<'a> {
    gram: MatRef<'a, f64>,
    /// `Aᵀy/σ²`.
    data_term: ColRef<'a, f64>,
    operator: &'a DenseMatrix,
    y: &'a [f64],
    noise_var: f64,
}

impl Fit<'_> {
    /// Component `index` (prior log weight `log_prior`) conditioned on `y`, its weight unset.
    fn condition(
        &self,
        index: usize,
        prior: &super::analytic::Component,
        log_prior: f64,
    ) -> Result<PosteriorComponent> {
        let s2 = prior.std * prior.std;
        let d = self.gram.nrows();
        let precision = Mat::from_fn(d, d, |i, k| {
            self.gram[(i, k)] / self.noise_var + if i == k { 1.0 / s2 } else { 0.0 }
        });
        let llt = precision.llt(Side::Lower).map_err(|_| {
            bad(
                "operator",
                format!("the posterior precision of component {index} is not positive definite"),
            )
        })?;
        let prior_mean = ColRef::from_slice(&prior.mean);
        let rhs: Col<f64> = prior_mean / s2 + self.data_term;
        let mean: Vec<f64> = llt.solve(&rhs).iter().copied().collect();
        let factor = llt.L().to_owned();
        let log_det: f64 = (0..d).map(|i| 2.0 * factor[(i, i)].ln()).sum();
        let log_joint = log_prior
            - 0.5 * (self.constant(d, s2) + log_det + self.fit(&mean, &prior.mean, s2)?);
        // Stds or a noise level near the ends of f64's range can overflow 1/s² or 1/σ².
        if !(log_joint.is_finite() && mean.iter().all(|v| v.is_finite())) {
            return Err(bad(
                "mixture",
                format!(
                    "component {index}'s posterior is not finite in f64 (std {}, noise_std {})",
                    prior.std,
                    self.noise_var.sqrt()
                ),
            ));
        }
        Ok(PosteriorComponent {
            class: prior.class,
            weight: 0.0,
            log_joint,
            mean,
            factor,
        })
    }

    /// `m ln 2πσ² + d ln s²`, the part of `ln det 2πC_j` that is not `ln det P_j`.
    fn constant(&self, d: usize, s2: f64) -> f64 {
        let m = self.y.len() as f64;
        m * (2.0 * std::f64::consts::PI * self.noise_var).ln() + d as f64 * s2.ln()
    }

    /// `‖y − A m_j‖²/σ² + ‖m_j − μ_j‖²/s²`, the evidence's quadratic form.
    fn fit(&self, mean: &[f64], prior_mean: &[f64], s2: f64) -> Result<f64> {
        let residual: f64 = (self.operator.apply(mean)?.iter().zip(self.y))
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        let shift: f64 = mean
            .iter()
            .zip(prior_mean)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        Ok(residual / self.noise_var + shift / s2)
    }
}

/// Sets the weights to the softmax of the log joints; returns their log-sum-exp, `ln p(y)`.
fn normalise(components: &mut [PosteriorComponent]) -> f64 {
    let max = components
        .iter()
        .map(|c| c.log_joint)
        .fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = components.iter().map(|c| (c.log_joint - max).exp()).sum();
    for c in components.iter_mut() {
        c.weight = (c.log_joint - max).exp() / sum;
    }
    max + sum.ln()
}

/// Refuses an operator, measurement or noise level that does not fit `d`-dimensional data.
fn check_measurement(dim: usize, operator: &DenseMatrix, y: &[f64], noise_std: f64) -> Result<()> {
    if operator.cols != dim {
        return Err(bad(
            "operator",
            format!(
                "takes {}-vectors, the mixture's samples have {dim} entries",
                operator.cols
            ),
        ));
    }
    if y.len() != operator.rows {
        return Err(bad(
            "y",
            format!(
                "has {} entries, the operator gives {}",
                y.len(),
                operator.rows
            ),
        ));
    }
    if let Some(k) = y.iter().position(|v| !v.is_finite()) {
        return Err(bad("y", format!("entry {k} is {}", y[k])));
    }
    // σ² must be a normal f64 too, or 1/σ² overflows.
    if !(noise_std.is_finite() && noise_std > 0.0 && (noise_std * noise_std).is_normal()) {
        return Err(bad(
            "noise_std",
            format!(
                "needs a finite σ > 0 (the noiseless posterior is degenerate), not {noise_std}"
            ),
        ));
    }
    Ok(())
}

/// The entries of `m` in row-major order.
fn row_major(m: MatRef<'_, f64>) -> Vec<f64> {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |k| m[(i, k)]))
        .collect()
}
