//! Every registered operator (physics and building blocks) passes the same checks, in f32 and f64:
//! the dot-product adjoint test, a dense transpose comparison, and the power-method norm estimate
//! against the largest singular value of the explicitly assembled matrix.

use inversa::operators::registry::{building_blocks, physics};
use inversa::operators::{random_vector, LinearOperator};
use inversa::real::{dot, Real};

fn all_examples<T: Real>(seed: u64) -> Vec<(&'static str, Box<dyn LinearOperator<T>>)> {
    let mut list: Vec<_> = physics::<T>()
        .into_iter()
        .map(|e| (e.name, (e.example)(seed)))
        .collect();
    list.extend(
        building_blocks::<T>()
            .into_iter()
            .map(|(name, f)| (name, f(seed))),
    );
    list
}

fn adjoint_holds<T: Real>() {
    for seed in [1, 2, 3] {
        for (name, op) in all_examples::<T>(seed) {
            let mismatch = op.adjoint_mismatch(seed * 100);
            assert!(
                mismatch < T::ADJOINT_TOLERANCE,
                "{name} ({}): relative adjoint mismatch {mismatch:e} exceeds {:e}",
                T::NAME,
                T::ADJOINT_TOLERANCE
            );
        }
    }
}

#[test]
fn dot_product_adjoint_test_f32() {
    adjoint_holds::<f32>();
}

#[test]
fn dot_product_adjoint_test_f64() {
    adjoint_holds::<f64>();
}

/// Columns `A e_j` of the operator, assembled from `apply` alone.
fn dense(op: &dyn LinearOperator<f64>) -> Vec<Vec<f64>> {
    let n = op.input_len();
    (0..n)
        .map(|j| {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            op.apply_new(&e)
        })
        .collect()
}

#[test]
fn adjoint_is_the_exact_transpose_of_the_assembled_matrix() {
    for (name, op) in all_examples::<f64>(5) {
        let columns = dense(op.as_ref());
        let m = op.output_len();
        let mut worst: f64 = 0.0;
        let scale = columns
            .iter()
            .flatten()
            .fold(0.0f64, |a, v| a.max(v.abs()))
            .max(1e-300);
        for i in 0..m {
            let mut e = vec![0.0; m];
            e[i] = 1.0;
            let row = op.adjoint_new(&e);
            for (j, column) in columns.iter().enumerate() {
                worst = worst.max((row[j] - column[i]).abs());
            }
        }
        assert!(
            worst / scale < 1e-10,
            "{name}: adjoint differs from the transpose by {worst:e}"
        );
    }
}

/// Largest singular value of the assembled matrix by many power iterations on `MᵀM`.
fn dense_spectral_norm(columns: &[Vec<f64>], seed: u64) -> f64 {
    let n = columns.len();
    let m = columns.first().map_or(0, |c| c.len());
    let mut v = random_vector::<f64>(n, seed);
    let mut sigma = 0.0;
    for _ in 0..3000 {
        let nv = dot(&v, &v).sqrt();
        v.iter_mut().for_each(|x| *x /= nv);
        let mut mv = vec![0.0; m];
        for (j, column) in columns.iter().enumerate() {
            column
                .iter()
                .zip(mv.iter_mut())
                .for_each(|(c, out)| *out += c * v[j]);
        }
        v = columns.iter().map(|column| dot(column, &mv)).collect();
        sigma = dot(&v, &v).sqrt().sqrt();
    }
    sigma
}

#[test]
fn norm_estimate_matches_the_assembled_matrix() {
    for (name, op) in all_examples::<f64>(7) {
        let reference = dense_spectral_norm(&dense(op.as_ref()), 11);
        let estimate = op.norm_estimate(300, 3);
        assert!(
            (estimate - reference).abs() <= 1e-3 * reference.max(1e-12),
            "{name}: norm estimate {estimate} vs assembled {reference}"
        );
        // The estimate is a lower bound that no random direction exceeds.
        let x = random_vector::<f64>(op.input_len(), 99);
        let ratio = dot(&op.apply_new(&x), &op.apply_new(&x)).sqrt() / dot(&x, &x).sqrt();
        assert!(
            ratio <= estimate * (1.0 + 1e-9),
            "{name}: ‖Ax‖/‖x‖ = {ratio} > estimate {estimate}"
        );
    }
}

#[test]
fn closed_form_normal_solve_inverts_the_normal_operator() {
    for (name, op) in all_examples::<f64>(9) {
        let rho = 0.37;
        let rhs = random_vector::<f64>(op.input_len(), 21);
        let mut solution = vec![0.0; op.input_len()];
        if !op.solve_regularized_normal(&rhs, rho, &mut solution) {
            continue;
        }
        let mut back = op.adjoint_new(&op.apply_new(&solution));
        back.iter_mut()
            .zip(&solution)
            .for_each(|(b, s)| *b += rho * s);
        let error: f64 = back
            .iter()
            .zip(&rhs)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(
            error < 1e-9 * dot(&rhs, &rhs).sqrt(),
            "{name}: (A*A + ρI) x ≠ rhs, error {error:e}"
        );
    }
}
