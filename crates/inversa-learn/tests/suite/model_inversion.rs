//! Model inversion (GMI, IF-GMI): the ℓ1-ball projection against an independent bisection
//! reference and its defining minimum-distance property; the GAN loss giving each network only
//! its own gradient; and, on the bundled Fashion-MNIST models, GMI lowering the identity loss,
//! IF-GMI's features staying inside their balls, and IF-GMI reaching at least GMI's attack
//! accuracy on the same target.

use candle_core::{Device, Result, Tensor};
use inversa::Control;
use inversa_learn::attacks::gmi::{self, attack_accuracy};
use inversa_learn::attacks::if_gmi::{self, Stage};
use inversa_learn::attacks::l1_ball::{distances, project, project_around};
use inversa_learn::data::fashion_mnist::LabelledImages;
use inversa_learn::models::bundled;
use inversa_learn::models::gan::{softplus, uniform_latents, GanConfig, GanTraining, SMOOTHING};
use inversa_learn::training::{named_vars, Trainable};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

fn l1(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(x.abs())).sum()
}

fn l2_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The projection by bisection on the threshold `θ` of `Σ max(|vᵢ| − θ, 0) = r` (no sorting).
fn bisection_projection(v: &[f32], radius: f64) -> Vec<f32> {
    if l1(v) <= radius {
        return v.to_vec();
    }
    let mass = |theta: f64| -> f64 {
        v.iter()
            .map(|x| (f64::from(x.abs()) - theta).max(0.0))
            .sum()
    };
    let (mut lo, mut hi) = (0.0, v.iter().fold(0.0f64, |m, x| m.max(f64::from(x.abs()))));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mass(mid) > radius {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let theta = 0.5 * (lo + hi);
    v.iter()
        .map(|&x| ((f64::from(x.abs()) - theta).max(0.0) as f32).copysign(x))
        .collect()
}

/// A random point of the ℓ1 ball of `radius` (on its surface or inside), `n` coordinates.
fn point_in_ball(rng: &mut ChaCha8Rng, n: usize, radius: f64) -> Vec<f32> {
    let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let scale = radius * rng.gen_range(0.0..=1.0f64).sqrt() / l1(&v).max(1e-12);
    v.iter().map(|x| (f64::from(*x) * scale) as f32).collect()
}

#[test]
fn the_l1_projection_is_exact() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for trial in 0..300 {
        let n = 1 + trial % 12;
        let v: Vec<f32> = (0..n).map(|_| rng.gen_range(-3.0..3.0)).collect();
        let radius = rng.gen_range(0.0..1.2) * l1(&v);
        let mut p = v.clone();
        project(&mut p, radius);
        // In the ball, on its surface when v was outside.
        assert!(l1(&p) <= radius * (1.0 + 1e-5) + 1e-6, "‖P(v)‖₁ > r");
        if l1(&v) > radius {
            assert!(
                (l1(&p) - radius).abs() <= 1e-5 * radius.max(1.0),
                "not on the surface"
            );
        }
        // Equal to the bisection reference.
        let reference = bisection_projection(&v, radius);
        assert!(
            l2_distance(&p, &reference) <= 1e-5,
            "{p:?} vs {reference:?}"
        );
        // No point of the ball is closer to v.
        let own = l2_distance(&p, &v);
        for _ in 0..20 {
            let u = point_in_ball(&mut rng, n, radius);
            assert!(own <= l2_distance(&u, &v) + 1e-5);
        }
        // A point already inside is its own projection.
        let inside = point_in_ball(&mut rng, n, radius);
        let mut q = inside.clone();
        project(&mut q, radius);
        assert_eq!(q, inside);
    }
}

