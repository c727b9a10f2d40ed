//! The trained-model groundwork of diffusion inversion, on synthetic data: the IDX reader reads a
//! hand-built (gzipped and plain) Fashion-MNIST folder exactly and names bad files; the UNet keeps
//! the input's shape for every class including the null one and depends on the class; a few dozen
//! DDPM training steps lower the held-out loss; the weights load back by path with their
//! architecture; and the classifier learns a trivially separable set.

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use flate2::write::GzEncoder;
use inversa::Control;
use inversa_learn::data::fashion_mnist::{read_idx, LabelledImages, Split};
use inversa_learn::diffusion::inversion::null_text::NullConditioned;
use inversa_learn::diffusion::inversion::registry;
use inversa_learn::diffusion::inversion::{ddim, spdinv};
use inversa_learn::diffusion::inversion::{Model, Settings};
use inversa_learn::diffusion::model::DiffusionNetwork;
use inversa_learn::diffusion::{norm, standard_normal, Guided, NoisePredictor, VelocityModel};
use inversa_learn::models::bundled;
use inversa_learn::models::classifier::{Classifier, ClassifierConfig, ClassifierTraining};
use inversa_learn::models::unet::{Objective, ScheduleKind, Unet, UnetConfig};
use inversa_learn::optim::lr_schedule::Decay;
use inversa_learn::training::unet::UnetTraining;
use inversa_learn::training::{train, TrainConfig, Trainable};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-unet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An unsigned-byte IDX file of `dims`, written by the format's definition.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes `images` (`count × rows × cols` bytes) gzipped and `labels` plain as the `split` files.
fn write_split(
    dir: &Path,
    prefix: &str,
    (rows, cols): (usize, usize),
    images: &[u8],
    labels: &[u8],
) {
    let n = labels.len() as u32;
    let image_file = idx(&[n, rows as u32, cols as u32], images);
    std::fs::write(
        dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
        gzip(&image_file),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{prefix}-labels-idx1-ubyte")),
        idx(&[n], labels),
    )
    .unwrap();
}

#[test]
fn the_reader_reads_synthetic_idx_files_exactly_and_names_bad_ones() {
    let dir = scratch("idx");
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (rows, cols) = (5, 4);
    let pixels: Vec<u8> = (0..3 * rows * cols).map(|_| rng.gen()).collect();
    let labels = [7u8, 0, 9];
    write_split(&dir, "t10k", (rows, cols), &pixels, &labels);
    let set = LabelledImages::read_fashion_mnist(&dir, Split::Test).unwrap();
    assert_eq!((set.len(), set.size()), (3, (rows, cols)));
    assert_eq!(set.labels(), &labels);
    assert_eq!(set.pixels(1), &pixels[rows * cols..2 * rows * cols]);
    // Centred in 8×8 (1 row above, 2 columns left), scaled to [−1, 1], padded with −1.
    let batch = set.batch(&[2, 0], 8).unwrap();
    assert_eq!(batch.dims(), &[2, 1, 8, 8]);
    let values = batch.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (b, image) in [2usize, 0].into_iter().enumerate() {
        for y in 0..8 {
            for x in 0..8 {
                let inside = (1..1 + rows).contains(&y) && (2..2 + cols).contains(&x);
                let expected = match inside {
                    true => {
                        pixels[image * rows * cols + (y - 1) * cols + x - 2] as f32 / 127.5 - 1.0
                    }
                    false => -1.0,
                };
                assert!((values[b * 64 + y * 8 + x] - expected).abs() < 1e-6);
            }
        }
    }
    // A plain (not gzipped) file reads the same as its gzipped copy.
    let labels_path = dir.join("t10k-labels-idx1-ubyte");
    assert_eq!(read_idx(&labels_path).unwrap(), (vec![3], labels.to_vec()));
    // A truncated file and a missing folder are errors that name the file and the package.
    std::fs::write(&labels_path, idx(&[4], &labels)).unwrap();
    let error = LabelledImages::read_fashion_mnist(&dir, Split::Test)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("t10k-labels-idx1-ubyte") && error.contains("4 bytes"),
        "{error}"
    );
    let error = LabelledImages::read_fashion_mnist(&dir, Split::Train)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("train-images-idx3-ubyte") && error.contains("dataset-fashion-mnist"),
        "{error}"
    );
    std::fs::write(&labels_path, [0u8, 0, 0x0d, 1, 0, 0, 0, 1, 0]).unwrap();
    let error = read_idx(&labels_path).unwrap_err().to_string();
    assert!(error.contains("0x0d"), "{error}");
}

