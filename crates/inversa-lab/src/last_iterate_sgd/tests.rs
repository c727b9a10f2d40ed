use super::hard_instance::hard_run;
use super::problems::{dot, quantile, Kind};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn quantile_matches_order_statistics() {
    let values = [5.0, 1.0, 4.0, 2.0, 3.0];
    assert_eq!(quantile(&values, 0.5), 3.0);
    assert_eq!(quantile(&values, 1.0), 5.0);
    assert!((quantile(&values, 0.9) - 4.6).abs() < 1e-12);
}

#[test]
fn hard_instance_last_iterate_stays_above_the_harvey_bound() {
    let mut ratios = Vec::new();
    for t in [64, 256, 1024] {
        let (last, average) = hard_run(t);
        let harmonic: f64 = (1..=t).map(|j| 1.0 / j as f64).sum();
        let bound = harmonic / (32.0 * (t as f64).sqrt());
        assert!(last >= bound, "T = {t}: {last} < {bound}");
        ratios.push(last / average);
    }
    // The last iterate loses a factor that grows with T (log T) against the average (1/√T).
    assert!(
        ratios[0] > 1.0 && ratios[1] > ratios[0] && ratios[2] > ratios[1],
        "{ratios:?}"
    );
}

#[test]
fn planted_optima_are_minima() {
    let settings = Settings::quick();
    let lad = Problem::lad(&settings, settings.l1).unwrap();
    let Kind::Lad { x_star, .. } = &lad.kind else {
        unreachable!()
    };
    assert!((lad.value(x_star) - lad.optimum).abs() < 1e-12);
    // Brute force: no random point near x⋆ does better.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for k in 0..400 {
        let scale = 10f64.powi(-(k % 5));
        let probe: Vec<f64> = x_star
            .iter()
            .map(|v| v + scale * (rng.gen::<f64>() - 0.5))
            .collect();
        assert!(lad.value(&probe) >= lad.optimum - 1e-12);
    }
    // The ridge minimiser has a zero gradient.
    let ridge = Problem::ridge(&settings).unwrap();
    let x = ridge_minimiser(&ridge);
    let mut g = vec![0.0; ridge.d];
    ridge.subgradient(&x, &mut g);
    assert!(dot(&g, &g).sqrt() < 1e-10, "{g:?}");
}

/// The ridge minimiser by gradient descent with step 1/L, not by the Cholesky solve.
fn ridge_minimiser(problem: &Problem) -> Vec<f64> {
    let Kind::Ridge { mu, t0, .. } = problem.kind else {
        unreachable!()
    };
    let step = 1.0 / (mu * t0);
    let (mut x, mut g) = (vec![0.0; problem.d], vec![0.0; problem.d]);
    for _ in 0..20_000 {
        problem.subgradient(&x, &mut g);
        x.iter_mut().zip(&g).for_each(|(xi, gi)| *xi -= step * gi);
    }
    assert!((problem.value(&x) - problem.optimum).abs() < 1e-12);
    x
}

#[test]
fn quick_run_follows_the_predicted_rates() {
    let outcome = run(&Settings::quick(), &mut |_| {}).unwrap();
    for c in &outcome.report.curves {
        let what = format!(
            "{} / {} / {} / {}",
            c.problem, c.noise, c.schedule, c.iterate
        );
        let (first, last) = (c.median[0], c.median[c.median.len() - 1]);
        assert!(last < first, "{what}: {first} → {last}");
        assert!(c.quantile_90.iter().zip(&c.median).all(|(q, m)| q >= m));
        if c.iterate == "last" {
            // O(rate): median / rate stays within a constant band over a 64-fold range of T,
            // and the median falls at least as fast as the rate does.
            assert!(c.median_over_rate_spread < 4.0, "{what}: {c:?}");
            assert!(
                c.fitted_exponent < c.predicted_exponent + 0.05,
                "{what}: {c:?}"
            );
        }
    }
    let hard = &outcome.report.hard_instance;
    assert!(hard.last.iter().zip(&hard.lower_bound).all(|(f, b)| f >= b));
    outcome.check_finite().unwrap();
}

#[test]
fn settings_are_checked_by_name() {
    let settings = Settings {
        seeds: 5,
        ..Settings::quick()
    };
    let error = run(&settings, &mut |_| {}).err().unwrap();
    assert!(matches!(error, Error::Setting { ref key, .. } if key == "seeds"));
    let settings = Settings {
        l1: 50.0,
        ..Settings::quick()
    };
    let error = run(&settings, &mut |_| {}).err().unwrap();
    assert!(matches!(error, Error::Setting { ref key, .. } if key == "l1"));
}
