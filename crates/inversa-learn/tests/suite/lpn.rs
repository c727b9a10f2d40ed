//! Learned Proximal Network: the potential is convex, the network is its gradient, and the
//! regulariser recovered by inverting the prox is the one whose prox the network is.

use crate::common;
use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::VarMap;
use common::random;
use inversa::Control;
use inversa_learn::models::lpn::{LearnedProximalNetwork, LpnShape};

/// A small network whose non-negative weights are large enough for the layers to interact
/// (the paper's initialisation makes them ~1e-5).
fn network(seed: u64) -> Result<(LearnedProximalNetwork, VarMap)> {
    let varmap = VarMap::new();
    let shape = LpnShape {
        hidden: 6,
        layers: 3,
        beta: 4.0,
        alpha: 0.05,
    };
    let net = LearnedProximalNetwork::for_training(shape, &varmap, 0)?;
    // Sorted: the map's iteration order changes from process to process.
    let mut vars: Vec<_> = varmap.data().lock().unwrap().clone().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (name, var)) in vars.iter().enumerate() {
        if name.starts_with("hidden") {
            let dims = var.as_tensor().dims().to_vec();
            var.set(&(random(&dims, seed + i as u64)?.abs()? * 0.1)?)?;
        }
    }
    Ok((net, varmap))
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

#[test]
fn potential_is_convex_along_random_lines() -> Result<()> {
    let (net, _) = network(1)?;
    for line in 0..4 {
        let x = random(&[1, 1, 9, 8], 10 + line)?;
        let d = random(&[1, 1, 9, 8], 20 + line)?;
        let psi: Vec<f64> = (-20..=20)
            .map(|i| {
                let t = i as f64 * 0.15;
                values(&net.potential(&(&x + (&d * t).unwrap()).unwrap()).unwrap())[0]
            })
            .collect();
        for window in psi.windows(3) {
            let second = window[0] - 2.0 * window[1] + window[2];
            assert!(
                second > -1e-4 * window[1].abs().max(1.0),
                "line {line}: second difference {second}"
            );
        }
        // Not trivially linear: strong convexity shows in the second differences.
        assert!(psi.windows(3).all(|w| w[0] - 2.0 * w[1] + w[2] > 0.0));
    }
    Ok(())
}

#[test]
fn prox_is_the_gradient_of_the_potential() -> Result<()> {
    let (net, _) = network(2)?;
    let x = random(&[2, 1, 7, 9], 3)?;
    let prox = values(&net.prox(&x)?);
    // Against candle's autodiff of the potential (an independent computation).
    let var = Var::from_tensor(&x)?;
    let grads = net.potential(var.as_tensor())?.sum_all()?.backward()?;
    let autodiff = values(grads.get(&var).unwrap());
    for (a, b) in prox.iter().zip(&autodiff) {
        assert!(
            (a - b).abs() < 1e-4 * b.abs().max(1.0),
            "prox {a} vs autodiff {b}"
        );
    }
    // Against central differences of the potential, for a few pixels.
    let flat = values(&x);
    for i in [0, 17, 62, 100, 125] {
        let shifted = |h: f32| -> f64 {
            let mut v: Vec<f32> = flat.iter().map(|&f| f as f32).collect();
            v[i] += h;
            let t = Tensor::from_vec(v, (2, 1, 7, 9), &Device::Cpu).unwrap();
            values(&net.potential(&t).unwrap()).iter().sum()
        };
        // f32 potentials of a few hundred: round-off limits the differences to ~1e-2.
        let numeric = (shifted(2e-2) - shifted(-2e-2)) / 4e-2;
        assert!(
            (numeric - prox[i]).abs() < 1e-2 * prox[i].abs().max(1.0),
            "pixel {i}: {numeric} vs {}",
            prox[i]
        );
    }
    Ok(())
}

/// With every weight zero, `ψ(y) = ψ(0) + (α/2)‖y‖²`, so `f(x) = αx` and
/// `R(x) = (1/(2α) − ½)‖x‖² − ψ(0)` in closed form.
#[test]
fn regulariser_of_a_quadratic_potential_is_closed_form() -> Result<()> {
    let varmap = VarMap::new();
    let shape = LpnShape {
        hidden: 4,
        layers: 2,
        beta: 4.0,
        alpha: 0.5,
    };
    let net = LearnedProximalNetwork::for_training(shape, &varmap, 0)?;
    for var in varmap.all_vars() {
        var.set(&var.as_tensor().zeros_like()?)?;
    }
    let x = random(&[2, 1, 6, 5], 4)?;
    let (r, residual) = net.regulariser(&x, 200)?;
    let norms: Vec<f64> = values(&x.sqr()?.sum((1, 2, 3))?);
    let at_zero = values(&net.potential(&x.zeros_like()?)?)[0];
    for (value, norm) in r.iter().zip(&norms) {
        let exact = (1.0 / (2.0 * 0.5) - 0.5) * norm - at_zero;
        assert!(
            (value - exact).abs() < 1e-3 * exact.abs().max(1.0),
            "R {value} vs {exact}"
        );
    }
    assert!(residual < 1e-4, "inversion residual {residual}");
    Ok(())
}

