// TEMPORARY diagnostics, not committed.
use candle_core::{DType, Tensor, Device};
use inversa::operators::inpaint::Inpaint;
use inversa::operators::LinearOperator;
use inversa_learn::diffusion::posterior::{stsl, DiffusionPrior, Likelihood, StateMap};
use inversa_learn::diffusion::{norm, standard_normal, NoisePredictor};
use inversa_learn::models::bundled;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn gradient_scales() {
    let model = bundled::diffusion_unet().unwrap().into_noise_predictor().unwrap();
    let images = bundled::test_images().unwrap();
    let truth: Vec<f64> = images.pixels(1).iter().map(|&p| f64::from(p) / 255.0).collect();
    let op = Inpaint::<f64>::random(&[1, 28, 28], 0.7, 0).unwrap();
    let y = op.apply_new(&truth);
    let map = StateMap::new(&[1, 32, 32], &[1, 28, 28], 0.5, 0.5).unwrap();
    let likelihood = Likelihood::new(&op, &y, 0.05, map).unwrap();
    // the truth as a state, padded with −1
    let mut state = vec![-1.0f64; 32 * 32];
    for r in 0..28 { for c in 0..28 { state[(r + 2) * 32 + c + 2] = truth[r * 28 + c] * 2.0 - 1.0; } }
    let x0 = Tensor::from_vec(state, (1, 1, 32, 32), &Device::Cpu).unwrap().to_dtype(DType::F32).unwrap();
    let x0 = x0.broadcast_as((2, 1, 32, 32)).unwrap().contiguous().unwrap();
    let grid = model.schedule.grid(25).unwrap();
    let nm: &dyn NoisePredictor = &model;
    let prior = DiffusionPrior::new(nm, grid, None);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for k in [25, 22, 18, 14, 10, 7, 4, 2, 1] {
        let ab = prior.grid.alpha_bar(k);
        let n = standard_normal(&mut rng, &[2, 1, 32, 32], DType::F32).unwrap();
        let x = (x0.affine(ab.sqrt(), 0.0).unwrap() + n.affine((1.0 - ab).sqrt(), 0.0).unwrap()).unwrap();
        let mut traces = vec![];
        let mut tnorms = vec![];
        for p in 0..4 {
            let probe = standard_normal(&mut rng, &[2, 1, 32, 32], DType::F32).unwrap();
            let eps = prior.eps(&x, k).unwrap();
            let t = stsl::hutchinson(&prior, &x, &eps, &probe, k).unwrap().to_vec1::<f32>().unwrap();
            traces.push(t[0]);
            let g = stsl::surrogate_gradient(&stsl::Params { lambda: 0.0, eta: 1024.0, averaging: 1 }, &prior, &likelihood, &x, k, &probe).unwrap();
            tnorms.push(norm(&g.gradient).unwrap() / 2f64.sqrt());
            let _ = p;
        }
        let probe = standard_normal(&mut rng, &[2, 1, 32, 32], DType::F32).unwrap();
        let g = stsl::surrogate_gradient(&stsl::Params { lambda: 1.0, eta: 0.0, averaging: 1 }, &prior, &likelihood, &x, k, &probe).unwrap();
        let dn = norm(&g.gradient).unwrap() / 2f64.sqrt();
        eprintln!("k {k:2} t {:4} sigma {:.3} sqrt(ab) {:.4} | data grad {dn:.4} | grad tr J (one probe) {:?} | tr J/d {:?}", prior.grid.timestep(k), (1.0-ab).sqrt(), ab.sqrt(), tnorms.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>(), traces.iter().map(|v| format!("{:.3}", v/1024.0)).collect::<Vec<_>>());
    }
}