fn tiny() -> UnetConfig {
    UnetConfig {
        channels: 8,
        levels: 3,
        blocks: 1,
        groups: 4,
        classes: 3,
        timesteps: 100,
        schedule: ScheduleKind::Linear,
        objective: Objective::Epsilon,
    }
}

/// A fresh UNet with the training loop's initial weights.
fn fresh_unet(config: UnetConfig) -> Unet {
    let varmap = VarMap::new();
    let net = Unet::new(
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        config,
    )
    .unwrap();
    inversa_learn::training::initialise(&varmap, 3).unwrap();
    net
}

#[test]
fn the_unet_keeps_the_shape_for_every_class_and_depends_on_it() {
    let net = fresh_unet(tiny());
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let x = standard_normal(&mut rng, &[3, 1, 32, 32], DType::F32).unwrap();
    let outputs: Vec<Vec<f32>> = [Some(0), Some(2), None]
        .into_iter()
        .map(|class| {
            let y = net.forward(&x, 50, class).unwrap();
            assert_eq!(y.dims(), x.dims());
            y.flatten_all().unwrap().to_vec1().unwrap()
        })
        .collect();
    let differ = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max)
    };
    assert!(differ(&outputs[0], &outputs[1]) > 1e-4 && differ(&outputs[1], &outputs[2]) > 1e-4);
    // Per-sample classes (the null class is index 3) and timesteps, and f64 states.
    let mixed = net
        .forward_batch(&x, &[0.0, 50.0, 99.0], &[0, 3, 2])
        .unwrap();
    assert_eq!(mixed.dims(), x.dims());
    let predictor = fresh_unet(tiny()).into_noise_predictor().unwrap();
    let eps = predictor
        .eps(&x.to_dtype(DType::F64).unwrap(), 99, Some(1))
        .unwrap();
    assert_eq!((eps.dims(), eps.dtype()), (x.dims(), DType::F64));
    // Null-text's condition: the null class's embedding row, which gives the unconditional ε.
    let null = predictor.null_condition(DType::F64).unwrap();
    let (through_row, unconditional) = (
        predictor.eps_null(&x, 40, &null).unwrap(),
        predictor.eps(&x, 40, None).unwrap(),
    );
    assert_eq!(max_difference(&through_row, &unconditional), 0.0);
    let moved = predictor
        .eps_null(&x, 40, &null.affine(1.5, 0.1).unwrap())
        .unwrap();
    assert!(
        max_difference(&moved, &unconditional) > 1e-4,
        "the row matters"
    );
    assert!(
        net.forward(&x, 5, Some(3)).is_err(),
        "class 3 is the null class, not a real one"
    );
    assert!(
        net.forward(&x.narrow(3, 0, 30).unwrap(), 5, None).is_err(),
        "30 is not a multiple of 4"
    );
}

