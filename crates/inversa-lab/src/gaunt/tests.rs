use super::direct::{wigner_3j, Factorials, GauntTable};
use super::fourier::FourierProduct;
use super::harmonics::{features, harmonics, index, quadrature_product, SphereRule, ThetaSeries};
use super::rotation::{random_rotation, Rotation, WignerD};
use super::*;
use rand::Rng;
use std::f64::consts::PI;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn harmonics_match_closed_forms_and_are_orthonormal() {
    let (theta, phi) = (0.7_f64, 2.3_f64);
    let (c, s) = (theta.cos(), theta.sin());
    let e = |m: f64| C64::from_polar(1.0, m * phi);
    // Textbook forms (Condon–Shortley phase).
    let expected = [
        (1, 0, e(0.0) * (3.0 / (4.0 * PI)).sqrt() * c),
        (1, 1, e(1.0) * -(3.0 / (8.0 * PI)).sqrt() * s),
        (1, -1, e(-1.0) * (3.0 / (8.0 * PI)).sqrt() * s),
        (
            2,
            0,
            e(0.0) * (5.0 / (16.0 * PI)).sqrt() * (3.0 * c * c - 1.0),
        ),
        (2, 1, e(1.0) * -(15.0 / (8.0 * PI)).sqrt() * s * c),
        (2, -2, e(-2.0) * (15.0 / (32.0 * PI)).sqrt() * s * s),
        (3, 3, e(3.0) * -(35.0 / (64.0 * PI)).sqrt() * s * s * s),
    ];
    let values = harmonics(3, theta, phi);
    for (l, m, value) in expected {
        assert!((values[index(l, m)] - value).norm() < 1e-14, "Y_{l}^{m}");
    }
    // The Gram matrix of degrees ≤ 8 under a quadrature rule exact for their products.
    let degree = 8;
    let rule = SphereRule::exact_to(2 * degree);
    let n = features(degree);
    let mut gram = vec![C64::new(0.0, 0.0); n * n];
    for (&(t, p), &w) in rule.points.iter().zip(&rule.weights) {
        let y = harmonics(degree, t, p);
        for i in 0..n {
            for j in 0..n {
                gram[i * n + j] += y[i] * y[j].conj() * w;
            }
        }
    }
    for i in 0..n {
        for j in 0..n {
            let target = if i == j { 1.0 } else { 0.0 };
            assert!((gram[i * n + j] - target).norm() < 1e-13, "({i}, {j})");
        }
    }
}

#[test]
fn fourier_series_reproduce_the_harmonics_off_the_sampling_grid() {
    let degree = 10;
    let series = ThetaSeries::new(degree);
    let mut rng = rng(1);
    for _ in 0..20 {
        let [theta, phi] = [PI, 2.0 * PI].map(|top| top * rng.gen::<f64>());
        let values = harmonics(degree, theta, phi);
        for l in 0..=degree {
            for m in -(l as i64)..=l as i64 {
                let sum: C64 = (-(l as i64)..=l as i64)
                    .map(|u| series.coefficient(l, m, u) * C64::from_polar(1.0, u as f64 * theta))
                    .sum();
                let value = sum * C64::from_polar(1.0, m as f64 * phi);
                assert!((value - values[index(l, m)]).norm() < 1e-13, "Y_{l}^{m}");
            }
        }
    }
}

#[test]
fn wigner_3j_matches_tables_and_orthogonality() {
    let f = Factorials::new(40);
    let cases = [
        ([1, 1, 0], [0, 0, 0], -(1.0_f64 / 3.0).sqrt()),
        ([1, 1, 2], [0, 0, 0], (2.0_f64 / 15.0).sqrt()),
        ([2, 2, 2], [0, 0, 0], -(2.0_f64 / 35.0).sqrt()),
        ([1, 1, 1], [1, -1, 0], (1.0_f64 / 6.0).sqrt()),
        ([2, 1, 1], [2, -1, -1], (1.0_f64 / 5.0).sqrt()),
        ([1, 1, 1], [0, 0, 0], 0.0),
    ];
    for (j, m, value) in cases {
        assert!((wigner_3j(&f, j, m) - value).abs() < 1e-15, "{j:?} {m:?}");
    }
    // Σ_{m1, m2} (j1 j2 j3; m1 m2 m3)(j1 j2 j3'; m1 m2 m3) = δ_{j3 j3'} / (2 j3 + 1).
    let (j1, j2, m3) = (5_i64, 4_i64, 1_i64);
    for j3 in 1..=9 {
        for j3b in 1..=9 {
            let sum: f64 = (-j1..=j1)
                .map(|m1| {
                    let m2 = -m1 - m3;
                    wigner_3j(&f, [j1, j2, j3], [m1, m2, m3])
                        * wigner_3j(&f, [j1, j2, j3b], [m1, m2, m3])
                })
                .sum();
            let target = if j3 == j3b {
                1.0 / (2 * j3 + 1) as f64
            } else {
                0.0
            };
            assert!((sum - target).abs() < 1e-14, "{j3} {j3b}");
        }
    }
}

