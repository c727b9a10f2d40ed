//! IDM's invertibility and its recomputing backward pass, on a tiny random network: the chain and
//! every block sequence rebuilt from their outputs to round-off, and the gradients of both
//! recomputing modes equal to plain backpropagation's.

use super::chain::Backprop;
use super::sensing::{Geometry, Operator};
use super::weights::{Idm, IdmConfig};
use crate::models::unet::UnetConfig;
use candle_core::{DType, Device, Tensor};
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::LinearOperator;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A two-level UNet of 8 channels on a 100-step schedule.
fn tiny() -> UnetConfig {
    UnetConfig {
        channels: 8,
        levels: 2,
        blocks: 1,
        groups: 2,
        classes: 2,
        timesteps: 100,
        ..UnetConfig::default()
    }
}

/// Every variable random: no zero layer or unit scalar hides a term of the gradient.
fn random_idm(steps: usize, seed: u64) -> Idm {
    let idm = Idm::new(IdmConfig::new(tiny(), steps, 60).unwrap()).unwrap();
    crate::training::initialise(idm.varmap(), seed).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 1);
    for (name, var) in crate::training::named_vars(idm.varmap()) {
        if !(name.starts_with("couple.") || name.starts_with("chain.")) {
            continue;
        }
        let value: f32 = if name.ends_with(".entry") {
            rng.gen_range(0.8..1.2)
        } else if name.ends_with(".exit") {
            rng.gen_range(0.1..0.3)
        } else if name.rsplit('.').next().is_some_and(|l| l.starts_with('v')) {
            rng.gen_range(0.4..0.6)
        } else if name.rsplit('.').next().is_some_and(|l| l.starts_with('a')) {
            rng.gen_range(0.7..1.1)
        } else if name.rsplit('.').next().is_some_and(|l| l.starts_with('b')) {
            rng.gen_range(-0.3..0.3)
        } else {
            continue;
        };
        var.set(&Tensor::full(value, 1, &Device::Cpu).unwrap())
            .unwrap();
    }
    idm
}

/// A CS operator at ratio 0.25 and the measurements of `batch` smooth random images.
fn problem(batch: usize, seed: u64) -> (Operator, Tensor, Tensor) {
    let op = CompressedSensing::<f64>::structured_dct(&[1, 28, 28], 196, seed).unwrap();
    let operator = Operator::from_operator(&op, Geometry::FASHION, 1e-4).unwrap();
    let mut truth = Vec::new();
    let mut y = Vec::new();
    for b in 0..batch {
        let image: Vec<f64> = (0..784)
            .map(|i| {
                let (r, c) = ((i / 28) as f64, (i % 28) as f64);
                0.5 + 0.4 * ((r * 0.3 + b as f64).sin() * (c * 0.2).cos())
            })
            .collect();
        y.extend(op.apply_new(&image));
        truth.extend(image);
    }
    let y = Tensor::from_vec(y, (batch, 196), &Device::Cpu).unwrap();
    let truth = Tensor::from_vec(truth, (batch, 784), &Device::Cpu)
        .unwrap()
        .to_dtype(DType::F32)
        .unwrap();
    (operator, y, truth)
}

fn relative(a: &Tensor, b: &Tensor) -> f64 {
    let diff = crate::diffusion::norm(&(a - b).unwrap()).unwrap();
    diff / crate::diffusion::norm(b).unwrap().max(1e-30)
}

#[test]
fn the_chain_run_backwards_rebuilds_its_start() {
    let idm = random_idm(4, 3);
    let (operator, y, _) = problem(2, 5);
    let measured = operator.measure(&y).unwrap();
    let last = idm.chain.forward_light(&measured, true).unwrap();
    let start = idm.chain.start(&measured).unwrap();
    let rebuilt = idm.chain.inverse(&last, &measured).unwrap();
    let error = relative(&rebuilt, &start);
    // f64 round-off (1e-16) through four couplings that each divide by v ≈ 0.5: the network's f32
    // values are recomputed bit for bit.
    assert!(error < 1e-13, "relative error {error:e}");
    // The lean forward pass computes what the graph-keeping one does.
    let plain = idm.chain.forward(&measured).unwrap();
    let lean = idm.chain.reconstruct(&measured).unwrap();
    assert!(relative(&lean, &plain) < 1e-5);
}

#[test]
fn every_block_sequence_run_backwards_rebuilds_its_input() {
    let idm = random_idm(2, 7);
    let (operator, y, _) = problem(2, 9);
    let measured = operator.measure(&y).unwrap();
    let errors = idm
        .chain
        .net
        .round_trip_errors(2, 0, 30, &measured)
        .unwrap();
    assert_eq!(errors.len(), 2 * tiny().levels + 1);
    for (path, error) in errors {
        assert!(error < 1e-5, "{path}: relative error {error:e}");
    }
}