#[test]
fn batched_projection_works_row_by_row_around_a_centre() -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let values =
        |rng: &mut ChaCha8Rng| -> Vec<f32> { (0..24).map(|_| rng.gen_range(-2.0..2.0)).collect() };
    let (x, c) = (values(&mut rng), values(&mut rng));
    let shape = (3, 2, 2, 2);
    let xt = Tensor::from_vec(x.clone(), shape, &Device::Cpu)?;
    let ct = Tensor::from_vec(c.clone(), shape, &Device::Cpu)?;
    let projected = project_around(&xt, &ct, 1.5)?;
    for (row, d) in distances(&projected, &ct)?.iter().enumerate() {
        let deviation: Vec<f32> = (0..8).map(|i| x[row * 8 + i] - c[row * 8 + i]).collect();
        let expected = bisection_projection(&deviation, 1.5);
        let got: Vec<f32> = projected.flatten_from(1)?.get(row)?.to_vec1::<f32>()?;
        let got: Vec<f32> = got.iter().zip(&c[row * 8..]).map(|(p, c)| p - c).collect();
        assert!(l2_distance(&got, &expected) <= 1e-5);
        assert!(f64::from(*d) <= 1.5 * (1.0 + 1e-5));
    }
    Ok(())
}

/// Random labelled 28×28 images.
fn noise_images(count: usize, seed: u64) -> LabelledImages {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pixels = (0..count * 784).map(|_| rng.gen()).collect();
    LabelledImages::new(28, 28, pixels, vec![0; count], Path::new("noise")).unwrap()
}

/// The gradient of `loss` for every trained variable, by name.
fn gradients(training: &GanTraining, loss: &Tensor) -> Result<Vec<(String, Tensor)>> {
    let grads = loss.backward()?;
    named_vars(training.varmap())
        .into_iter()
        .map(|(name, var)| {
            let g = match grads.get(var.as_tensor()) {
                Some(g) => g.clone(),
                None => var.as_tensor().zeros_like()?,
            };
            Ok((name, g))
        })
        .collect()
}

#[test]
fn each_gan_network_gets_only_the_gradient_of_its_own_loss() -> Result<()> {
    let config = GanConfig {
        latent: 8,
        channels: 8,
    };
    let training =
        GanTraining::new(config, noise_images(16, 1), noise_images(4, 2)).expect("valid sets");
    training.initialise(5)?;
    let rng = ChaCha8Rng::seed_from_u64(9);
    let combined = gradients(&training, &training.loss(0, &mut rng.clone(), 4, 28)?)?;
    // The same draws as the loss: four image indices, then four latents.
    let mut draws = rng.clone();
    let data = noise_images(16, 1);
    let indices: Vec<usize> = (0..4).map(|_| draws.gen_range(0..16)).collect();
    let real = data.batch(&indices, 28)?;
    let gan = training.gan();
    let fake = gan
        .generator
        .generate(&uniform_latents(&mut draws, 4, 8)?)?;
    let d = &gan.discriminator;
    let real_logits = d.logits(&real)?;
    let real_loss = ((softplus(&real_logits.neg()?)? * (1.0 - SMOOTHING))?
        + (softplus(&real_logits)? * SMOOTHING)?)?;
    let d_loss = (real_loss.mean_all()? + softplus(&d.logits(&fake)?)?.mean_all()?)?;
    let g_loss = softplus(&d.logits(&fake)?.neg()?)?.mean_all()?;
    let own_d = gradients(&training, &d_loss)?;
    let own_g = gradients(&training, &g_loss)?;
    for (((name, got), (_, want_d)), (_, want_g)) in combined.iter().zip(&own_d).zip(&own_g) {
        let want = if name.starts_with("discriminator") {
            want_d
        } else {
            want_g
        };
        let scale = want.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
        let error = (got - want)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        assert!(
            error <= 1e-5 * scale.max(1e-3),
            "{name}: off by {error} (scale {scale})"
        );
    }
    Ok(())
}

