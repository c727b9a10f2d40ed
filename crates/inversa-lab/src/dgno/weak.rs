//! Weak-form residuals as virtual observables: for test functions `ψ_k`,
//!
//! ```text
//! R_k(u, a) = ∫ a ∇u·∇ψ_k dx − ∫ f ψ_k dx,   normalised  R̃_k = R_k / ∫ f ψ_k dx.
//! ```
//!
//! The test functions are Wendland's compactly supported C² bumps `ψ(ρ) = (1 − ρ)₊⁴ (4ρ + 1)`,
//! `ρ = |x − c_k| / r` (the paper's CSRBFs), centred on a lattice inside the square and set to
//! zero on the boundary. The integrals use the quadrature of the five-point finite-volume scheme:
//! the gradient along each cell face is the difference across it, the face coefficient the
//! harmonic mean of its nodes' (the boundary face takes its interior node's), so
//!
//! ```text
//! ∫ a ∇u·∇ψ ≈ Σ_faces a_f (Δu)_f (Δψ)_f,   ∫ f ψ ≈ h² Σ_nodes f ψ,
//! ```
//!
//! which is exactly `h² ψᵀ(A u − f)` with the matrix that computes the ground truth: the residuals
//! of the true (discrete) solution vanish, and no second derivative of `u` is ever formed.

use candle_core::{Device, Tensor};

/// The face differences, the test functions and their loads on one grid.
pub struct WeakForm {
    /// `(p, q)` per face: interior indices of its two nodes, `None` for a boundary node.
    faces: Vec<(Option<usize>, Option<usize>)>,
    /// The difference matrix `D` (`[faces, n²]`, `(Du)_f = u_p − u_q`).
    difference: Tensor,
    /// `(Dψ_k)ᵀ`, `[faces, K]`.
    test_differences: Tensor,
    /// `∫ f ψ_k`, `[1, K]` (with `f = 1`).
    loads: Tensor,
    /// The test functions at the interior nodes, one row each.
    pub tests: Vec<Vec<f64>>,
}

/// Wendland's C² function of `ρ ≥ 0`.
pub fn wendland(rho: f64) -> f64 {
    if rho >= 1.0 {
        0.0
    } else {
        (1.0 - rho).powi(4) * (4.0 * rho + 1.0)
    }
}

/// The faces of the `n × n` interior grid, `x` faces then `y` faces, boundary faces included.
fn faces(n: usize) -> Vec<(Option<usize>, Option<usize>)> {
    // Padded indices 0..=n+1; 0 and n+1 are boundary nodes.
    let interior = |r: usize, c: usize| {
        ((1..=n).contains(&r) && (1..=n).contains(&c)).then(|| (r - 1) * n + (c - 1))
    };
    let mut all = Vec::with_capacity(2 * n * (n + 1));
    for r in 1..=n {
        for c in 0..=n {
            all.push((interior(r, c), interior(r, c + 1)));
        }
    }
    for r in 0..=n {
        for c in 1..=n {
            all.push((interior(r, c), interior(r + 1, c)));
        }
    }
    all
}

impl WeakForm {
    /// `centres × centres` bumps of radius `radius · h` on the `n × n` interior grid.
    pub fn new(n: usize, centres: usize, radius: f64) -> candle_core::Result<Self> {
        let h = 1.0 / (n + 1) as f64;
        let faces = faces(n);
        let mut difference = vec![0.0; faces.len() * n * n];
        for (f, &(p, q)) in faces.iter().enumerate() {
            if let Some(p) = p {
                difference[f * n * n + p] = 1.0;
            }
            if let Some(q) = q {
                difference[f * n * n + q] = -1.0;
            }
        }
        let spot = |k: usize| (k as f64 + 0.5) / centres as f64;
        let tests: Vec<Vec<f64>> = (0..centres * centres)
            .map(|k| {
                let (cy, cx) = (spot(k / centres), spot(k % centres));
                (0..n * n)
                    .map(|p| {
                        let (y, x) = (((p / n) + 1) as f64 * h, ((p % n) + 1) as f64 * h);
                        wendland((x - cx).hypot(y - cy) / (radius * h))
                    })
                    .collect()
            })
            .collect();
        let k = tests.len();
        let mut test_differences = vec![0.0; faces.len() * k];
        for (f, &(p, q)) in faces.iter().enumerate() {
            for (j, psi) in tests.iter().enumerate() {
                let at = |i: Option<usize>| i.map_or(0.0, |i| psi[i]);
                test_differences[f * k + j] = at(p) - at(q);
            }
        }
        let loads: Vec<f64> = tests
            .iter()
            .map(|psi| h * h * psi.iter().sum::<f64>())
            .collect();
        let device = Device::Cpu;
        Ok(Self {
            difference: Tensor::from_vec(difference, (faces.len(), n * n), &device)?,
            test_differences: Tensor::from_vec(test_differences, (faces.len(), k), &device)?,
            loads: Tensor::from_vec(loads, (1, k), &device)?,
            faces,
            tests,
        })
    }

    /// The number of test functions.
    pub fn count(&self) -> usize {
        self.tests.len()
    }

    /// The face coefficients of a node field `a`: harmonic means inside, the interior node's value
    /// on the boundary (the finite-volume scheme's).
    pub fn face_coefficients(&self, a: &[f64]) -> Vec<f64> {
        self.faces
            .iter()
            .map(|&(p, q)| match (p, q) {
                (Some(p), Some(q)) => 2.0 * a[p] * a[q] / (a[p] + a[q]),
                (Some(p), None) | (None, Some(p)) => a[p],
                (None, None) => 0.0,
            })
            .collect()
    }

    /// The normalised residuals `R̃` (`[B, K]`) of solutions `u` (`[B, n²]`) with face
    /// coefficients `a_faces` (`[B, faces]`).
    pub fn residuals(&self, u: &Tensor, a_faces: &Tensor) -> candle_core::Result<Tensor> {
        let gradients = u.matmul(&self.difference.t()?)?;
        let fluxes = (gradients * a_faces)?;
        let stiffness = fluxes.matmul(&self.test_differences)?;
        stiffness
            .broadcast_sub(&self.loads)?
            .broadcast_div(&self.loads)
    }
}
