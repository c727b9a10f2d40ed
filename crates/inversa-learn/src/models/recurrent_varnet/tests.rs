use super::kspace::{dft, expand, forward, inverse, normalise, reduce};
use super::*;
use candle_core::{Device, Var};
use candle_nn::VarMap;
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = shape.iter().product();
    let values: Vec<f32> = gaussian(&mut rng, n).iter().map(|v| *v as f32).collect();
    Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn dot(a: &Tensor, b: &Tensor) -> f64 {
    values(a)
        .iter()
        .zip(values(b))
        .map(|(x, y)| f64::from(*x) * f64::from(y))
        .sum()
}

/// The complex DFT against its definition, `(1/√(HW)) Σ z(p, q) e^{−2πi(kp/H + lq/W)}`, summed by
/// hand on a 3 × 4 image.
#[test]
fn forward_is_the_unitary_dft_and_inverse_undoes_it() {
    let (h, w) = (3, 4);
    let (re, im) = (random(&[1, h, w], 1), random(&[1, h, w], 2));
    let op = dft(h, w).unwrap();
    let k = values(&forward((&re, &im), &op).unwrap());
    let (zr, zi) = (values(&re), values(&im));
    for (kk, ll) in (0..h).flat_map(|a| (0..w).map(move |b| (a, b))) {
        let mut sum = num_complex::Complex64::new(0.0, 0.0);
        for (p, q) in (0..h).flat_map(|a| (0..w).map(move |b| (a, b))) {
            let z = num_complex::Complex64::new(zr[p * w + q].into(), zi[p * w + q].into());
            let angle =
                -std::f64::consts::TAU * ((kk * p) as f64 / h as f64 + (ll * q) as f64 / w as f64);
            sum += z * num_complex::Complex64::from_polar(1.0, angle);
        }
        sum /= ((h * w) as f64).sqrt();
        let at = 2 * (kk * w + ll);
        assert!(
            (f64::from(k[at]) - sum.re).abs() < 1e-5,
            "re at ({kk}, {ll})"
        );
        assert!(
            (f64::from(k[at + 1]) - sum.im).abs() < 1e-5,
            "im at ({kk}, {ll})"
        );
    }
    let kspace = forward((&re, &im), &op).unwrap();
    let (back_re, back_im) = inverse(&kspace, &op).unwrap();
    for (a, b) in values(&back_re)
        .iter()
        .zip(&zr)
        .chain(values(&back_im).iter().zip(&zi))
    {
        assert!((a - b).abs() < 1e-5);
    }
}

/// `⟨E x, w⟩ = ⟨x, E* w⟩` for random complex images, maps and k-space (the real inner product
/// of the interleaved parts, which is `Re` of the complex one).
#[test]
fn reduce_is_the_adjoint_of_expand() {
    let (b, coils, h, w) = (2, 3, 6, 5);
    let maps = (random(&[b, coils, h, w], 3), random(&[b, coils, h, w], 4));
    let x = random(&[b, 2, h, w], 5);
    let k = random(&[b, coils, h, w, 2], 6);
    let op = dft(h, w).unwrap();
    let lhs = dot(&expand(&x, &maps, &op).unwrap(), &k);
    let rhs = dot(&x, &reduce(&k, &maps, &op).unwrap());
    assert!(
        (lhs - rhs).abs() < 1e-4 * lhs.abs().max(rhs.abs()),
        "{lhs} vs {rhs}"
    );
}

/// With normalised maps `Σ_c |S_c|² = 1` (up to ε), so `E* E x = x`: fully sampled SENSE is exact.
#[test]
fn normalised_maps_make_the_expansion_an_isometry() {
    let (b, coils, h, w) = (1, 4, 8, 6);
    let maps = normalise(&(random(&[b, coils, h, w], 7), random(&[b, coils, h, w], 8))).unwrap();
    let power = values(
        &(maps.0.sqr().unwrap() + maps.1.sqr().unwrap())
            .unwrap()
            .sum(1)
            .unwrap(),
    );
    assert!(power.iter().all(|p| (p - 1.0).abs() < 1e-4), "{power:?}");
    let x = random(&[b, 2, h, w], 9);
    let op = dft(h, w).unwrap();
    let back = reduce(&expand(&x, &maps, &op).unwrap(), &maps, &op).unwrap();
    for (a, v) in values(&back).iter().zip(values(&x)) {
        assert!((a - v).abs() < 1e-4);
    }
}