#[test]
fn gmi_lowers_the_identity_loss() -> Result<()> {
    let gan = bundled::inversion_gan().unwrap();
    let target = bundled::private_target().unwrap();
    let settings = gmi::Settings {
        restarts: 4,
        iterations: 60,
        ..gmi::Settings::default()
    };
    for class in 0..5 {
        let found = gmi::invert(&gan, &target, class, settings, 1, &mut |_| {
            Control::Continue
        })?;
        let history = &found.identity_loss;
        let (first, last) = (history[0], *history.last().unwrap());
        assert!(last < 0.5 * first, "class {class}: {first} → {last}");
        let z = found.latent.flatten_all()?.to_vec1::<f32>()?;
        assert!(z.iter().all(|v| v.abs() <= 1.0), "latents leave [−1, 1]");
    }
    Ok(())
}

#[test]
fn if_gmi_features_stay_inside_their_balls() -> Result<()> {
    let gan = bundled::inversion_gan().unwrap();
    let target = bundled::private_target().unwrap();
    let radii = [5.0, 20.0];
    let settings = if_gmi::Settings {
        gmi: gmi::Settings {
            restarts: 3,
            iterations: 20,
            ..gmi::Settings::default()
        },
        stages: radii
            .iter()
            .map(|&radius| Stage {
                iterations: 40,
                radius,
            })
            .collect(),
    };
    let mut steps = [0usize; 3];
    let mut touched = [false; 3];
    if_gmi::invert(&gan, &target, 2, &settings, 4, &mut |step| {
        steps[step.stage] += 1;
        if let Some(deviation) = step.deviation {
            let radius = radii[step.stage - 1];
            assert!(
                deviation <= radius * (1.0 + 1e-4),
                "stage {}: {deviation} > {radius}",
                step.stage
            );
            touched[step.stage] |= deviation >= radius * 0.999;
        }
        Control::Continue
    })?;
    assert_eq!(steps, [20, 40, 40]);
    // The radii are small enough that the constraint binds, so the projection did work.
    assert!(touched[1] && touched[2], "the balls were never reached");
    Ok(())
}

/// The comparison's setting: GMI with a short latent search (8 restarts, 50 steps, λ_prior = 1),
/// then two IF-GMI stages of 50 steps in balls of radius 100. Measured with the bundled models:
/// GMI 82.5%, IF-GMI 95.0% mean attack accuracy over the five private classes (seed 0); the test
/// asks for at least 5 points more.
const RESTARTS: usize = 8;
const ITERATIONS: usize = 50;
const STAGES: [Stage; 2] = [
    Stage {
        iterations: 50,
        radius: 100.0,
    },
    Stage {
        iterations: 50,
        radius: 100.0,
    },
];
const MARGIN: f64 = 0.05;

#[test]
fn if_gmi_reaches_at_least_gmis_attack_accuracy() -> Result<()> {
    let gan = bundled::inversion_gan().unwrap();
    let target = bundled::private_target().unwrap();
    let evaluation = bundled::private_evaluation().unwrap();
    let settings = if_gmi::Settings {
        gmi: gmi::Settings {
            restarts: RESTARTS,
            iterations: ITERATIONS,
            ..gmi::Settings::default()
        },
        stages: STAGES.to_vec(),
    };
    let (mut gmi_mean, mut if_gmi_mean) = (0.0, 0.0);
    for class in 0..5 {
        // IF-GMI refines the very latents GMI found.
        let found = gmi::invert(&gan, &target, class, settings.gmi, 0, &mut |_| {
            Control::Continue
        })?;
        let refined = if_gmi::refine(&gan, &target, class, &settings, &found, &mut |_| {
            Control::Continue
        })?;
        gmi_mean += attack_accuracy(&evaluation, &found.images, class)? / 5.0;
        if_gmi_mean += attack_accuracy(&evaluation, &refined.images, class)? / 5.0;
    }
    assert!(
        if_gmi_mean >= gmi_mean + MARGIN,
        "IF-GMI {if_gmi_mean} < GMI {gmi_mean} + {MARGIN}"
    );
    Ok(())
}
