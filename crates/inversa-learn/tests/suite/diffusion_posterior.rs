//! The diffusion posterior samplers on the exact Gaussian-mixture model, where every quantity has
//! an independent closed form: DPS's gradient against finite differences, DDS with no CG step
//! against DDIM, DiffPIR's data step against the per-pixel proximal map, STSL's Hutchinson trace
//! against the closed-form trace of a Gaussian's noise predictor and against brute-force traces of
//! a mixture's, and the samplers' means against the exact posterior of a Gaussian prior under
//! inpainting.

use candle_core::{DType, Device, Tensor};
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::inpaint::Inpaint;
use inversa::operators::{LinearOperator, Scaled};
use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
use inversa_learn::diffusion::inversion::ddim;
use inversa_learn::diffusion::posterior::{
    self, dds, diffpir, dps, stsl, DiffusionPrior, Likelihood, Method, NormalSolve, StateMap,
};
use inversa_learn::diffusion::NoiseSchedule;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A two-class mixture in 16 dimensions (a 4×4 image), means of a few units, small spreads.
fn mixture() -> GaussianMixture {
    let mean = |phase: f64| (0..16).map(|i| (i as f64 * 0.7 + phase).sin()).collect();
    let components = vec![
        Component {
            class: 0,
            weight: 0.6,
            mean: mean(0.0),
            std: 0.3,
        },
        Component {
            class: 0,
            weight: 0.4,
            mean: mean(1.5),
            std: 0.2,
        },
        Component {
            class: 1,
            weight: 1.0,
            mean: mean(3.0),
            std: 0.25,
        },
    ];
    GaussianMixture::new(components, NoiseSchedule::linear(1000).unwrap()).unwrap()
}

fn identity_map() -> StateMap {
    StateMap::new(&[16], &[1, 4, 4], 1.0, 0.0).unwrap()
}

fn states(rows: usize, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    inversa_learn::diffusion::standard_normal(&mut rng, &[rows, 16], DType::F64).unwrap()
}

fn rows(x: &Tensor) -> Vec<Vec<f64>> {
    x.to_vec2::<f64>().unwrap()
}

#[test]
fn dps_guidance_matches_finite_differences_through_network_and_operator() {
    let model = mixture();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), Some(0));
    let cs = CompressedSensing::<f64>::gaussian(&[1, 4, 4], 8, 3).unwrap();
    let y: Vec<f64> = (0..8).map(|i| (i as f64).cos()).collect();
    let likelihood = Likelihood::new(&cs, &y, 0.05, identity_map()).unwrap();
    let x = states(2, 5).affine(0.5, 0.0).unwrap();
    let k = 10;
    let (gradient, _, _) = dps::guidance(&prior, &likelihood, &x, k).unwrap();
    // f(x) = Σ_b ‖y − A x̂₀(x_b)‖, evaluated without any gradient machinery.
    let f = |x: &Tensor| -> f64 {
        let eps = prior.eps(x, k).unwrap();
        let x0 = posterior::tweedie(x, &eps, prior.grid.alpha_bar(k)).unwrap();
        rows(&x0)
            .iter()
            .map(|u| {
                let r: Vec<f64> = cs.apply_new(u).iter().zip(&y).map(|(a, b)| a - b).collect();
                r.iter().map(|v| v * v).sum::<f64>().sqrt()
            })
            .sum()
    };
    let base = rows(&x);
    let analytic = rows(&gradient);
    let h = 1e-6;
    for (b, i) in [(0, 0), (0, 7), (1, 3), (1, 15)] {
        let shifted = |delta: f64| {
            let mut v = base.clone();
            v[b][i] += delta;
            Tensor::new(v, &Device::Cpu).unwrap()
        };
        let numeric = (f(&shifted(h)) - f(&shifted(-h))) / (2.0 * h);
        let error = (numeric - analytic[b][i]).abs();
        assert!(
            error < 1e-5 * (1.0 + numeric.abs()),
            "∂f/∂x[{b}][{i}]: autograd {} vs finite differences {numeric}",
            analytic[b][i]
        );
    }
}

