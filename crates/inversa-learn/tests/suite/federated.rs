//! Asynchronous federated learning with stale-update conversion, on the 100 bundled Fashion-MNIST
//! test images: the MLP's explicit gradient against autodiff and its input derivative against
//! finite differences, the staleness bookkeeping, weighted aggregation at τ = 0 against FedAvg,
//! conversion bringing a stale update closer to the fresh one, and conversion beating
//! staleness-weighted aggregation in a small federation.

use candle_core::{DType, Device, Result, Tensor, Var};
use inversa_learn::attacks::fedavg::LocalTraining;
use inversa_learn::federated::asynchronous::{
    Aggregation, Dataset, RoundReport, Setup, Simulation, CLASSES, INPUTS,
};
use inversa_learn::federated::mlp::Mlp;
use inversa_learn::federated::stale_conversion::{self, DataEstimate, Settings};
use inversa_learn::models::bundled::test_images;

const LOCAL: LocalTraining = LocalTraining {
    steps: 5,
    learning_rate: 0.1,
};

fn images() -> Result<inversa_learn::data::fashion_mnist::LabelledImages> {
    test_images().map_err(candle_core::Error::wrap)
}

/// The bundled images split in two: the first `per_class` of each class, and the rest.
fn split(per_class: usize) -> Result<(Dataset, Dataset)> {
    Dataset::split_per_class(&images()?, per_class)
}

fn one_hot(labels: &[u8]) -> Result<Tensor> {
    let labels: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
    candle_nn::encoding::one_hot(Tensor::new(labels, &Device::Cpu)?, CLASSES, 1.0f32, 0.0f32)
}

fn flat(tensors: &[Tensor]) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for t in tensors {
        out.extend(t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?);
    }
    Ok(out)
}

fn cosine(a: &[Tensor], b: &[Tensor]) -> Result<f64> {
    let (a, b) = (flat(a)?, flat(b)?);
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    Ok(dot / (norm(&a) * norm(&b)))
}

#[test]
fn the_explicit_gradient_matches_autodiff() -> Result<()> {
    let model = Mlp::random(INPUTS, 16, CLASSES, DType::F64, 3)?;
    let (train, _) = split(2)?;
    let x = train.inputs.to_dtype(DType::F64)?;
    let p = one_hot(&train.labels)?.to_dtype(DType::F64)?;
    let vars: Vec<Var> = model
        .parameters()
        .iter()
        .map(Var::from_tensor)
        .collect::<Result<_>>()?;
    let tracked = model.with_parameters(vars.iter().map(|v| v.as_tensor().clone()).collect());
    let log_p = candle_nn::ops::log_softmax(&tracked.logits(&x)?, 1)?;
    let loss = (p.clone() * log_p)?.sum(1)?.mean_all()?.neg()?;
    let autodiff = loss.backward()?;
    for (i, (var, ours)) in vars
        .iter()
        .zip(model.parameter_gradients(&x, &p)?)
        .enumerate()
    {
        let reference = autodiff.get(var).expect("a gradient for every parameter");
        let error = flat(&[(&ours - reference)?])?
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = flat(std::slice::from_ref(reference))?
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            error < 1e-10 * scale.max(1.0),
            "parameter {i}: error {error}"
        );
    }
    Ok(())
}