/// The derivative of `⟨E* E x, r⟩` with respect to one map entry by candle's backward pass,
/// against a central finite difference: the maps are learned, so their gradient must be right.
#[test]
fn the_gradient_with_respect_to_the_maps_matches_finite_differences() {
    let (b, coils, h, w) = (1, 2, 4, 4);
    let x = random(&[b, 2, h, w], 10);
    let r = random(&[b, 2, h, w], 11);
    let imag = random(&[b, coils, h, w], 12);
    let op = dft(h, w).unwrap();
    let loss = |re: &Tensor| {
        let maps = (re.clone(), imag.clone());
        (reduce(&expand(&x, &maps, &op)?, &maps, &op)? * &r)?.sum_all()
    };
    let re = Var::from_tensor(&random(&[b, coils, h, w], 13)).unwrap();
    let gradient = values(
        loss(re.as_tensor())
            .unwrap()
            .backward()
            .unwrap()
            .get(&re)
            .unwrap(),
    );
    let base = values(re.as_tensor());
    for index in [0, 5, 17, 30] {
        let eps = 1e-2f32;
        let shifted = |d: f32| {
            let mut v = base.clone();
            v[index] += d;
            let t = Tensor::from_vec(v, (b, coils, h, w), &Device::Cpu).unwrap();
            f64::from(loss(&t).unwrap().to_scalar::<f32>().unwrap())
        };
        let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * f64::from(eps));
        let exact = f64::from(gradient[index]);
        assert!(
            (numeric - exact).abs() < 2e-2 * exact.abs().max(1.0),
            "{numeric} vs {exact}"
        );
    }
}

/// With every correction and map refinement silenced (their last convolutions zero), each block
/// keeps `w = y` and the output is `E* y` with the normalised maps: on fully sampled data, the
/// image itself. Checks the data-consistency plumbing apart from the learned parts.
#[test]
fn silenced_blocks_return_the_sense_image_of_fully_sampled_data() {
    let config = RecurrentVarNetConfig {
        channels: 4,
        steps: 3,
    };
    let varmap = VarMap::new();
    let net = RecurrentVarNet::new(
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        config,
    )
    .unwrap();
    for (name, var) in varmap.data().lock().unwrap().iter() {
        if name.ends_with("out.weight") || name.ends_with("out.bias") {
            var.set(&var.as_tensor().zeros_like().unwrap()).unwrap();
        }
    }
    let (coils, h, w) = (3, 8, 8);
    let maps = normalise(&(random(&[1, coils, h, w], 14), random(&[1, coils, h, w], 15))).unwrap();
    let x = random(&[1, 2, h, w], 16);
    let op = dft(h, w).unwrap();
    let y = expand(&x, &maps, &op).unwrap();
    let mask = Tensor::ones((1, 1, h, w, 1), DType::F32, &Device::Cpu).unwrap();
    let images = net
        .unroll(&KspaceProblem {
            measurement: &y,
            mask: &mask,
            maps: &maps,
        })
        .unwrap();
    assert_eq!(images.len(), 3);
    for (a, v) in values(images.last().unwrap()).iter().zip(values(&x)) {
        assert!((a - v).abs() < 1e-3, "{a} vs {v}");
    }
}

#[test]
fn metadata_round_trips_and_too_many_blocks_are_refused() {
    let config = RecurrentVarNetConfig {
        channels: 12,
        steps: 5,
    };
    let origin = Path::new("w.safetensors");
    assert_eq!(
        RecurrentVarNetConfig::from_metadata(&config.metadata(), origin).unwrap(),
        config
    );
    let mut metadata = config.metadata();
    metadata.insert("steps".into(), (MAX_STEPS + 1).to_string());
    let error = RecurrentVarNetConfig::from_metadata(&metadata, origin).unwrap_err();
    assert!(error.to_string().contains("steps"), "{error}");
}