fn max_difference(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    let a = a.to_dtype(DType::F32).unwrap();
    (a - b.to_dtype(DType::F32).unwrap())
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// `count` 28×28 images of `classes` classes: class `k` a bright bar at column band `k`, of random
/// brightness and height.
fn bars(count: usize, classes: usize, seed: u64) -> LabelledImages {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(count * 784);
    let labels: Vec<u8> = (0..count)
        .map(|_| rng.gen_range(0..classes as u8))
        .collect();
    for &label in &labels {
        let (value, top) = (rng.gen_range(150..=255u8), rng.gen_range(2..10));
        let band = 28 / classes;
        pixels.extend((0..784).map(|p| {
            let (y, x) = (p / 28, p % 28);
            let inside = x / band == label as usize && x % band > 1 && y >= top && y < 26;
            if inside {
                value
            } else {
                0
            }
        }));
    }
    LabelledImages::new(28, 28, pixels, labels, Path::new("synthetic")).unwrap()
}

fn loop_config(steps: usize, batch: usize, lr: f64, out: PathBuf) -> TrainConfig {
    TrainConfig {
        steps,
        batch,
        crop: 32,
        learning_rate: lr,
        warmup: 5,
        decay: Decay::Cosine,
        seed: 4,
        validate_every: 0,
        checkpoint_every: 0,
        ema_decay: 0.0,
        out,
    }
}

#[test]
fn ddpm_training_lowers_the_held_out_loss_and_the_weights_load_back() {
    let dir = scratch("ddpm");
    let training = UnetTraining::new(tiny(), bars(200, 3, 5), &bars(32, 3, 6), 32).unwrap();
    let config = loop_config(40, 8, 3e-3, dir.join("unet.safetensors"));
    training.initialise(config.seed).unwrap();
    let before = training.validate().unwrap()[0].1;
    // The zero output layer predicts ε = 0, so the loss starts at E[ε²] = 1.
    assert!(
        (before - 1.0).abs() < 0.05,
        "initial held-out loss {before}"
    );
    let history = train(&training, &config, false, &mut |_| Control::Continue).unwrap();
    let after = history.validation.last().unwrap().metrics["eps mse"];
    assert!(after < 0.7 * before, "held-out ε MSE {before} → {after}");
    let mean = |l: &[f32]| l.iter().sum::<f32>() / l.len() as f32;
    assert!(mean(&history.loss[30..]) < mean(&history.loss[..10]));

    let loaded = Unet::load(&config.out).unwrap();
    assert_eq!(loaded.config(), tiny());
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let x = standard_normal(&mut rng, &[2, 1, 32, 32], DType::F32).unwrap();
    let (a, b) = (
        training.net().forward(&x, 70, Some(1)).unwrap(),
        loaded.forward(&x, 70, Some(1)).unwrap(),
    );
    let difference = (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert_eq!(difference, 0.0, "the loaded weights are the trained ones");
    // Weights of another architecture are refused by name.
    let classifier = dir.join("classifier.safetensors");
    let data = bars(20, 3, 9);
    let c = ClassifierTraining::new(
        ClassifierConfig {
            channels: 4,
            classes: 3,
        },
        data.clone(),
        data,
    )
    .unwrap();
    train(
        &c,
        &loop_config(1, 2, 1e-3, classifier.clone()),
        false,
        &mut |_| Control::Continue,
    )
    .unwrap();
    let error = Unet::load(&classifier).err().unwrap().to_string();
    assert!(
        error.contains("classifier.safetensors") && error.contains("architecture"),
        "{error}"
    );
}

#[test]
fn flow_training_lowers_the_held_out_velocity_loss_and_loads_as_a_velocity_model() {
    let dir = scratch("flow");
    let config = UnetConfig {
        objective: Objective::RectifiedFlow,
        ..tiny()
    };
    let training = UnetTraining::new(config, bars(200, 3, 5), &bars(32, 3, 6), 32).unwrap();
    let settings = loop_config(40, 8, 3e-3, dir.join("flow.safetensors"));
    training.initialise(settings.seed).unwrap();
    let before = training.validate().unwrap()[0].1;
    let history = train(&training, &settings, false, &mut |_| Control::Continue).unwrap();
    let after = history.validation.last().unwrap().metrics["velocity mse"];
    assert!(
        after < 0.7 * before,
        "held-out velocity MSE {before} → {after}"
    );

    let loaded = Unet::load(&settings.out).unwrap();
    assert_eq!(loaded.config(), config);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let x = standard_normal(&mut rng, &[2, 1, 32, 32], DType::F32).unwrap();
    // The flow's time t is told to the network as t·T.
    let direct = training
        .net()
        .forward_batch(&x, &[35.0, 35.0], &[1, 1])
        .unwrap();
    let flow = loaded.into_velocity_model().unwrap();
    let v = flow.velocity(&x, 0.35, Some(1)).unwrap();
    assert_eq!(max_difference(&direct, &v), 0.0);
    let error = Unet::load(&settings.out)
        .unwrap()
        .into_noise_predictor()
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("rectified-flow"), "{error}");
    let error = fresh_unet(tiny())
        .into_velocity_model()
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("noise predictor"), "{error}");
}

