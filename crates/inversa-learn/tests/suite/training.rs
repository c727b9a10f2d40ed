//! The shared training loop on a tiny DnCNN and synthetic images: the loss falls, validation beats
//! the noisy input, an interrupted run resumed from its checkpoint equals the uninterrupted one,
//! and bad folders and mismatched resumes are refused by name. Also the learning-rate schedules,
//! the crop sampler, and the bundled DnCNN against TV on the held-out camera image.

use candle_core::Tensor;
use inversa::io::write_png_u8;
use inversa::Control;
use inversa_learn::data::image_folder::{read_grey, GreyImage, ImageFolder};
use inversa_learn::models::denoiser::Architecture;
use inversa_learn::models::dncnn::{DnCnn, DnCnnConfig};
use inversa_learn::models::drunet::DrunetConfig;
use inversa_learn::models::lpn::{LearnedProximalNetwork, LpnShape};
use inversa_learn::nn::weights::read_safetensors;
use inversa_learn::optim::lr_schedule::{Decay, Schedule};
use inversa_learn::training::checkpoint::{history_path, plot_path, raw_path, read_history};
use inversa_learn::training::denoiser::{compare, DenoiserTraining};
use inversa_learn::training::lpn::LpnTraining;
use inversa_learn::training::{train, History, TrainConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-training-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A piecewise-smooth `size²` picture: a tilted ramp, a disc and a bright bar, placed by `k`.
fn picture(k: usize, size: usize) -> Vec<f32> {
    let (cx, cy, r) = (
        (size * (2 + k % 3)) as f32 / 6.0,
        (size * (3 + k % 2)) as f32 / 7.0,
        size as f32 / 5.0,
    );
    (0..size * size)
        .map(|p| {
            let (y, x) = ((p / size) as f32, (p % size) as f32);
            let mut v = 0.2 + 0.3 * (x + (k as f32) * y) / (size as f32 * (1.0 + k as f32));
            if (x - cx).powi(2) + (y - cy).powi(2) < r * r {
                v = 0.85;
            }
            if (y as usize + k * 7) % size < size / 8 {
                v = 0.05;
            }
            v
        })
        .collect()
}

/// A folder of `count` synthetic `size²` grey PNGs, starting at picture `first`.
fn picture_folder(dir: &Path, first: usize, count: usize, size: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for k in first..first + count {
        write_png_u8(
            &dir.join(format!("p{k}.png")),
            &[1, size, size],
            &picture(k, size),
        )
        .unwrap();
    }
    dir.to_path_buf()
}

const TINY: DnCnnConfig = DnCnnConfig {
    depth: 4,
    features: 12,
};

fn tiny_config(out: PathBuf, steps: usize) -> TrainConfig {
    TrainConfig {
        steps,
        batch: 8,
        crop: 24,
        learning_rate: 3e-3,
        warmup: 10,
        decay: Decay::Cosine,
        seed: 7,
        validate_every: 0,
        checkpoint_every: 0,
        ema_decay: 0.0,
        out,
    }
}

/// Trains the tiny DnCNN on `dir`'s folders, stopping after `stop_at` steps if given.
fn run(
    dir: &Path,
    config: &TrainConfig,
    resume: bool,
    stop_at: Option<usize>,
) -> Result<History, inversa_learn::Error> {
    let images = ImageFolder::read(&dir.join("train"), config.crop)?;
    let validation = ImageFolder::read(&dir.join("validation"), 1)?
        .images()
        .to_vec();
    let model = DenoiserTraining::new(Architecture::DnCnn(TINY), images, validation)?;
    train(&model, config, resume, &mut |p| {
        if Some(p.step) == stop_at {
            Control::Stop
        } else {
            Control::Continue
        }
    })
}

fn folders(name: &str) -> PathBuf {
    let dir = scratch(name);
    picture_folder(&dir.join("train"), 0, 4, 48);
    picture_folder(&dir.join("validation"), 4, 1, 40);
    dir
}

#[test]
fn a_short_run_lowers_the_loss_and_beats_the_noisy_input() {
    let dir = folders("short");
    let out = dir.join("w.safetensors");
    let history = run(&dir, &tiny_config(out.clone(), 150), false, None).unwrap();
    let first: f32 = history.loss[..10].iter().sum::<f32>() / 10.0;
    let last: f32 = history.loss[140..].iter().sum::<f32>() / 10.0;
    assert!(last < 0.5 * first, "loss {first} → {last}");
    // σ = 25/255 on [0, 1] images: the noisy input is at −20·log10(25/255) ≈ 20.2 dB.
    let psnr = history.validation.last().unwrap().metrics["psnr 25/255"];
    assert!(psnr > 23.0, "validation PSNR at σ=25: {psnr}");
    let saved = read_history(&out).unwrap();
    assert_eq!(
        (saved.loss, saved.validation),
        (history.loss, history.validation)
    );
    assert!(plot_path(&out).is_file() && history_path(&out).is_file());
    // The weights load without flags and denoise as the trained network did.
    let loaded = DnCnn::load(&out).unwrap();
    assert_eq!(loaded.config(), TINY);
}

#[test]
fn an_interrupted_run_resumed_from_its_checkpoint_equals_the_uninterrupted_one() {
    // Without and with a moving average of the weights: the average (the weights file) and the
    // raw weights (beside it) both continue exactly.
    for ema_decay in [0.0, 0.9] {
        let dir = folders(&format!("resume-{ema_decay}"));
        let config = |name: &str| TrainConfig {
            ema_decay,
            ..tiny_config(dir.join(name), 30)
        };
        let whole = config("whole.safetensors");
        let reference = run(&dir, &whole, false, None).unwrap();
        let parts = config("parts.safetensors");
        let stopped = run(&dir, &parts, false, Some(12)).unwrap();
        assert_eq!((stopped.step, stopped.loss.len()), (12, 12));
        assert_eq!(read_history(&parts.out).unwrap().step, 12);
        let resumed = run(&dir, &parts, true, None).unwrap();
        assert_eq!(resumed.step, 30);
        assert_eq!(
            resumed.loss, reference.loss,
            "the losses of every step agree"
        );
        assert_eq!(raw_path(&whole.out).is_file(), ema_decay > 0.0);
        let mut files = vec![(whole.out.clone(), parts.out.clone())];
        if ema_decay > 0.0 {
            files.push((raw_path(&whole.out), raw_path(&parts.out)));
        }
        for (a, b) in files {
            assert_same_weights(&a, &b);
        }
        if ema_decay > 0.0 {
            // The average is not the raw weights.
            let (average, raw) = (weights(&whole.out), weights(&raw_path(&whole.out)));
            assert!(average
                .iter()
                .any(|(name, t)| max_difference(t, &raw[name]) > 0.0));
        }
    }
}

fn weights(path: &Path) -> std::collections::HashMap<String, Tensor> {
    read_safetensors(&std::fs::read(path).unwrap(), path)
        .unwrap()
        .0
}

fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
    let diff = (a - b).unwrap().abs().unwrap();
    let max = diff.flatten_all().unwrap().max(0).unwrap();
    max.to_scalar::<f32>().unwrap()
}