/// The derivative of `⟨Δ(x), r⟩` (a whole local training run) in `x`, by autodiff through the
/// explicit gradient, against central finite differences in f64.
#[test]
fn the_update_is_differentiable_in_the_input() -> Result<()> {
    let model = Mlp::random(INPUTS, 16, CLASSES, DType::F64, 4)?;
    let (train, _) = split(1)?;
    let x = train.inputs.narrow(0, 0, 3)?.to_dtype(DType::F64)?;
    let p = one_hot(&train.labels[..3])?.to_dtype(DType::F64)?;
    let probe = Mlp::random(INPUTS, 16, CLASSES, DType::F64, 5)?;
    let objective = |x: &Tensor| -> Result<Tensor> {
        let update = model.local_update(x, &p, LOCAL)?;
        let mut total = Tensor::zeros((), DType::F64, &Device::Cpu)?;
        for (u, r) in update.iter().zip(probe.parameters()) {
            total = (total + (u * r)?.sum_all()?)?;
        }
        Ok(total)
    };
    let var = Var::from_tensor(&x)?;
    let gradient = objective(var.as_tensor())?.backward()?;
    let analytic = flat(&[gradient.get(&var).expect("input gradient").clone()])?;
    let eps = 1e-6;
    for index in [0, 37, 100, INPUTS + 5, 2 * INPUTS + 150] {
        let mut bumped = flat(std::slice::from_ref(&x))?;
        bumped[index] += eps;
        let up = objective(&Tensor::from_vec(bumped.clone(), x.shape(), &Device::Cpu)?)?;
        bumped[index] -= 2.0 * eps;
        let down = objective(&Tensor::from_vec(bumped, x.shape(), &Device::Cpu)?)?;
        let numeric = (up.to_scalar::<f64>()? - down.to_scalar::<f64>()?) / (2.0 * eps);
        let error = (numeric - analytic[index]).abs();
        assert!(
            error < 1e-6 * numeric.abs().max(1e-3),
            "input {index}: autodiff {} finite differences {numeric}",
            analytic[index]
        );
    }
    Ok(())
}

fn setup(staleness: usize) -> Setup {
    Setup {
        clients: 10,
        slow_classes: 3,
        staleness,
        samples: 2,
        hidden: 32,
        local: LOCAL,
        seed: 0,
    }
}

/// A slow update computed at round r arrives at r + τ and is what the client's local training
/// gives on the global model of round r; fast updates arrive in their own round.
#[test]
fn stale_updates_arrive_tau_rounds_later_computed_on_the_model_they_were_sent() -> Result<()> {
    let staleness = 3;
    let (train, _) = split(2)?;
    let mut simulation = Simulation::new(setup(staleness), Aggregation::Direct, &train)?;
    let clients = setup(staleness).clients;
    let mut history = Vec::new();
    for t in 0..7 {
        history.push(simulation.model().clone());
        let report: RoundReport = simulation.round()?;
        assert_eq!(report.round, t);
        for k in 0..clients {
            let arrived: Vec<_> = report.arrivals.iter().filter(|a| a.client == k).collect();
            let expected = if !simulation.is_slow(k) {
                Some(t)
            } else {
                t.checked_sub(staleness)
            };
            assert_eq!(
                arrived.iter().map(|a| a.computed_at).collect::<Vec<_>>(),
                expected.into_iter().collect::<Vec<_>>(),
                "client {k} at round {t}"
            );
        }
        for arrival in report
            .arrivals
            .iter()
            .filter(|a| simulation.is_slow(a.client))
        {
            let (x, p) = client_data(&train, arrival.client % CLASSES)?;
            let on_sent = history[arrival.computed_at].local_update(&x, &p, LOCAL)?;
            let on_current = history[t].local_update(&x, &p, LOCAL)?;
            assert!(cosine(&on_sent, &arrival.update)? > 1.0 - 1e-9);
            assert!(cosine(&on_current, &arrival.update)? < 1.0 - 1e-6);
        }
    }
    Ok(())
}

/// The training samples of `class` (every one of them: with `samples` equal to the class's count
/// in the split, the client holds all of them).
fn client_data(train: &Dataset, class: usize) -> Result<(Tensor, Tensor)> {
    let rows: Vec<u32> = (0..train.labels.len() as u32)
        .filter(|&i| usize::from(train.labels[i as usize]) == class)
        .collect();
    let index = Tensor::new(rows.as_slice(), &Device::Cpu)?;
    let labels = vec![class as u8; rows.len()];
    Ok((train.inputs.index_select(&index, 0)?, one_hot(&labels)?))
}