#[test]
fn the_classifier_learns_a_separable_set() {
    let dir = scratch("classifier");
    let classes = 4;
    let config_ = ClassifierConfig {
        channels: 8,
        classes,
    };
    let training =
        ClassifierTraining::new(config_, bars(400, classes, 10), bars(200, classes, 11)).unwrap();
    let config = loop_config(60, 16, 3e-3, dir.join("c.safetensors"));
    training.initialise(config.seed).unwrap();
    let chance = training.validate().unwrap()[0].1;
    let history = train(&training, &config, false, &mut |_| Control::Continue).unwrap();
    let accuracy = history.validation.last().unwrap().metrics["accuracy %"];
    assert!(accuracy > 95.0, "held-out accuracy {chance}% → {accuracy}%");
    // Probabilities sum to one; the loaded classifier scores the same.
    let loaded = Classifier::load(&config.out).unwrap();
    let held = bars(50, classes, 12);
    assert_eq!(
        loaded.accuracy(&held).unwrap(),
        training.net().accuracy(&held).unwrap()
    );
    let x = held.batch(&[0, 1, 2], 32).unwrap();
    let sums = loaded
        .probabilities(&x)
        .unwrap()
        .sum(1)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5), "{sums:?}");
}

/// Bundled test image `index` as a `[1, 1, 32, 32]` state of `dtype`, and its label.
fn bundled_garment(index: usize, dtype: DType) -> (candle_core::Tensor, usize) {
    let images = bundled::test_images().unwrap();
    let x0 = images.batch(&[index], 32).unwrap().to_dtype(dtype).unwrap();
    (x0, usize::from(images.labels()[index]))
}

#[test]
fn the_bundled_images_and_classifier_load_and_agree() {
    let images = bundled::test_images().unwrap();
    assert_eq!((images.len(), images.size()), (100, (28, 28)));
    let classifier = bundled::classifier().unwrap();
    let accuracy = classifier.accuracy(&images).unwrap();
    // 89.2% on the whole test split (data/README.md); 100 images leave room for chance.
    assert!(accuracy > 0.8, "classifier accuracy {accuracy}");
}

#[test]
fn on_the_bundled_unet_edict_and_bdia_are_exact_and_ddim_is_not() {
    let model = bundled::diffusion_unet()
        .unwrap()
        .into_noise_predictor()
        .unwrap();
    let grid = model.schedule.grid(10).unwrap();
    let settings = Settings {
        steps: 10,
        guidance: 3.0,
        ..Settings::default()
    };
    let error = |method, dtype| {
        let (x0, class) = bundled_garment(0, dtype);
        let diffusion = Model::Diffusion {
            model: &model,
            grid: grid.clone(),
        };
        let inverter = (registry::find(method).unwrap().build)(diffusion, &settings).unwrap();
        let latent = inverter.invert(&x0, class).unwrap();
        let again = inverter.regenerate(&latent, class).unwrap();
        max_difference(&again, &x0)
    };
    // In f32 the inversions amplify round-off: EDICT divides by the mixing weight twice per
    // step and by the DDIM coefficient `a` (large steps here), so its f32 error is the larger
    // (measured 6.8e-3 against BDIA's 3.4e-4, in [−1, 1] units, with the session-5 weights).
    for (method, f32_bound) in [("edict", 2e-2), ("bdia", 2e-3)] {
        let (in_f64, in_f32) = (error(method, DType::F64), error(method, DType::F32));
        assert!(in_f64 < 1e-9, "{method} in f64: {in_f64}");
        assert!(in_f32 < f32_bound, "{method} in f32: {in_f32}");
    }
    let ddim = error("ddim", DType::F64);
    assert!(ddim > 1e-2, "DDIM inversion is approximate: {ddim}");
    // DDCM regenerates the source from its virtual inversion with no error at all.
    assert!(error("ddcm", DType::F64) < 1e-12);
}