fn assert_same_weights(a: &Path, b: &Path) {
    let (a, b) = (weights(a), weights(b));
    for (name, tensor) in &a {
        assert_eq!(max_difference(tensor, &b[name]), 0.0, "{name} differs");
    }
}

#[test]
fn resuming_with_other_settings_is_refused_naming_the_setting() {
    let dir = folders("mismatch");
    let config = tiny_config(dir.join("w.safetensors"), 4);
    run(&dir, &config, false, None).unwrap();
    let other = TrainConfig {
        learning_rate: 1e-4,
        ..config
    };
    let message = run(&dir, &other, true, None).unwrap_err().to_string();
    assert!(
        message.contains("learning_rate") && message.contains("w.safetensors.history.json"),
        "{message}"
    );
}

#[test]
fn bad_folders_are_errors_naming_the_path() {
    let dir = scratch("bad");
    let missing = dir.join("nowhere");
    let message = ImageFolder::read(&missing, 8).unwrap_err().to_string();
    assert!(message.contains("nowhere"), "{message}");
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
    let message = ImageFolder::read(&dir, 8).unwrap_err().to_string();
    assert!(message.contains("no .png images"), "{message}");
    write_png_u8(&dir.join("small.png"), &[1, 6, 9], &[0.5; 54]).unwrap();
    let message = ImageFolder::read(&dir, 8).unwrap_err().to_string();
    assert!(
        message.contains("small.png") && message.contains("6×9"),
        "{message}"
    );
    std::fs::write(dir.join("fake.png"), "not a png").unwrap();
    let message = ImageFolder::read(&dir, 1).unwrap_err().to_string();
    assert!(message.contains("fake.png"), "{message}");
}

#[test]
fn crops_are_seeded_and_take_all_eight_symmetries() {
    let dir = scratch("crops");
    // One 2×2 image: every crop is the whole image under one of the 8 symmetries of the square.
    write_png_u8(
        &dir.join("a.png"),
        &[1, 2, 2],
        &[0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
    )
    .unwrap();
    let folder = ImageFolder::read(&dir, 2).unwrap();
    let batch = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let t: Tensor = folder.sample_batch(&mut rng, 64, 2).unwrap();
        assert_eq!(t.dims(), &[64, 1, 2, 2]);
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    assert_eq!(batch(3), batch(3));
    assert_ne!(batch(3), batch(4));
    let mut seen: Vec<Vec<u8>> = batch(3)
        .chunks(4)
        .map(|c| c.iter().map(|v| (v * 3.0).round() as u8).collect())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        8,
        "the 8 dihedral variants of the 2×2 image: {seen:?}"
    );
}

#[test]
fn rgb_images_are_read_as_their_luminance() {
    let dir = scratch("rgb");
    let path = dir.join("rgb.png");
    // Pure red, green and blue pixels.
    let rgb = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    write_png_u8(&path, &[3, 1, 3], &rgb).unwrap();
    let GreyImage { pixels, .. } = read_grey(&path, 1).unwrap();
    for (got, want) in pixels.iter().zip([0.2125, 0.7154, 0.0721]) {
        assert!((got - want).abs() < 1e-6, "{pixels:?}");
    }
}