/// With τ = 0 nothing is stale, so weighting by `s(0) = 1` is FedAvg, bit for bit.
#[test]
fn weighted_aggregation_without_staleness_is_fedavg() -> Result<()> {
    let (train, _) = split(2)?;
    let weighted = Aggregation::Weighted { exponent: 0.5 };
    let mut a = Simulation::new(setup(0), weighted, &train)?;
    let mut b = Simulation::new(setup(0), Aggregation::FedAvg, &train)?;
    for _ in 0..5 {
        a.round()?;
        b.round()?;
    }
    assert_eq!(flat(a.model().parameters())?, flat(b.model().parameters())?);
    let start = Simulation::new(setup(0), Aggregation::FedAvg, &train)?;
    assert_ne!(
        flat(a.model().parameters())?,
        flat(start.model().parameters())?
    );
    Ok(())
}

/// A slow client of class 9 trained on `w_old`; the server has since moved to `w_new` by training
/// on the other classes. The converted update points closer to the client's fresh update on
/// `w_new` than the stale one does.
#[test]
fn conversion_brings_a_stale_update_closer_to_the_fresh_one() -> Result<()> {
    let (train, _) = split(4)?;
    let old = Mlp::random(INPUTS, 32, CLASSES, DType::F32, 7)?;
    let others: Vec<u32> = (0..train.labels.len() as u32)
        .filter(|&i| train.labels[i as usize] < 7)
        .collect();
    let index = Tensor::new(others.as_slice(), &Device::Cpu)?;
    let others_labels: Vec<u8> = others.iter().map(|&i| train.labels[i as usize]).collect();
    let server_training = LocalTraining {
        steps: 40,
        learning_rate: 0.2,
    };
    let moved = old.local_update(
        &train.inputs.index_select(&index, 0)?,
        &one_hot(&others_labels)?,
        server_training,
    )?;
    let new = old.moved(&[(1.0, &moved)])?;
    let (x, p) = client_data(&train, 9)?;
    let stale = old.local_update(&x, &p, LOCAL)?;
    let fresh = new.local_update(&x, &p, LOCAL)?;
    let start = DataEstimate::random(8, INPUTS, CLASSES, DType::F32, 11)?;
    let settings = Settings {
        samples: 8,
        iterations: 300,
        learning_rate: 0.05,
    };
    let converted = stale_conversion::convert(&old, &new, &stale, LOCAL, start, settings)?;
    let (before, after) = (cosine(&stale, &fresh)?, cosine(&converted.update, &fresh)?);
    println!(
        "cos(stale, fresh) {before:.4}, cos(converted, fresh) {after:.4}, matching loss {:.4}",
        converted.matching_loss
    );
    assert!(
        after > before + 0.05,
        "cos(stale, fresh) {before}, cos(converted, fresh) {after}"
    );
    Ok(())
}

/// Test accuracy on the held-out bundled images after `rounds` rounds of `aggregation`.
fn final_accuracy(setup: Setup, aggregation: Aggregation, rounds: usize) -> Result<f64> {
    let (train, test) = split(4)?;
    let mut simulation = Simulation::new(setup, aggregation, &train)?;
    for _ in 0..rounds {
        simulation.round()?;
    }
    simulation.model().accuracy(&test.inputs, &test.labels)
}

/// Three of ten classes live only on clients whose updates are 10 rounds stale. Weighting those
/// updates by `(1 + τ)^{−1/2}` learns the classes slowly; converting them learns them at the
/// fresh clients' pace.
#[test]
fn conversion_beats_staleness_weighting_in_a_small_federation() -> Result<()> {
    let rounds = 40;
    for seed in [0, 1] {
        let setup = Setup {
            clients: 10,
            slow_classes: 3,
            staleness: 10,
            samples: 4,
            hidden: 32,
            local: LOCAL,
            seed,
        };
        let weighted = final_accuracy(setup, Aggregation::Weighted { exponent: 0.5 }, rounds)?;
        let settings = Settings {
            samples: 4,
            iterations: 20,
            learning_rate: 0.05,
        };
        let converted = final_accuracy(setup, Aggregation::Conversion(settings), rounds)?;
        println!("seed {seed}: weighted {weighted:.3}, conversion {converted:.3}");
        assert!(
            converted > weighted + 0.05,
            "seed {seed}: weighted {weighted}, conversion {converted}"
        );
    }
    Ok(())
}
