//! A Gaussian denoiser read as a diffusion model: with the exact MMSE denoiser of a Gaussian prior
//! its noise estimate equals the closed-form one of the same prior; its grid stays within the
//! noise levels it covers; and as a task-file prior on a natural image the samplers improve on the
//! Wiener reconstruction they start from, while DPS and UNet keys are refused by name.

use candle_core::{DType, Device, Tensor};
use inversa::task::Task;
use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
use inversa_learn::diffusion::denoiser_diffusion::DenoiserDiffusion;
use inversa_learn::diffusion::{NoisePredictor, NoiseSchedule};
use inversa_learn::models::denoiser::Denoiser;
use std::sync::Arc;

/// The MMSE denoiser of `u ~ N(mean, std² I)` under noise σ: `mean + std²/(std² + σ²)(u − mean)`.
struct GaussianOracle {
    mean: Vec<f32>,
    std: f32,
}

impl Denoiser for GaussianOracle {
    fn name(&self) -> &str {
        "oracle"
    }
    fn supports(&self, _shape: &[usize]) -> inversa_learn::Result<()> {
        Ok(())
    }
    fn denoise(&self, image: &[f32], _shape: &[usize], sigma: f32, out: &mut [f32]) {
        let gain = self.std * self.std / (self.std * self.std + sigma * sigma);
        for ((o, u), m) in out.iter_mut().zip(image).zip(&self.mean) {
            *o = m + gain * (u - m);
        }
    }
}

#[test]
fn the_mmse_denoiser_of_a_gaussian_gives_its_exact_noise_estimate() {
    // The prior in state units x ∈ [−1, 1]: N(μ, s² I); in image units u = (x + 1)/2.
    let mean: Vec<f64> = (0..16).map(|i| 0.6 * (i as f64 * 0.9).sin()).collect();
    let s = 0.3;
    let component = Component {
        class: 0,
        weight: 1.0,
        mean: mean.clone(),
        std: s,
    };
    let exact =
        GaussianMixture::new(vec![component], NoiseSchedule::linear(1000).unwrap()).unwrap();
    let oracle = GaussianOracle {
        mean: mean.iter().map(|m| (0.5 * m + 0.5) as f32).collect(),
        std: (0.5 * s) as f32,
    };
    let model = DenoiserDiffusion::new(Arc::new(oracle), &[1, 4, 4], 1.0).unwrap();
    let x = Tensor::randn(0f32, 1f32, (3, 16), &Device::Cpu).unwrap();
    for t in [0, 10, 100, 300] {
        let from_denoiser = model
            .eps(&x.reshape((3, 1, 4, 4)).unwrap(), t, None)
            .unwrap();
        let closed_form = exact
            .eps(&x.to_dtype(DType::F64).unwrap(), t, Some(0))
            .unwrap();
        let a = from_denoiser
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = closed_form.flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
        let error = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (f64::from(*p) - q).abs())
            .fold(0.0, f64::max);
        // f32 arithmetic over a division by √(1−ᾱ_t), small at t = 0.
        assert!(error < 2e-3 * scale.max(1.0), "t = {t}: {error} of {scale}");
    }
}

#[test]
fn the_grid_stays_within_the_denoisers_noise_levels() {
    let oracle = Arc::new(GaussianOracle {
        mean: vec![0.5; 16],
        std: 0.2,
    });
    let model = DenoiserDiffusion::new(oracle, &[1, 4, 4], 0.2).unwrap();
    let covered = (0..1000)
        .take_while(|&t| model.intensity_sigma(t) <= 0.2)
        .count();
    assert!(covered > 10 && covered < 1000, "{covered}");
    for steps in [1, 7, covered] {
        let grid = model.grid(steps).unwrap();
        assert_eq!(grid.steps(), steps);
        assert_eq!(
            grid.timestep(steps),
            covered - 1,
            "the top is the last covered level"
        );
        assert!((1..=steps).all(|k| model.intensity_sigma(grid.timestep(k)) <= 0.2));
    }
    let error = model.grid(covered + 1).unwrap_err().to_string();
    assert!(error.contains("steps"), "{error}");
}

/// The bundled grey DnCNN (small and fast in debug builds).
const DNCNN: &str = "denoiser = \"dncnn\"";

fn camera_task(solver: &str, prior: &str) -> inversa::Result<Task<f32>> {
    let text = format!(
        "[data]\nimage = \"builtin:camera\"\ndownscale = 8\n\
         [physics]\nkind = \"blur\"\nkernel = {{ kind = \"gaussian\", sigma = 1.5 }}\n\
         noise = {{ kind = \"gaussian\", sigma = 0.02 }}\n\
         [prior]\nkind = \"diffusion\"\n{prior}\n\
         [solver]\nkind = \"{solver}\"\nsteps = 8\n[run]\nseed = 1\n"
    );
    let dir = std::env::temp_dir();
    Task::from_toml_with(&text, &dir, "denoiser", &inversa_learn::task_extensions())
}

#[test]
fn diffpir_with_a_denoiser_prior_improves_on_the_blurred_image() {
    let task = camera_task("diffpir", DNCNN).unwrap();
    let outcome = task.run(&mut |_| inversa::Control::Continue).unwrap();
    let (after, before) = (
        outcome.quality.unwrap().psnr,
        outcome.initial_quality.unwrap().psnr,
    );
    assert!(after > before + 2.0, "{after:.2} dB from {before:.2} dB");
    assert_eq!(outcome.info.model_calls, Some(8));
    // RED-Diff gains too, though less (its data term weighed per measurement, as in its paper's
    // code; weighed by 1/σ_n² its Adam steps random-walked the state to 13.8 dB).
    let outcome = camera_task("red-diff", DNCNN)
        .unwrap()
        .run(&mut |_| inversa::Control::Continue)
        .unwrap();
    let after = outcome.quality.unwrap().psnr;
    assert!(
        after > before,
        "red-diff: {after:.2} dB from {before:.2} dB"
    );
    // The samplers without a noise-aware data step run, but do not gain at their defaults here
    // (DDNM's pseudo-inverse and DDS's γ = 0 amplify the noise through the blur): the README
    // reports their numbers.
    for solver in ["dds", "ddnm"] {
        let outcome = camera_task(solver, DNCNN)
            .unwrap()
            .run(&mut |_| inversa::Control::Continue)
            .unwrap();
        assert!(
            outcome.reconstruction.iter().all(|v| v.is_finite()),
            "{solver}"
        );
    }
}

#[test]
fn denoiser_priors_refuse_dps_and_the_unets_keys() {
    for (solver, extra, key) in [
        ("dps", "", "solver.kind"),
        ("diffpir", "model = \"fashion\"", "prior.model"),
        ("diffpir", "class = 2", "prior.class"),
        ("diffpir", "max_sigma = 2.0", "prior.max_sigma"),
        ("diffpir", "max_sigma = -1.0", "prior.max_sigma"),
    ] {
        let prior = format!("{DNCNN}\n{extra}");
        let error = camera_task(solver, &prior).err().unwrap().to_string();
        assert!(error.contains(key), "{solver} with {extra:?}: {error}");
    }
    let error = camera_task("diffpir", "denoiser = \"nothing\"")
        .err()
        .unwrap();
    assert!(error.to_string().contains("prior.denoiser"), "{error}");
}