#[test]
fn on_the_bundled_unet_null_text_and_spdinv_improve_on_ddim_inversion() {
    let model = bundled::diffusion_unet()
        .unwrap()
        .into_noise_predictor()
        .unwrap();
    let reconstruct = |index, method, guidance, steps| {
        let (x0, class) = bundled_garment(index, DType::F32);
        let grid = model.schedule.grid(steps).unwrap();
        let settings = Settings {
            steps,
            guidance,
            ..Settings::default()
        };
        let diffusion = Model::Diffusion {
            model: &model,
            grid,
        };
        let inverter = (registry::find(method).unwrap().build)(diffusion, &settings).unwrap();
        let latent = inverter.invert(&x0, class).unwrap();
        let again = inverter.regenerate(&latent, class).unwrap();
        (norm(&(again - &x0).unwrap()).unwrap(), latent)
    };
    // DDIM's error grows with the guidance on average, not on every image (at 50 steps the
    // mean over six test images fell from 29.0 dB at guidance 1 to 24.0 dB at 7.5), so the
    // test sums four images.
    let ddim_total =
        |guidance| -> f64 { (0..4).map(|i| reconstruct(i, "ddim", guidance, 50).0).sum() };
    let (ddim_low, ddim_high) = (ddim_total(1.0), ddim_total(7.5));
    assert!(
        ddim_high > ddim_low,
        "DDIM's error grows with guidance: {ddim_low} → {ddim_high}"
    );
    let (ddim_one, _) = reconstruct(0, "ddim", 7.5, 50);
    let (null_text, _) = reconstruct(0, "null-text", 7.5, 50);
    assert!(
        null_text < 0.5 * ddim_one,
        "Null-text {null_text} against DDIM {ddim_one} at 7.5"
    );

    // SPDInv's fixed-point residuals against those DDIM inversion leaves, at guidance 3.
    let grid = model.schedule.grid(20).unwrap();
    let (x0, class) = bundled_garment(0, DType::F32);
    let guided = Guided {
        model: &model,
        scale: 3.0,
    };
    let trajectory = ddim::invert(&guided, &grid, &x0, Some(class)).unwrap();
    let ddim_residual = (1..=grid.steps())
        .map(|k| {
            spdinv::residual(
                &guided,
                &grid,
                k,
                &trajectory[k - 1],
                &trajectory[k],
                Some(class),
            )
            .unwrap()
        })
        .fold(0.0, f64::max);
    let (_, spd) = reconstruct(0, "spdinv", 3.0, 20);
    let spd_residual = spd.fixed_point_residual().unwrap();
    assert!(
        spd_residual < 0.1 * ddim_residual,
        "SPDInv {spd_residual} against DDIM {ddim_residual}"
    );
}

#[test]
fn on_the_bundled_flow_rf_solver_inverts_better_than_euler_at_equal_calls() {
    let model = bundled::flow_unet().unwrap().into_velocity_model().unwrap();
    let (x0, class) = bundled_garment(2, DType::F64);
    let error = |method, steps| {
        let settings = Settings {
            steps,
            guidance: 1.0,
            ..Settings::default()
        };
        let inverter =
            (registry::find(method).unwrap().build)(Model::Flow(&model), &settings).unwrap();
        let latent = inverter.invert(&x0, class).unwrap();
        let again = inverter.regenerate(&latent, class).unwrap();
        norm(&(again - &x0).unwrap()).unwrap()
    };
    // Two model calls per RF-Solver step.
    let (euler, rf_solver) = (error("euler", 10), error("rf-solver", 5));
    assert!(
        rf_solver < euler,
        "RF-Solver {rf_solver} against Euler {euler} at 10 calls"
    );
}

#[test]
fn a_run_started_from_saved_weights_starts_where_they_are() {
    let dir = scratch("init");
    let first = UnetTraining::new(tiny(), bars(60, 3, 5), &bars(16, 3, 6), 16).unwrap();
    let config = loop_config(6, 4, 3e-3, dir.join("first.safetensors"));
    train(&first, &config, false, &mut |_| Control::Continue).unwrap();
    let trained = first.validate().unwrap()[0].1;
    let path = config.out.clone();
    let bytes = std::fs::read(&path).unwrap();
    let (weights, _) = inversa_learn::nn::weights::read_safetensors(&bytes, &path).unwrap();
    let second = UnetTraining::new(tiny(), bars(60, 3, 5), &bars(16, 3, 6), 16)
        .unwrap()
        .starting_from(weights.clone(), &path)
        .unwrap();
    second.initialise(99).unwrap();
    assert_eq!(second.validate().unwrap()[0].1, trained);
    // Weights of another size are refused naming the file.
    let wider = UnetConfig {
        channels: 12,
        ..tiny()
    };
    let other = UnetTraining::new(wider, bars(60, 3, 5), &bars(16, 3, 6), 16).unwrap();
    let err = other
        .starting_from(weights, &path)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("first.safetensors"), "{err}");
}