#[test]
fn stsl_surrogate_gradient_matches_finite_differences_through_both_calls_and_operator() {
    let model = mixture();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), Some(0));
    let cs = CompressedSensing::<f64>::gaussian(&[1, 4, 4], 8, 3).unwrap();
    let y: Vec<f64> = (0..8).map(|i| (i as f64).sin()).collect();
    let likelihood = Likelihood::new(&cs, &y, 0.05, identity_map()).unwrap();
    // A trace weight large enough for the second-order term to dominate the gradient.
    let params = stsl::Params {
        lambda: 0.7,
        eta: 200.0,
        averaging: 1,
    };
    let x = states(2, 6).affine(0.5, 0.0).unwrap();
    let probe = states(2, 8);
    let k = 6;
    let step = stsl::surrogate_gradient(&params, &prior, &likelihood, &x, k, &probe).unwrap();
    // L(x) = Σ_b λ‖y − A x̂₀(x_b)‖ − (η σ²/d) ⟨ξ_b, ε(x_b + hξ_b) − ε(x_b)⟩/h, h = σ, with no
    // autograd.
    let h = (1.0 - prior.grid.alpha_bar(k)).sqrt();
    let loss = |x: &Tensor| -> f64 {
        let eps = prior.eps(x, k).unwrap();
        let x0 = posterior::tweedie(x, &eps, prior.grid.alpha_bar(k)).unwrap();
        let shifted = prior
            .eps(&(x + probe.affine(h, 0.0).unwrap()).unwrap(), k)
            .unwrap();
        let (eps, shifted, xi) = (rows(&eps), rows(&shifted), rows(&probe));
        rows(&x0)
            .iter()
            .enumerate()
            .map(|(b, u)| {
                let r: Vec<f64> = cs.apply_new(u).iter().zip(&y).map(|(a, c)| a - c).collect();
                let misfit = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                let trace: f64 = (0..16)
                    .map(|i| xi[b][i] * (shifted[b][i] - eps[b][i]) / h)
                    .sum();
                params.lambda * misfit - params.eta * h * h / 16.0 * trace
            })
            .sum()
    };
    let (base, analytic) = (rows(&x), rows(&step.gradient));
    let trace_only = stsl::Params {
        lambda: 0.0,
        ..params.clone()
    };
    let second_order = stsl::surrogate_gradient(&trace_only, &prior, &likelihood, &x, k, &probe)
        .unwrap()
        .gradient;
    assert!(
        inversa_learn::diffusion::norm(&second_order).unwrap() > 0.1,
        "the trace term has no gradient here: the check would not see it"
    );
    let delta = 1e-6;
    for (b, i) in [(0, 1), (0, 9), (1, 4), (1, 14)] {
        let shifted = |d: f64| {
            let mut v = base.clone();
            v[b][i] += d;
            Tensor::new(v, &Device::Cpu).unwrap()
        };
        let numeric = (loss(&shifted(delta)) - loss(&shifted(-delta))) / (2.0 * delta);
        let error = (numeric - analytic[b][i]).abs();
        assert!(
            error < 1e-5 * (1.0 + numeric.abs()),
            "∂L/∂x[{b}][{i}]: autograd {} vs finite differences {numeric}",
            analytic[b][i]
        );
    }
}

