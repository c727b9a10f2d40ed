use super::diagonal::{dense_transfer, perturbation, perturbed, Diagonal};
use super::hippo::{
    commutator, fixed_point_error, legs, low_rank, monomial_coefficients, normal_part,
};
use super::ssm::{DiagonalSsm, Modes};
use super::transfer::Bench;
use super::*;
use candle_core::{Device, Tensor};
use faer::c64;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn legs_fixed_points_are_the_exact_legendre_coefficients() {
    assert!(
        fixed_point_error(40, 6) < 1e-10,
        "{}",
        fixed_point_error(40, 6)
    );
    // The coefficients of 1 and t by hand: (1, 0, …) and (½, √3/6, 0, …).
    let line = monomial_coefficients(4, 1);
    let expected = [0.5, 3f64.sqrt() / 6.0, 0.0, 0.0];
    for (a, b) in line.iter().zip(expected) {
        assert!((a - b).abs() < 1e-15, "{line:?}");
    }
}

#[test]
fn normal_part_is_minus_half_plus_skew_symmetric() {
    let n = 24;
    let (a, an, p) = (legs(n), normal_part(n), low_rank(n));
    for i in 0..n {
        for j in 0..n {
            // A_N + A_Nᵀ = −I, and A_N − A = P Pᵀ.
            let sym = an.a[i * n + j] + an.a[j * n + i];
            assert!((sym - if i == j { -1.0 } else { 0.0 }).abs() < 1e-12);
            assert!((an.a[i * n + j] - a.a[i * n + j] - p[i] * p[j]).abs() < 1e-12);
        }
    }
    assert!(commutator(&an) < 1e-14, "{}", commutator(&an));
    // LegS itself is far from normal: the measure can tell.
    assert!(commutator(&a) > 0.1, "{}", commutator(&a));
}

#[test]
fn diagonal_form_matches_dense_solve_when_well_conditioned() {
    let n = 16;
    let mut r = rng(1);
    let c: Vec<f64> = inversa::numerics::gaussian(&mut r, n);
    let matrix = perturbed(&legs(n), &perturbation(n, 0.5, &mut r).unwrap());
    let d = Diagonal::of(&matrix, &c).unwrap();
    assert!(d.backward_error < 1e-13, "{}", d.backward_error);
    for s in [c64::new(0.0, 0.3), c64::new(0.0, 7.0), c64::new(1.5, -40.0)] {
        let (fast, dense) = (d.transfer(s), dense_transfer(&matrix, &c, s));
        assert!(
            (fast - dense).norm() < 1e-9 * dense.norm(),
            "{s}: {fast} vs {dense}"
        );
    }
}

#[test]
fn perturbation_has_the_asked_spectral_norm() {
    let n = 12;
    let e = perturbation(n, 1e-3, &mut rng(2)).unwrap();
    let sigma = faer::MatRef::from_row_major_slice(&e, n, n)
        .singular_values()
        .unwrap();
    assert!((sigma[0] - 1e-3).abs() < 1e-15, "{}", sigma[0]);
}

#[test]
fn direct_diagonalisation_is_ill_posed_and_ptd_is_not() {
    let mut r = rng(3);
    // κ(V) of LegS grows exponentially: at least tenfold per 8 more states.
    let kappas: Vec<f64> = [8, 16, 24]
        .iter()
        .map(|&n| Diagonal::of(&legs(n), &vec![1.0; n]).unwrap().condition)
        .collect();
    assert!(
        kappas[1] > 10.0 * kappas[0] && kappas[2] > 10.0 * kappas[1],
        "{kappas:?}"
    );
    let bench = Bench::new(48, 80, &mut r);
    let (direct, _) = bench.ptd(0.0, &mut r).unwrap();
    let (ptd, _) = bench.ptd(1e-5, &mut r).unwrap();
    assert!(
        ptd.condition < 1e-4 * direct.condition,
        "{} vs {}",
        ptd.condition,
        direct.condition
    );
    assert!(
        ptd.transfer_error < 1e-3 * direct.transfer_error,
        "{ptd:?} {direct:?}"
    );
}

#[test]
fn ptd_error_shrinks_with_epsilon_where_round_off_is_small() {
    let mut r = rng(4);
    let bench = Bench::new(12, 80, &mut r);
    let errors: Vec<f64> = [1e-2, 1e-4, 1e-6]
        .iter()
        .map(|&eps| bench.ptd(eps, &mut r).unwrap().0.transfer_error)
        .collect();
    assert!(
        errors[0] > 10.0 * errors[1] && errors[1] > 10.0 * errors[2],
        "{errors:?}"
    );
}