/// The gradients of every variable in `mode`, by name.
fn gradients(idm: &Idm, mode: Backprop) -> (f32, Vec<(String, Tensor)>) {
    let (operator, y, truth) = problem(2, 11);
    let measured = operator.measure(&y).unwrap();
    let g = Geometry::FASHION;
    let loss = |out: &Tensor| {
        let image = g.crop(out)?.affine(g.scale, g.offset)?;
        (image - &truth)?.abs()?.mean_all()
    };
    let (value, grads) = idm.chain.gradients(&measured, mode, loss).unwrap();
    let mut named: Vec<(String, Tensor)> = crate::training::named_vars(idm.varmap())
        .into_iter()
        .filter_map(|(name, var)| grads.get(var.as_tensor()).map(|g| (name, g.clone())))
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    (value.to_scalar::<f32>().unwrap(), named)
}

#[test]
fn recomputing_backward_passes_give_plain_backpropagations_gradients() {
    let idm = random_idm(3, 13);
    let (loss, plain) = gradients(&idm, Backprop::Plain);
    let trained: Vec<&String> = plain.iter().map(|(n, _)| n).collect();
    // Everything but the frozen time MLP and class embedding gets a gradient.
    let vars = crate::training::named_vars(idm.varmap()).len();
    let frozen = ["unet.time.", "unet.class."];
    let expected = crate::training::named_vars(idm.varmap())
        .iter()
        .filter(|(n, _)| !frozen.iter().any(|f| n.starts_with(f)))
        .count();
    assert_eq!(trained.len(), expected, "of {vars}: {trained:?}");
    for mode in [Backprop::Chain, Backprop::Full] {
        let (value, grads) = gradients(&idm, mode);
        assert!((value - loss).abs() < 1e-6 * loss.abs().max(1.0));
        assert_eq!(grads.len(), plain.len(), "{mode:?}");
        for ((name, g), (_, reference)) in grads.iter().zip(&plain) {
            let error = relative(g, reference);
            assert!(error < 1e-3, "{mode:?} {name}: relative error {error:e}");
        }
    }
}

#[test]
fn fine_tuning_starts_from_the_pretrained_network_exactly() {
    use crate::diffusion::model::DiffusionNetwork;
    // "Pretrained" weights: a random UNet of the same architecture.
    let varmap = candle_nn::VarMap::new();
    let vb = candle_nn::VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let unet = crate::models::unet::Unet::new(vb, tiny()).unwrap();
    crate::training::initialise(&varmap, 21).unwrap();
    let pretrained = crate::training::named_vars(&varmap)
        .into_iter()
        .map(|(name, var)| (name, var.as_tensor().clone()))
        .collect();
    let idm = Idm::new(IdmConfig::new(tiny(), 2, 60).unwrap()).unwrap();
    idm.initialise(&pretrained, 4).unwrap();
    let (operator, y, _) = problem(2, 17);
    let measured = operator.measure(&y).unwrap();
    let x = Tensor::randn(0f32, 1.0, (2, 1, 32, 32), &Device::Cpu).unwrap();
    for (k, t) in [(0, 60), (1, 30)] {
        let eps = idm.chain.net.eps(&x, k, t, &measured).unwrap();
        let reference = unet.forward(&x, t, None).unwrap();
        let error = relative(&eps, &reference);
        assert!(error < 1e-6, "step {k}: relative error {error:e}");
    }
}

#[test]
fn the_range_null_space_step_makes_states_consistent_with_the_measurement() {
    let op = CompressedSensing::<f64>::structured_dct(&[1, 28, 28], 78, 23).unwrap();
    let operator = Operator::from_operator(&op, Geometry::FASHION, 1e-6).unwrap();
    let truth: Vec<f64> = (0..784).map(|i| ((i * 37) % 101) as f64 / 100.0).collect();
    let y = op.apply_new(&truth);
    let measured = operator
        .measure(&Tensor::from_vec(y.clone(), (1, 78), &Device::Cpu).unwrap())
        .unwrap();
    let x = Tensor::randn(0f32, 1.0, (1, 1, 32, 32), &Device::Cpu).unwrap();
    let corrected = measured.project(&x).unwrap();
    let g = Geometry::FASHION;
    let image: Vec<f64> = g
        .crop(&corrected)
        .unwrap()
        .affine(g.scale, g.offset)
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let residual: f64 = op
        .apply_new(&image)
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - b).powi(2))
        .sum();
    let size: f64 = y.iter().map(|v| v * v).sum();
    assert!(
        (residual / size).sqrt() < 1e-5,
        "{}",
        (residual / size).sqrt()
    );
    // The null-space part and the margin are the state's own.
    let margin = |t: &Tensor| {
        t.narrow(2, 0, 2)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    assert_eq!(margin(&corrected), margin(&x));
    let twice = measured.project(&corrected).unwrap();
    assert!(relative(&twice, &corrected) < 1e-5);
}
