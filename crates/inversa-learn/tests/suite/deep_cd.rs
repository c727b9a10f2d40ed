//! The deep conjugate direction method end to end: a short training run lowers the paper's loss
//! and its weights load back; the bundled network solves a Poisson system to the tolerance on the
//! true residual, in fewer iterations than CG (the paper's claim, Kaneda et al., ICML 2023).

use candle_core::{Device, Tensor};
use inversa::krylov::cg::Cg;
use inversa::krylov::preconditioner::Identity;
use inversa::krylov::sparse::{relative_residual, CsrMatrix};
use inversa::solvers::Silent;
use inversa::Control;
use inversa_learn::optim::lr_schedule::Decay;
use inversa_learn::solvers::deep_cd::network::{DeepCdConfig, DeepCdNet};
use inversa_learn::solvers::deep_cd::solver::DeepCd;
use inversa_learn::solvers::deep_cd::training::DeepCdTraining;
use inversa_learn::solvers::deep_cd::{bundled, laplacian_matrix, NetworkDirections};
use inversa_learn::training::{train, TrainConfig, Trainable};

#[test]
fn deep_cd_training_lowers_the_held_out_loss_and_the_weights_load_back() {
    let dir = std::env::temp_dir().join(format!("inversa-deep-cd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let training = DeepCdTraining::new(DeepCdConfig { channels: 6 }, &[16]).unwrap();
    let config = TrainConfig {
        steps: 150,
        batch: 8,
        crop: 16,
        learning_rate: 3e-3,
        warmup: 5,
        decay: Decay::Cosine,
        seed: 1,
        validate_every: 0,
        checkpoint_every: 0,
        ema_decay: 0.0,
        out: dir.join("dcd.safetensors"),
    };
    training.initialise(config.seed).unwrap();
    let held_out_loss = |t: &DeepCdTraining| {
        let metrics = t.validate().unwrap();
        metrics.iter().find(|(k, _)| k == "loss").unwrap().1
    };
    let before = held_out_loss(&training);
    let history = train(&training, &config, false, &mut |_| Control::Continue).unwrap();
    let after = history.validation.last().unwrap().metrics["loss"];
    assert!(after < 0.5 * before, "held-out loss {before} → {after}");

    let bytes = std::fs::read(&config.out).unwrap();
    let loaded = DeepCdNet::from_safetensors(&bytes, &config.out).unwrap();
    assert_eq!(loaded.config(), DeepCdConfig { channels: 6 });
    let r = Tensor::randn(0f32, 1.0, (1, 1, 16, 16), &Device::Cpu).unwrap();
    let gap = (training.net().forward(&r).unwrap() - loaded.forward(&r).unwrap())
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert_eq!(gap, 0.0, "the loaded weights are the trained ones");
}

#[test]
fn deep_cd_bundled_network_beats_cg_on_the_poisson_matrix() {
    let n = 32;
    let a = laplacian_matrix(n).unwrap();
    let b = vec![1.0; n * n];
    let net = bundled().unwrap();
    let mut x = vec![0.0; b.len()];
    let solver = DeepCd {
        tolerance: 1e-4,
        ..DeepCd::default()
    };
    let info = solver
        .solve(&a, &b, &mut x, &NetworkDirections::new(&net, n, n))
        .unwrap();
    assert!(info.converged);
    assert!(relative_residual(&a, &x, &b) <= 1e-4);
    let mut x_cg = vec![0.0; b.len()];
    let cg = Cg {
        tolerance: 1e-4,
        max_iterations: 10_000,
    };
    let cg_info = cg.solve(&a, &b, &mut x_cg, &Identity, &mut Silent).unwrap();
    assert!(
        info.iterations < cg_info.iterations,
        "deep-cd {} vs cg {} iterations",
        info.iterations,
        cg_info.iterations
    );
}

#[test]
fn deep_cd_jacobi_scaling_makes_the_iteration_invariant_to_a_diagonal_similarity() {
    // For A' = T A T (T diagonal, positive) and b' = T b, the scaled map sends r' = T r to
    // T⁻¹ S f(S r) (S = diag(A)^(−½)): the iterates on A' are x' = T⁻¹ x, whatever the network.
    let n = 16;
    let a = laplacian_matrix(n).unwrap();
    let t: Vec<f64> = (0..n * n)
        .map(|i| (0.8 * ((i % 7) as f64 - 3.0) / 3.0).exp())
        .collect();
    let mut triplets = Vec::new();
    for i in 0..n * n {
        let (cols, vals) = a.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            triplets.push((i, j, t[i] * v * t[j]));
        }
    }
    let similar = CsrMatrix::from_triplets(n * n, n * n, &triplets).unwrap();
    let b: Vec<f64> = (0..n * n).map(|i| ((i * 37 % 11) as f64) - 5.0).collect();
    let b_similar: Vec<f64> = b.iter().zip(&t).map(|(v, t)| v * t).collect();
    let net = bundled().unwrap();
    let steps = DeepCd {
        tolerance: 1e-14,
        max_iterations: 6,
        ..DeepCd::default()
    };
    let run = |a: &CsrMatrix, b: &[f64], map: &NetworkDirections| {
        let mut x = vec![0.0; n * n];
        steps.solve(a, b, &mut x, map).unwrap();
        x
    };
    let x = run(&a, &b, &NetworkDirections::jacobi_scaled(&net, n, n, &a));
    let x_similar = run(
        &similar,
        &b_similar,
        &NetworkDirections::jacobi_scaled(&net, n, n, &similar),
    );
    let gap = x
        .iter()
        .zip(x_similar.iter().zip(&t))
        .map(|(x, (y, t))| (x - t * y).abs())
        .fold(0.0, f64::max);
    let size = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(gap <= 1e-6 * size, "iterates differ by {gap} (size {size})");
    // Without the scaling the same network does worse on the badly scaled matrix.
    let x_unscaled = run(&similar, &b_similar, &NetworkDirections::new(&net, n, n));
    let (with, without) = (
        relative_residual(&similar, &x_similar, &b_similar),
        relative_residual(&similar, &x_unscaled, &b_similar),
    );
    assert!(
        with < without,
        "after 6 steps: {with} scaled, {without} unscaled"
    );
}