#[test]
fn schedules_warm_up_then_decay() {
    let cosine = Schedule {
        peak: 1.0,
        warmup: 4,
        decay: Decay::Cosine,
        steps: 104,
    };
    let rates: Vec<f64> = (0..4).map(|s| cosine.rate(s)).collect();
    assert_eq!(rates, [0.25, 0.5, 0.75, 1.0]);
    assert_eq!(cosine.rate(4), 1.0);
    assert!((cosine.rate(54) - 0.5).abs() < 1e-12);
    // Smooth to the end: the last step is small but not zero, and never rises.
    assert!(cosine.rate(103) > 0.0 && cosine.rate(103) < 1e-3);
    assert!((4..104).all(|s| cosine.rate(s + 1) <= cosine.rate(s)));
    let step = Schedule {
        decay: Decay::Step {
            every: 10,
            factor: 0.5,
        },
        ..cosine
    };
    assert_eq!(
        [step.rate(13), step.rate(14), step.rate(23), step.rate(24)],
        [1.0, 0.5, 0.5, 0.25]
    );
}

#[test]
fn the_bundled_dncnn_beats_noise_and_tv_on_the_held_out_camera() {
    let camera = read_grey(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/camera.png"),
        1,
    )
    .unwrap();
    let net = DnCnn::pretrained_grey().unwrap();
    let row = compare(&net, &net, &[camera], 25).unwrap();
    // Measured: noisy 20.20 dB, DnCNN 29.21 dB (+9.00), best TV 28.91 dB (weight 0.078).
    assert!(
        row.denoiser > row.noisy + GAIN_BOUND,
        "DnCNN {} dB vs noisy {} dB",
        row.denoiser,
        row.noisy
    );
    assert!(
        row.denoiser >= row.tv,
        "DnCNN {} dB vs TV {} dB",
        row.denoiser,
        row.tv
    );
}

/// The bundled weights' measured gain at σ = 25 on camera (9.00 dB), less a margin.
const GAIN_BOUND: f64 = 8.5;

/// DRUNet through the same loop: the loss falls, and the weights load back by path with the
/// architecture read from their metadata; odd image sizes come back at their size.
#[test]
fn a_short_drunet_run_lowers_the_loss_and_loads_back() {
    let dir = folders("drunet");
    let config = tiny_config(dir.join("drunet.safetensors"), 80);
    let images = ImageFolder::read(&dir.join("train"), config.crop).unwrap();
    let tiny = DrunetConfig {
        channels: 4,
        blocks: 1,
    };
    let model = DenoiserTraining::new(Architecture::Drunet(tiny), images, Vec::new()).unwrap();
    let history = train(&model, &config, false, &mut |_| Control::Continue).unwrap();
    let first: f32 = history.loss[..10].iter().sum::<f32>() / 10.0;
    let last: f32 = history.loss[70..].iter().sum::<f32>() / 10.0;
    assert!(last < 0.5 * first, "loss {first} → {last}");
    let loaded = inversa_learn::models::denoiser::load_trained(&config.out).unwrap();
    assert_eq!(loaded.name(), "drunet");
    let (h, w) = (13, 22);
    let image = vec![0.5f32; h * w];
    let mut out = vec![0.0f32; h * w];
    loaded.denoise(&image, &[1, h, w], 0.1, &mut out);
    assert!(out.iter().all(|v| v.is_finite()));
}

/// The LPN through the same loop: its proximal-matching schedule runs, the prox beats the noisy
/// input on held-out pictures, and the weights that must stay non-negative do.
#[test]
fn a_short_lpn_run_improves_the_prox_and_keeps_it_convex() {
    let dir = folders("lpn");
    let config = TrainConfig {
        learning_rate: 5e-3,
        ..tiny_config(dir.join("lpn.safetensors"), 120)
    };
    let images = ImageFolder::read(&dir.join("train"), config.crop).unwrap();
    let validation = ImageFolder::read(&dir.join("validation"), 1)
        .unwrap()
        .images()
        .to_vec();
    let shape = LpnShape {
        hidden: 8,
        layers: 2,
        ..LpnShape::default()
    };
    let model = LpnTraining::new(shape, 0.1, (60, 120), images, validation).unwrap();
    let history = train(&model, &config, false, &mut |_| Control::Continue).unwrap();
    // σ = 0.1: the noisy input is at 20 dB.
    let psnr = history.validation.last().unwrap().metrics["psnr 26/255"];
    assert!(psnr > 22.0, "LPN prox PSNR at σ = 0.1: {psnr}");
    let (weights, _) = read_safetensors(&std::fs::read(&config.out).unwrap(), &config.out).unwrap();
    for (name, tensor) in weights.iter().filter(|(n, _)| n.starts_with("hidden")) {
        let min = tensor
            .flatten_all()
            .unwrap()
            .min(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(min >= 0.0, "{name} has a negative weight {min}");
    }
    let net =
        LearnedProximalNetwork::from_safetensors(&std::fs::read(&config.out).unwrap(), &config.out)
            .unwrap();
    assert_eq!(net.shape(), shape);
}