#[test]
fn dds_with_no_cg_step_is_ddim() {
    let model = mixture();
    let grid = model.schedule().grid(25).unwrap();
    let prior = DiffusionPrior::new(&model, grid.clone(), Some(1));
    let inpaint = Inpaint::<f64>::random(&[1, 4, 4], 0.5, 1).unwrap();
    let y = vec![0.3; inpaint.output_len()];
    let likelihood = Likelihood::new(&inpaint, &y, 0.05, identity_map()).unwrap();
    let top = states(3, 9);
    for eta in [0.0, 0.6] {
        let params = dds::Params {
            cg_steps: 0,
            gamma: 1.0,
            eta,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let ours = Method::Dds(params)
            .run(&prior, &likelihood, &top, &mut rng)
            .unwrap();
        let reference = ddim::sample(&model, &grid, &top, Some(1), eta, 4).unwrap();
        let gap = (ours - reference)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        assert!(gap.to_scalar::<f64>().unwrap() < 1e-12, "η = {eta}");
    }
}

#[test]
fn diffpir_data_step_is_the_closed_form_proximal_map_in_state_coordinates() {
    // A 4×4 image inside a 6×6 state in [−1, 1]: u = 0.5·crop(x) + 0.5.
    let map = StateMap::new(&[1, 6, 6], &[1, 4, 4], 0.5, 0.5).unwrap();
    let inpaint = Inpaint::<f64>::random(&[1, 4, 4], 0.5, 2).unwrap();
    let y: Vec<f64> = (0..inpaint.output_len()).map(|i| 0.1 * i as f64).collect();
    let sigma_n = 0.1;
    let likelihood = Likelihood::new(&inpaint, &y, sigma_n, map.clone()).unwrap();
    let x0 = states(1, 3).reshape((1, 1, 4, 4)).unwrap();
    let x0 = x0
        .pad_with_same(2, 1, 1)
        .unwrap()
        .pad_with_same(3, 1, 1)
        .unwrap();
    let params = diffpir::Params {
        lambda: 7.0,
        zeta: 0.3,
    };
    let alpha_bar = 0.6;
    let refined = diffpir::data_step(&params, &likelihood, &x0, alpha_bar).unwrap();
    // ρ = λσ_n²/σ̄², σ̄² = (1−ᾱ)/ᾱ; per observed pixel, in image units with ρ' = ρ/s²:
    // u = (y + ρ' u₀)/(1 + ρ'); unobserved pixels and the margin keep x̂₀.
    let rho = params.lambda * sigma_n * sigma_n / ((1.0 - alpha_bar) / alpha_bar) / 0.25;
    let observed: Vec<bool> = {
        let ones = inpaint.adjoint_new(&vec![1.0; inpaint.output_len()]);
        ones.iter().map(|v| *v > 0.5).collect()
    };
    let y_image = inpaint.adjoint_new(&y);
    let before = x0.flatten_all().unwrap().to_vec1::<f64>().unwrap();
    let after = refined.flatten_all().unwrap().to_vec1::<f64>().unwrap();
    for row in 0..6 {
        for column in 0..6 {
            let index = row * 6 + column;
            let inside = (1..5).contains(&row) && (1..5).contains(&column);
            let expected = if inside && observed[(row - 1) * 4 + column - 1] {
                let u0 = 0.5 * before[index] + 0.5;
                let u = (y_image[(row - 1) * 4 + column - 1] + rho * u0) / (1.0 + rho);
                (u - 0.5) / 0.5
            } else {
                before[index]
            };
            assert!(
                (after[index] - expected).abs() < 1e-12,
                "pixel ({row}, {column})"
            );
        }
    }
}

#[test]
fn per_item_measurements_give_each_state_what_its_own_measurement_gives_it() {
    let model = mixture();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), Some(0));
    let cs = CompressedSensing::<f64>::gaussian(&[1, 4, 4], 8, 3).unwrap();
    let ys: Vec<Vec<f64>> = (0..3)
        .map(|b| (0..8).map(|i| (i as f64 + b as f64).cos()).collect())
        .collect();
    let flat: Vec<f64> = ys.concat();
    let batched = Likelihood::per_item(&cs, &flat, 0.05, identity_map()).unwrap();
    assert_eq!(batched.items(), 3);
    let x = states(3, 8).affine(0.5, 0.0).unwrap();
    let (gradient, _, _) = dps::guidance(&prior, &batched, &x, 7).unwrap();
    let prox = batched.proximal(&x, 0.3, NormalSolve::Exact(100)).unwrap();
    let misfit = batched.misfit_gradient(&x).unwrap();
    for (b, y) in ys.iter().enumerate() {
        let alone = Likelihood::new(&cs, y, 0.05, identity_map()).unwrap();
        let row = x.narrow(0, b, 1).unwrap();
        let (g, _, _) = dps::guidance(&prior, &alone, &row, 7).unwrap();
        let p = alone.proximal(&row, 0.3, NormalSolve::Exact(100)).unwrap();
        let m = alone.misfit_gradient(&row).unwrap();
        for (ours, reference) in [(&gradient, g), (&prox, p), (&misfit, m)] {
            let ours = rows(&ours.narrow(0, b, 1).unwrap());
            let reference = rows(&reference);
            for (a, r) in ours[0].iter().zip(&reference[0]) {
                assert!(
                    (a - r).abs() < 1e-9 * (1.0 + r.abs()),
                    "item {b}: {a} vs {r}"
                );
            }
        }
    }
    // Two measurements for a batch of three states, or a partial measurement, are refused.
    let two = &flat[..16];
    let pair = Likelihood::per_item(&cs, two, 0.05, identity_map()).unwrap();
    assert!(pair.proximal(&x, 0.3, NormalSolve::Exact(10)).is_err());
    assert!(Likelihood::per_item(&cs, &flat[..12], 0.05, identity_map()).is_err());
    assert!(Likelihood::new(&cs, &flat, 0.05, identity_map()).is_err());
}

