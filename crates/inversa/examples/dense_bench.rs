//! Median times of the dense linear algebra the Krylov and numerics code runs, at the sizes it runs
//! it: GCRO-DR(30, 10)'s harmonic Ritz step, deflated CG's Ritz step (10 recycled + 20 kept
//! directions) and deflation solve, the Krylov vectors' dot product, M-FAC's `m × m` eigendecomposition, the Newton and ADMM
//! Cholesky solves, matrix sensing's products, and one whole Darcy sequence per recycling method.
//!
//! `cargo run --release -p inversa --example dense_bench`

use faer::linalg::solvers::Solve;
use faer::{ColMut, ColRef, Mat, MatRef, RowRef, Side};
use inversa::krylov::dense::{cholesky, congruence, dot, harmonic_ritz, solve_transposed_lower};
use inversa::krylov::sequence::{solve_sequence, Method, SequenceConfig};
use inversa::numerics::{matmul, matmul_tn, seeded_gaussian};
use std::hint::black_box;
use std::time::Instant;

/// Median wall time of `run` in microseconds, over enough repetitions to fill about 0.3 s.
fn median_us(mut run: impl FnMut()) -> f64 {
    let start = Instant::now();
    run();
    let once = start.elapsed().as_secs_f64();
    let reps = ((0.3 / once.max(1e-9)) as usize).clamp(5, 20_000);
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

/// A seeded `rows × cols` Gaussian matrix.
fn gaussian(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let values = seeded_gaussian(seed, rows * cols);
    Mat::from_fn(rows, cols, |i, j| values[i * cols + j])
}

/// `BᵀB + n I`, a well-conditioned SPD matrix.
fn spd(n: usize, seed: u64) -> Mat<f64> {
    let b = gaussian(n, n, seed);
    let mut a = b.transpose() * &b;
    for i in 0..n {
        a[(i, i)] += n as f64;
    }
    a
}

fn row_major(a: MatRef<'_, f64>) -> Vec<f64> {
    (0..a.nrows())
        .flat_map(|i| (0..a.ncols()).map(move |j| a[(i, j)]))
        .collect()
}

fn main() {
    let report = |what: &str, us: f64| println!("{what:<52} {us:>12.2} µs");

    // GCRO-DR(30, 10): Ḡ is (m + 1) × m, S = Ḡᵀ W̄ᵀ Ŵ is m × m, k = 10.
    let (g, s) = (gaussian(31, 30, 1), gaussian(30, 30, 2));
    report(
        "harmonic_ritz 31x30, k = 10",
        median_us(|| {
            black_box(harmonic_ritz(g.as_ref(), s.as_ref(), 10));
        }),
    );

    // Deflated CG: Z has 10 + 20 columns; ZᵀAZ and ZᵀZ are 30 × 30.
    let (stiffness, gram) = (spd(30, 3), spd(30, 4));
    report(
        "deflated CG Ritz step 30x30, k = 10",
        median_us(|| {
            let l = cholesky(stiffness.as_ref()).unwrap();
            let eigen = congruence(l.L(), gram.as_ref())
                .self_adjoint_eigen(Side::Lower)
                .unwrap();
            let mut y = eigen.U().get(.., 20..).to_owned();
            solve_transposed_lower(l.L(), &mut y);
            black_box(y);
        }),
    );
    let e = cholesky(spd(10, 5).as_ref()).unwrap();
    let rhs = seeded_gaussian(6, 10);
    report(
        "deflation solve E⁻¹ v, 10x10",
        median_us(|| {
            let mut v = rhs.clone();
            e.solve_in_place(ColMut::from_slice_mut(&mut v));
            black_box(v);
        }),
    );

    for (what, m) in [("M-FAC symmetric eigen", 10), ("symmetric eigen", 30)] {
        let a = row_major(spd(m, 7).as_ref());
        report(
            &format!("{what} {m}x{m}"),
            median_us(|| {
                black_box(
                    MatRef::from_row_major_slice(&a, m, m)
                        .self_adjoint_eigen(Side::Lower)
                        .unwrap(),
                );
            }),
        );
    }

    for (what, n) in [
        ("Newton Cholesky factor + solve", 50),
        ("ADMM Cholesky factor + solve", 360),
    ] {
        let a = row_major(spd(n, 8).as_ref());
        let b = seeded_gaussian(9, n);
        report(
            &format!("{what} {n}x{n}"),
            median_us(|| {
                let mut x = b.clone();
                MatRef::from_row_major_slice(&a, n, n)
                    .llt(Side::Lower)
                    .unwrap()
                    .solve_in_place(ColMut::from_slice_mut(&mut x));
                black_box(x);
            }),
        );
    }
    let admm = MatRef::from_row_major_slice(&row_major(spd(360, 8).as_ref()), 360, 360)
        .llt(Side::Lower)
        .unwrap();
    let b = seeded_gaussian(9, 360);
    report(
        "ADMM Cholesky solve 360x360",
        median_us(|| {
            let mut x = b.clone();
            admm.solve_in_place(ColMut::from_slice_mut(&mut x));
            black_box(x);
        }),
    );

    // Matrix sensing at the tests' n = 20 with k = 4 columns.
    let (n, k) = (20, 4);
    let (sq, f) = (seeded_gaussian(10, n * n), seeded_gaussian(11, n * k));
    report(
        "matmul 20x20 · 20x4",
        median_us(|| {
            black_box(matmul(&sq, &f, n, n, k));
        }),
    );
    report(
        "matmul_tn 20x20ᵀ · 20x4",
        median_us(|| {
            black_box(matmul_tn(&sq, &f, n, n, k));
        }),
    );

    // The Krylov bases are separate vectors; the level-1 kernel that dominates their use.
    for n in [4096, 65536] {
        let (a, b) = (seeded_gaussian(12, n), seeded_gaussian(13, n));
        report(
            &format!("dot, n = {n}, krylov::dense"),
            median_us(|| {
                black_box(dot(black_box(&a), black_box(&b)));
            }),
        );
        report(
            &format!("dot, n = {n}, faer"),
            median_us(|| {
                black_box(RowRef::from_slice(black_box(&a)) * ColRef::from_slice(black_box(&b)));
            }),
        );
    }

    for method in [Method::GcroDr, Method::DeflatedCg] {
        let config = SequenceConfig {
            method,
            grid: 32,
            systems: 8,
            ..SequenceConfig::default()
        };
        report(
            &format!("Darcy sequence 32x32, 8 systems, {}", method.name()),
            median_us(|| {
                black_box(solve_sequence(&config).unwrap());
            }),
        );
    }
}