#[test]
fn fft_product_equals_the_direct_gaunt_product_up_to_degree_6() {
    let mut rng = rng(2);
    for first in 0..=6 {
        for second in 0..=6 {
            let x = random_features(&mut rng, features(first));
            let y = random_features(&mut rng, features(second));
            let fast = FourierProduct::new(first, second).product(&x, &y);
            let direct = GauntTable::new(first, second).product(&x, &y);
            let quadrature = quadrature_product(&x, &y, first, second);
            assert_eq!(fast.len(), features(first + second));
            let e = relative_error(&fast, &direct);
            assert!(e < 1e-12, "L1 = {first}, L2 = {second}: FFT vs 3j {e:e}");
            let e = relative_error(&fast, &quadrature);
            assert!(
                e < 1e-12,
                "L1 = {first}, L2 = {second}: FFT vs quadrature {e:e}"
            );
        }
    }
}

#[test]
fn product_of_single_harmonics_is_one_gaunt_column() {
    // Y_1^0 · Y_1^0 = (3/4π) cos²θ = 1/√(4π) Y_0^0 + (1/√5)·(1/√π) Y_2^0 (textbook expansion).
    let mut x = vec![C64::new(0.0, 0.0); features(1)];
    x[index(1, 0)] = C64::new(1.0, 0.0);
    let z = FourierProduct::new(1, 1).product(&x, &x);
    let expected = [
        (0, 0, 1.0 / (4.0 * PI).sqrt()),
        (2, 0, 1.0 / (5.0 * PI).sqrt()),
    ];
    let mut target = vec![C64::new(0.0, 0.0); features(2)];
    for (l, m, v) in expected {
        target[index(l, m)] = C64::new(v, 0.0);
    }
    assert!(relative_error(&z, &target) < 1e-14, "{z:?}");
}

#[test]
fn wigner_d_is_a_unitary_representation() {
    let mut rng = rng(3);
    let degree = 5;
    let [a, b] = [0, 1].map(|_| random_rotation(&mut rng));
    let ab: Rotation =
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()));
    let (da, db, dab) = (
        WignerD::new(&a, degree),
        WignerD::new(&b, degree),
        WignerD::new(&ab, degree),
    );
    assert!(da.unitarity_error() < 1e-13);
    // D(AB) x = D(A) D(B) x.
    let x = random_features(&mut rng, features(degree));
    assert!(relative_error(&da.apply(&db.apply(&x)), &dab.apply(&x)) < 1e-13);
    // About the z axis by α: D_{m'm} = δ_{m'm} e^{−imα}.
    let alpha = 0.9_f64;
    let rz = [
        [alpha.cos(), -alpha.sin(), 0.0],
        [alpha.sin(), alpha.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let d = WignerD::new(&rz, degree);
    let mut x = random_features(&mut rng, features(degree));
    let rotated = d.apply(&x);
    for l in 0..=degree {
        for m in -(l as i64)..=l as i64 {
            x[index(l, m)] *= C64::from_polar(1.0, -(m as f64) * alpha);
        }
    }
    assert!(relative_error(&rotated, &x) < 1e-13);
}

#[test]
fn fft_product_is_rotation_equivariant() {
    let mut rng = rng(4);
    for (first, second) in [(2, 3), (4, 4), (6, 5)] {
        let fast = FourierProduct::new(first, second);
        let x = random_features(&mut rng, features(first));
        let y = random_features(&mut rng, features(second));
        let z = fast.product(&x, &y);
        for _ in 0..3 {
            let d = WignerD::new(&random_rotation(&mut rng), first + second);
            let rotated = fast.product(&d.apply(&x), &d.apply(&y));
            let e = relative_error(&rotated, &d.apply(&z));
            assert!(e < 1e-12, "({first}, {second}): {e:e}");
        }
    }
}

#[test]
fn quick_run_reports_round_off_errors_and_finite_slopes() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    let r = &outcome.report;
    assert_eq!(r.accuracy.len(), 6);
    let w = &r.worst;
    assert!(w.fft_vs_direct < 1e-12, "{w:?}");
    assert!(w.fft_vs_quadrature < 1e-12, "{w:?}");
    assert!(w.equivariance < 1e-12, "{w:?}");
    for t in &r.direct_timing {
        assert!(t.fft_vs_direct < 1e-12, "{t:?}");
    }
    // The sparse table's size is the L⁵ law's (a count, not a timing).
    let counts: Vec<(usize, f64)> = r
        .direct_timing
        .iter()
        .map(|t| (t.degree, t.coefficients as f64))
        .collect();
    let growth = summary::slope(&counts[counts.len() - 2..]);
    assert!((4.0..5.5).contains(&growth), "{growth}");
    outcome.check_finite().unwrap();
    let names: Vec<&str> = outcome.file_names().collect();
    assert_eq!(names, [FIGURE, "report.html"]);
}

#[test]
fn settings_are_checked_by_name() {
    let cases = [
        (
            Settings {
                fft_degrees: vec![4, 100_000],
                ..Settings::quick()
            },
            "fft_degrees",
        ),
        (
            Settings {
                direct_degrees: vec![3, 2],
                ..Settings::quick()
            },
            "direct_degrees",
        ),
        (
            Settings {
                check_degree: 0,
                ..Settings::quick()
            },
            "check_degree",
        ),
        (
            Settings {
                repeats: 0,
                ..Settings::quick()
            },
            "repeats",
        ),
    ];
    for (settings, key) in cases {
        let error = run(&settings, &mut |_| {}).err().unwrap();
        assert!(
            matches!(error, Error::Setting { key: ref k, .. } if k == key),
            "{error}"
        );
    }
}