/// The exact posterior of `N(μ, s² I)` under inpainting with noise σ_n: observed pixels
/// `(μ/s² + y/σ_n²)/(1/s² + 1/σ_n²)`, the others `μ`.
fn exact_posterior_mean(
    mean: &[f64],
    s: f64,
    observed: &[bool],
    y_image: &[f64],
    sigma_n: f64,
) -> Vec<f64> {
    let precision = 1.0 / (s * s) + 1.0 / (sigma_n * sigma_n);
    mean.iter()
        .zip(observed)
        .zip(y_image)
        .map(|((m, o), y)| {
            if *o {
                (m / (s * s) + y / (sigma_n * sigma_n)) / precision
            } else {
                *m
            }
        })
        .collect()
}

#[test]
fn every_sampler_moves_the_mean_to_the_exact_gaussian_posterior() {
    let mean: Vec<f64> = (0..16).map(|i| (i as f64 * 0.4).cos()).collect();
    let s = 0.5;
    let component = Component {
        class: 0,
        weight: 1.0,
        mean: mean.clone(),
        std: s,
    };
    let model =
        GaussianMixture::new(vec![component], NoiseSchedule::linear(1000).unwrap()).unwrap();
    let inpaint = Inpaint::<f64>::random(&[1, 4, 4], 0.5, 7).unwrap();
    let truth: Vec<f64> = mean
        .iter()
        .enumerate()
        .map(|(i, m)| m + 0.6 * (i as f64).sin())
        .collect();
    let sigma_n = 0.05;
    let y = inpaint.apply_new(&truth);
    let observed: Vec<bool> = inpaint
        .adjoint_new(&vec![1.0; inpaint.output_len()])
        .iter()
        .map(|v| *v > 0.5)
        .collect();
    let exact = exact_posterior_mean(&mean, s, &observed, &inpaint.adjoint_new(&y), sigma_n);
    let prior_gap: f64 = exact
        .iter()
        .zip(&mean)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let likelihood = Likelihood::new(&inpaint, &y, sigma_n, identity_map()).unwrap();
    let methods = [
        Method::Dps(dps::Params { zeta: 0.5 }),
        Method::Ddnm(Default::default()),
        Method::Dds(Default::default()),
        Method::DiffPir(Default::default()),
        Method::RedDiff(Default::default()),
        Method::Stsl(Default::default()),
    ];
    for method in methods {
        // A budget of 50 network calls each.
        let levels = 50 / method.calls_per_level();
        let prior = DiffusionPrior::new(&model, model.schedule().grid(levels).unwrap(), Some(0));
        let drawn = posterior::sample(&method, &prior, &likelihood, 400, DType::F64, 11).unwrap();
        assert_eq!(drawn.model_calls, 50, "{}", method.name());
        let samples = rows(&drawn.samples);
        let sample_mean: Vec<f64> = (0..16)
            .map(|i| samples.iter().map(|r| r[i]).sum::<f64>() / samples.len() as f64)
            .collect();
        let gap: f64 = sample_mean
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        // The prior mean is `prior_gap` away; a posterior sampler must close most of that.
        assert!(
            gap < 0.15 * prior_gap,
            "{}: mean {gap:.4} from the exact posterior mean (prior mean: {prior_gap:.4})",
            method.name()
        );
    }
}

/// `n` copies of one state `[16]` (one row of `states`), to probe the same point many times.
fn copies(n: usize, seed: u64) -> Tensor {
    let row = states(1, seed).affine(0.8, 0.0).unwrap();
    row.broadcast_as((n, 16)).unwrap().contiguous().unwrap()
}

