//! IDM fine-tuned for a few dozen steps from the bundled UNet beats the zero-shot DDNM on held-out
//! compressed-sensing measurements, and its weights file round-trips into the task-file solver.
//!
//! The bundled 100 Fashion-MNIST test images are split: the first 80 train, the last 20 are held
//! out (never seen in training) and measured by a matrix no training step drew (seed 0).

use inversa::operators::LinearOperator;
use inversa_learn::data::fashion_mnist::LabelledImages;
use inversa_learn::diffusion::idm::compare::compare;
use inversa_learn::diffusion::idm::{Backprop, Idm, IdmConfig};
use inversa_learn::models::bundled;
use inversa_learn::models::unet::UnetConfig;
use inversa_learn::optim::lr_schedule::Decay;
use inversa_learn::training::idm::{cs_operator, IdmTraining};
use inversa_learn::training::{train, TrainConfig};
use std::path::Path;

/// Images `range` of the bundled test images as a training set.
fn subset(all: &LabelledImages, range: std::ops::Range<usize>) -> LabelledImages {
    let pixels = range.clone().flat_map(|i| all.pixels(i).to_vec()).collect();
    let labels = range.map(|i| all.labels()[i]).collect();
    LabelledImages::new(28, 28, pixels, labels, Path::new("bundled")).unwrap()
}

#[test]
fn a_short_fine_tune_beats_ddnm_on_held_out_measurements() {
    let all = bundled::test_images().unwrap();
    let training_images = subset(&all, 0..80);
    let held: Vec<Vec<f64>> = (80..100)
        .map(|i| {
            all.pixels(i)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect()
        })
        .collect();
    let (tensors, metadata) = bundled::diffusion_unet_tensors().unwrap();
    let unet = UnetConfig::from_metadata(&metadata, Path::new("bundled")).unwrap();
    let idm = Idm::new(IdmConfig::new(unet, 3, 450).unwrap()).unwrap();
    let settings = (vec![0.25], 0.0, Backprop::Full, 0);
    let training = IdmTraining::new(
        idm,
        tensors,
        training_images.clone(),
        &training_images,
        settings,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("inversa-idm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("idm.safetensors");
    let config = TrainConfig {
        steps: STEPS,
        batch: 4,
        crop: 32,
        learning_rate: 5e-4,
        warmup: 5,
        decay: Decay::Cosine,
        seed: 0,
        validate_every: 0,
        checkpoint_every: 0,
        ema_decay: 0.0,
        out: out.clone(),
    };
    let history = train(&training, &config, false, &mut |_| {
        inversa::Control::Continue
    })
    .unwrap();
    let (first, last) = (
        history.loss[..5].iter().sum::<f32>(),
        history.loss[STEPS - 5..].iter().sum::<f32>(),
    );
    assert!(last < first, "the loss did not fall: {:?}", history.loss);

    let model = bundled::diffusion_unet()
        .unwrap()
        .into_noise_predictor()
        .unwrap();
    let op = cs_operator(0.25, 0).unwrap();
    let grid = model.schedule.grid(50).unwrap();
    let row = compare(training.idm(), &model, grid, &op, 0.25, &held, 0).unwrap();
    eprintln!("{}", serde_json::to_string(&row).unwrap());
    assert!(
        row.idm.psnr > row.ddnm.psnr + 1.0,
        "IDM {:.2} dB against DDNM {:.2} dB",
        row.idm.psnr,
        row.ddnm.psnr
    );
    assert_eq!((row.idm.model_calls, row.ddnm.model_calls), (3, 50));

    // The written weights reconstruct as the trained model does.
    let loaded = Idm::load(&out).unwrap();
    let y = op.apply_new(&held[0]);
    let a = training.idm().reconstruct(&op, &[&y]).unwrap();
    let b = loaded.reconstruct(&op, &[&y]).unwrap();
    let gap = a[0]
        .iter()
        .zip(&b[0])
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-6, "{gap}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Training steps of the fine-tune.
const STEPS: usize = 40;