#[test]
fn s4d_error_does_not_vanish_with_the_state_size() {
    let mut r = rng(5);
    let errors: Vec<f64> = [16, 64]
        .iter()
        .map(|&n| Bench::new(n, 120, &mut r).s4d().unwrap().transfer_error)
        .collect();
    // PTD at the same sizes is orders of magnitude closer (test above); S4D stays O(1).
    assert!(errors.iter().all(|&e| e > 0.1), "{errors:?}");
}

#[test]
fn ssm_kernel_matches_the_recurrence() {
    let device = Device::Cpu;
    let modes = Modes {
        lambda: vec![
            c64::new(-0.5, 3.0),
            c64::new(-2.0, -1.0),
            c64::new(-0.1, 0.0),
        ],
        b: vec![c64::new(1.0, 0.5), c64::new(-0.3, 2.0), c64::new(0.7, 0.0)],
    };
    let (channels, length) = (2, 40);
    let ssm = DiagonalSsm::new(&modes, channels, &mut rng(6), &device).unwrap();
    let u: Vec<f32> = inversa::numerics::gaussian(&mut rng(7), length * channels)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let input = Tensor::from_vec(u.clone(), (1, length, channels), &device).unwrap();
    let toeplitz = super::ssm::toeplitz_indices(length, &device).unwrap();
    let y: Vec<f32> = ssm
        .forward(&input, &toeplitz)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let values: Vec<Vec<f32>> = ssm
        .vars()
        .iter()
        .map(|v| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
        .collect();
    let [log_dt, _, _, _, _, c_re, c_im, d] = &values[..] else {
        panic!("eight variables")
    };
    for h in 0..channels {
        let dt = (log_dt[h] as f64).exp();
        // x_t = Ā x_{t−1} + B̄ u_t, y_t = Re(C̃ x_t) + D u_t, in f64 complex.
        let mut state = [c64::new(0.0, 0.0); 3];
        for t in 0..length {
            let ut = u[t * channels + h] as f64;
            let mut out = d[h] as f64 * ut;
            for (j, x) in state.iter_mut().enumerate() {
                let lambda = modes.lambda[j];
                let bar = ((lambda * dt).exp() - 1.0) / lambda * modes.b[j];
                *x = (lambda * dt).exp() * *x + bar * ut;
                out += (c64::new(c_re[h * 3 + j] as f64, c_im[h * 3 + j] as f64) * *x).re;
            }
            let got = y[t * channels + h] as f64;
            assert!(
                (got - out).abs() < 1e-4 * (1.0 + out.abs()),
                "channel {h}, t {t}: {got} vs {out}"
            );
        }
    }
}

#[test]
fn quick_run_writes_finite_metrics_and_learns() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    let report = &outcome.report;
    assert!(report.checks.legs_fixed_points < 1e-10);
    // The S4D system is a unitary diagonalisation; PTD's is far better than the direct one.
    assert!(
        report.s4d.condition < 1.0 + 1e-8,
        "{}",
        report.s4d.condition
    );
    let best = report
        .sweep
        .iter()
        .map(|a| a.transfer_error)
        .fold(f64::INFINITY, f64::min);
    assert!(best < report.s4d.transfer_error && best < report.direct.transfer_error);
    for run in &report.training.runs {
        // Chance is ln 10 ≈ 2.30 nats; a network that learns nothing stays there.
        assert!(
            run.losses[run.losses.len() - 1] < 2.2,
            "{}: {:?}",
            run.name,
            run.losses
        );
        assert_eq!(run.accuracy.len(), report.settings.noise_amplitudes.len());
    }
    let names: Vec<&str> = outcome.file_names().collect();
    assert_eq!(names, [FIGURES[0], FIGURES[1], "report.html"]);
}

#[test]
fn settings_are_checked() {
    let bad = [
        Settings {
            state_size: 1,
            ..Settings::quick()
        },
        Settings {
            epsilons: vec![0.0],
            ..Settings::quick()
        },
        Settings {
            noise_amplitudes: vec![1.0],
            ..Settings::quick()
        },
        Settings {
            noise_band: [10, 500],
            ..Settings::quick()
        },
        Settings {
            channels: 1 << 20,
            ..Settings::quick()
        },
    ];
    for settings in bad {
        assert!(matches!(
            run(&settings, &mut |_| {}),
            Err(Error::Setting { .. })
        ));
    }
}