/// Mean and standard error of a sample.
fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

/// Per row, STSL's Hutchinson estimate of `tr J_ε(x)` with a fresh probe.
fn probes(prior: &DiffusionPrior, x: &Tensor, k: usize, seed: u64) -> Vec<f64> {
    let eps = prior.eps(x, k).unwrap();
    let probe = states(x.dims()[0], seed);
    stsl::hutchinson(prior, x, &eps, &probe, k)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

#[test]
fn stsl_trace_estimate_matches_the_closed_form_trace_of_a_gaussian() {
    // N(μ, s²I) at (a, σ): ε(x) = σ(x − aμ)/(a²s² + σ²), so tr J_ε = dσ/(a²s² + σ²) everywhere.
    let mean: Vec<f64> = (0..16).map(|i| (i as f64 * 0.3).sin()).collect();
    let s = 0.4;
    let component = Component {
        class: 0,
        weight: 1.0,
        mean,
        std: s,
    };
    let model =
        GaussianMixture::new(vec![component], NoiseSchedule::linear(1000).unwrap()).unwrap();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), None);
    for k in [1, 6, 13, 20] {
        let alpha_bar = prior.grid.alpha_bar(k);
        let (a2, sigma) = (alpha_bar, (1.0 - alpha_bar).sqrt());
        let exact = 16.0 * sigma / (a2 * s * s + sigma * sigma);
        let (mean, error) = mean_and_error(&probes(&prior, &copies(4000, k as u64), k, 99));
        assert!(
            (mean - exact).abs() < 4.0 * error,
            "level {k}: {mean:.5} ± {error:.5} from 4000 probes, exact trace {exact:.5}"
        );
        // Not trivially right: the standard error is a few per cent of the trace.
        assert!(error > 1e-3 * exact, "level {k}: error {error}");
    }
}

/// `tr J_ε(x)` of `model` at each row of `x` by central differences, coordinate by coordinate.
fn brute_force_traces(prior: &DiffusionPrior, x: &Tensor, k: usize) -> Vec<f64> {
    let points = rows(x);
    let h = 1e-5;
    let mut traces = vec![0.0; points.len()];
    for i in 0..16 {
        let shifted = |delta: f64| {
            let moved: Vec<Vec<f64>> = points
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r[i] += delta;
                    r
                })
                .collect();
            rows(
                &prior
                    .eps(&Tensor::new(moved, &Device::Cpu).unwrap(), k)
                    .unwrap(),
            )
        };
        let (up, down) = (shifted(h), shifted(-h));
        for (b, trace) in traces.iter_mut().enumerate() {
            *trace += (up[b][i] - down[b][i]) / (2.0 * h);
        }
    }
    traces
}

#[test]
fn stsl_trace_estimate_is_the_trace_averaged_over_the_probe_ball_of_a_mixture() {
    // For a mixture ε is not affine: by Stein's identity the probe's mean is E_z tr J_ε(z),
    // z ~ N(x, h²I), h = σ_k. Compare it with brute-force traces at independent draws of z.
    let model = mixture();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), Some(0));
    for k in [4, 5, 7] {
        let h = (1.0 - prior.grid.alpha_bar(k)).sqrt();
        let centre = copies(3000, 40 + k as u64);
        let (estimate, estimate_error) = mean_and_error(&probes(&prior, &centre, k, 7 + k as u64));
        let around = (&centre + states(3000, 500 + k as u64).affine(h, 0.0).unwrap()).unwrap();
        let (averaged, averaged_error) = mean_and_error(&brute_force_traces(&prior, &around, k));
        let error = (estimate_error.powi(2) + averaged_error.powi(2)).sqrt();
        assert!(
            (estimate - averaged).abs() < 4.0 * error,
            "level {k}: probes {estimate:.4} vs brute force {averaged:.4} (± {error:.4})"
        );
        // Here the point trace differs from the averaged one: the check sees the smoothing.
        let point = brute_force_traces(&prior, &centre.narrow(0, 0, 1).unwrap(), k)[0];
        assert!(
            (point - averaged).abs() > 4.0 * error,
            "level {k}: point trace {point:.4} is indistinguishable from {averaged:.4}"
        );
    }
}