/// `x = f(y)` minimises `½‖z − y‖² + R(z)`: perturbing `x` never lowers that objective (the
/// differences are ~1e-2 against f32 round-off of ~1e-5 at these values).
#[test]
fn recovered_regulariser_has_the_network_as_its_prox() -> Result<()> {
    let (net, _) = network(5)?;
    let y = random(&[1, 1, 6, 6], 6)?;
    let x = net.prox(&y)?;
    let objective = |z: &Tensor| -> f64 {
        let (r, residual) = net.regulariser(z, 150).unwrap();
        // f32 round-off leaves ~1e-3 (runs differ in the last bits).
        assert!(residual < 5e-3, "inversion residual {residual}");
        0.5 * values(&(z - &y).unwrap().sqr().unwrap().sum_all().unwrap())[0] + r[0]
    };
    let at_prox = objective(&x);
    for (k, scale) in [0.02, 0.05, 0.1, 0.3].into_iter().enumerate() {
        let z = (&x + (random(&[1, 1, 6, 6], 30 + k as u64)? * scale)?)?;
        let perturbed = objective(&z);
        assert!(
            perturbed >= at_prox - 1e-4,
            "perturbation {k}: {perturbed} < {at_prox}"
        );
    }
    Ok(())
}

/// PnP-ADMM with the bundled LPN on Gaussian deblurring of the held-out camera image converges:
/// its iterates settle (relative change below 1e-3 and falling). Its quality is not asserted: the
/// bundled LPN is not yet a useful deblurring prior (22.1 dB from a start of 22.56 dB).
#[test]
fn admm_with_the_bundled_lpn_converges_on_deblurring() {
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tasks/deblur_lpn.toml"
    ))
    .unwrap();
    let task = inversa::task::Task::<f32>::from_toml_with(
        &toml,
        std::path::Path::new("."),
        "deblur_lpn",
        &inversa_learn::task_extensions(),
    )
    .unwrap();
    let mut changes = Vec::new();
    let outcome = task
        .run(&mut |step| {
            changes.push(step.iteration.relative_change);
            Control::Continue
        })
        .unwrap();
    let last = *changes.last().unwrap();
    assert!(
        last < 1e-3,
        "relative change after {} iterations: {last}",
        changes.len()
    );
    assert!(
        changes.windows(2).skip(5).all(|w| w[1] <= w[0]),
        "changes {changes:?}"
    );
    assert!(outcome.quality.unwrap().psnr.is_finite());
}

/// The paper's reading of the learned regulariser: on a held-out image it grows with the noise
/// added, clean < σ 0.05 < σ 0.1 (R computed by inverting the prox).
#[test]
fn the_learned_regulariser_grows_with_noise_on_a_held_out_image() {
    let net = inversa_learn::models::bundled::lpn().unwrap();
    let camera = inversa::data::builtin_image("camera").unwrap();
    let (h, w) = (camera.shape[1], camera.shape[2]);
    let crop: Vec<f32> = (0..48 * 48)
        .map(|p| camera.data[(h / 2 - 24 + p / 48) * w + w / 2 - 24 + p % 48] as f32)
        .collect();
    let noise = random(&[1, 1, 48, 48], 9).unwrap();
    let mut values = Vec::new();
    for sigma in [0.0, 0.05, 0.1] {
        let x = (Tensor::from_vec(crop.clone(), (1, 1, 48, 48), &Device::Cpu).unwrap()
            + (&noise * (sigma * 3f64.sqrt())).unwrap())
        .unwrap();
        let (r, residual) = net.regulariser(&x, 120).unwrap();
        assert!(
            residual < 1e-2,
            "inversion residual {residual} at σ {sigma}"
        );
        values.push(r[0]);
    }
    assert!(
        values[0] < values[1] && values[1] < values[2],
        "R: {values:?}"
    );
}