/// DPS's and STSL's steps are in units of the operator's gain, so measuring with `cA` (and `cy`)
/// draws the same samples as `A` and `y`: the step means the same on a projector as on a mask.
#[test]
fn dps_and_stsl_draw_the_same_samples_through_a_scaled_operator() {
    let model = mixture();
    let a = CompressedSensing::<f64>::gaussian(&[1, 4, 4], 6, 5).unwrap();
    let truth: Vec<f64> = (0..16).map(|i| (i as f64 * 0.7).sin()).collect();
    let y = a.apply_new(&truth);
    let c = 7.0;
    let scaled = Scaled::new(
        c,
        Box::new(CompressedSensing::<f64>::gaussian(&[1, 4, 4], 6, 5).unwrap()),
    );
    let scaled_y: Vec<f64> = y.iter().map(|v| c * v).collect();
    let plain = Likelihood::new(&a, &y, 0.05, identity_map()).unwrap();
    let amplified = Likelihood::new(&scaled, &scaled_y, c * 0.05, identity_map()).unwrap();
    let prior = DiffusionPrior::new(&model, model.schedule().grid(20).unwrap(), Some(0));
    for method in [
        Method::Dps(Default::default()),
        Method::Stsl(Default::default()),
    ] {
        let draw = |likelihood| {
            let drawn = posterior::sample(&method, &prior, likelihood, 4, DType::F64, 3).unwrap();
            rows(&drawn.samples).concat()
        };
        let (one, other) = (draw(&plain), draw(&amplified));
        let gap = one
            .iter()
            .zip(&other)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(gap < 1e-8, "{}: samples differ by {gap}", method.name());
    }
}

/// The observed pixels of a mask as a vector of their own: `M` without the zeros it returns.
struct Kept {
    input: Vec<usize>,
    output: Vec<usize>,
    pixels: Vec<usize>,
}

impl LinearOperator<f64> for Kept {
    fn input_shape(&self) -> &[usize] {
        &self.input
    }
    fn output_shape(&self) -> &[usize] {
        &self.output
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        y.iter_mut().zip(&self.pixels).for_each(|(y, &i)| *y = x[i]);
    }
    fn adjoint(&self, y: &[f64], x: &mut [f64]) {
        x.fill(0.0);
        y.iter().zip(&self.pixels).for_each(|(y, &i)| x[i] = *y);
    }
}

/// RED-Diff weighs the residual per independent measurement (rank A), as its paper's code does
/// with the measurements a mask keeps: a mask that returns the whole image with zeros and one
/// that returns only the kept pixels give the same estimate. Weighed per returned entry (or per
/// `σ_n²`, at another noise level) they would not.
#[test]
fn red_diff_weighs_the_residual_per_independent_measurement() {
    let model = mixture();
    let mask = Inpaint::<f64>::random(&[1, 4, 4], 0.6, 9).unwrap();
    let ones = mask.apply_new(&[1.0; 16]);
    let pixels: Vec<usize> = (0..16).filter(|&i| ones[i] > 0.5).collect();
    let kept = Kept {
        input: vec![1, 4, 4],
        output: vec![pixels.len()],
        pixels: pixels.clone(),
    };
    assert!(pixels.len() < 16 && kept.output_len() < mask.output_len());
    let truth: Vec<f64> = (0..16).map(|i| (i as f64 * 0.7).sin()).collect();
    let (full, short) = (mask.apply_new(&truth), kept.apply_new(&truth));
    let prior = DiffusionPrior::new(&model, model.schedule().grid(30).unwrap(), Some(0));
    let method = Method::RedDiff(Default::default());
    let estimate = |likelihood: &Likelihood<f64>| {
        let drawn = posterior::sample(&method, &prior, likelihood, 3, DType::F64, 5).unwrap();
        rows(&drawn.samples).concat()
    };
    let whole = estimate(&Likelihood::new(&mask, &full, 0.05, identity_map()).unwrap());
    let only_kept = estimate(&Likelihood::new(&kept, &short, 0.3, identity_map()).unwrap());
    let gap = whole
        .iter()
        .zip(&only_kept)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-9, "the estimates differ by {gap}");
}
