use super::recurrent_unit::{ConvCell, RecurrentUnit};
use super::*;
use candle_nn::VarMap;

/// A scalar logistic function, the reference for the gates.
fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// The centre tap of a `[out, in, 3, 3]` kernel: on a 1×1 image with zero padding a 3×3
/// convolution is a matrix product with it.
fn centre(varmap: &VarMap, name: &str) -> Vec<Vec<f32>> {
    let w = varmap.data().lock().unwrap()[name].as_tensor().clone();
    let (o, i, _, _) = w.dims4().unwrap();
    (0..o)
        .map(|a| {
            (0..i)
                .map(|b| {
                    w.get(a)
                        .unwrap()
                        .get(b)
                        .unwrap()
                        .get(1)
                        .unwrap()
                        .get(1)
                        .unwrap()
                        .to_scalar::<f32>()
                        .unwrap()
                })
                .collect()
        })
        .collect()
}

fn vector(varmap: &VarMap, name: &str) -> Vec<f32> {
    varmap.data().lock().unwrap()[name]
        .as_tensor()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

/// `W v + b` for a centre tap `W` and bias `b`.
fn affine(w: &[Vec<f32>], b: &[f32], v: &[f32]) -> Vec<f32> {
    w.iter()
        .zip(b)
        .map(|(row, bias)| row.iter().zip(v).map(|(a, x)| a * x).sum::<f32>() + bias)
        .collect()
}

/// Each unit's step on a 1×1 image against its equations evaluated by hand from the weights.
#[test]
fn cells_follow_their_equations() {
    let c = 2;
    let x = [0.7f32, -0.4];
    let h = [0.3f32, 0.9];
    let xh: Vec<f32> = x.iter().chain(&h).copied().collect();
    for unit in RecurrentUnit::ALL {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let cell = ConvCell::new(unit, c, vb.pp("cell")).unwrap();
        crate::training::initialise(&varmap, 11).unwrap();
        let tensor = |v: &[f32]| Tensor::from_vec(v.to_vec(), (1, c, 1, 1), &Device::Cpu).unwrap();
        let got = cell
            .step(&tensor(&x), &tensor(&h))
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let expected: Vec<f32> = match unit {
            RecurrentUnit::Gru => {
                let rz: Vec<f32> = affine(
                    &centre(&varmap, "cell.gates.weight"),
                    &vector(&varmap, "cell.gates.bias"),
                    &xh,
                )
                .into_iter()
                .map(sigmoid)
                .collect();
                let rh: Vec<f32> = x
                    .iter()
                    .copied()
                    .chain((0..c).map(|k| rz[k] * h[k]))
                    .collect();
                let fresh = affine(
                    &centre(&varmap, "cell.candidate.weight"),
                    &vector(&varmap, "cell.candidate.bias"),
                    &rh,
                );
                (0..c)
                    .map(|k| (1.0 - rz[c + k]) * h[k] + rz[c + k] * fresh[k].tanh())
                    .collect()
            }
            RecurrentUnit::Mgu => {
                let f: Vec<f32> = affine(
                    &centre(&varmap, "cell.gate.weight"),
                    &vector(&varmap, "cell.gate.bias"),
                    &xh,
                )
                .into_iter()
                .map(sigmoid)
                .collect();
                let fh: Vec<f32> = x
                    .iter()
                    .copied()
                    .chain((0..c).map(|k| f[k] * h[k]))
                    .collect();
                let fresh = affine(
                    &centre(&varmap, "cell.candidate.weight"),
                    &vector(&varmap, "cell.candidate.bias"),
                    &fh,
                );
                (0..c)
                    .map(|k| (1.0 - f[k]) * h[k] + f[k] * fresh[k].tanh())
                    .collect()
            }
            RecurrentUnit::IndRnn => {
                let u = vector(&varmap, "cell.recurrent");
                let wx = affine(
                    &centre(&varmap, "cell.input.weight"),
                    &vector(&varmap, "cell.input.bias"),
                    &x,
                );
                (0..c).map(|k| (wx[k] + u[k] * h[k]).max(0.0)).collect()
            }
        };
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-5, "{unit}: {got:?} against {expected:?}");
        }
    }
}

/// The RIM calls the likelihood gradient once per step, on the iterate it has reached, and
/// returns every iterate; a network whose output layer is zero never moves.
#[test]
fn unrolls_t_steps_through_the_gradient() {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let config = RimConfig {
        channels: 3,
        steps: 5,
        unit: RecurrentUnit::Mgu,
    };
    let rim = Rim::new(vb, config).unwrap();
    crate::training::initialise(&varmap, 2).unwrap();
    let x0 = Tensor::randn(0f32, 1.0, (2, 1, 6, 7), &Device::Cpu).unwrap();
    let mut seen = Vec::new();
    let iterates = rim
        .unroll(&x0, |x| {
            seen.push(x.clone());
            x.neg()
        })
        .unwrap();
    assert_eq!((iterates.len(), seen.len()), (5, 5));
    let gap = |a: &Tensor, b: &Tensor| {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    assert_eq!(gap(&seen[0], &x0), 0.0);
    for t in 1..5 {
        assert_eq!(gap(&seen[t], &iterates[t - 1]), 0.0);
    }
    assert!(gap(&iterates[4], &x0) > 0.0);
    for name in ["out.weight", "out.bias"] {
        let var = varmap.data().lock().unwrap()[name].clone();
        var.set(&var.as_tensor().zeros_like().unwrap()).unwrap();
    }
    let still = rim.unroll(&x0, |x| x.neg()).unwrap();
    assert_eq!(gap(&still[4], &x0), 0.0);
}

#[test]
fn metadata_round_trips_and_bad_units_are_refused() {
    for unit in RecurrentUnit::ALL {
        let config = RimConfig {
            channels: 7,
            steps: 3,
            unit,
        };
        let back =
            RimConfig::from_metadata(&config.metadata(), Path::new("w.safetensors")).unwrap();
        assert_eq!(back, config);
    }
    let mut metadata = RimConfig::default().metadata();
    metadata.insert("unit".into(), "lstm".into());
    let e = RimConfig::from_metadata(&metadata, Path::new("w.safetensors")).unwrap_err();
    assert!(
        e.to_string().contains("w.safetensors") && e.to_string().contains("lstm"),
        "{e}"
    );
    let mut metadata = RimConfig::default().metadata();
    metadata.insert("steps".into(), (MAX_STEPS + 1).to_string());
    let e = RimConfig::from_metadata(&metadata, Path::new("w.safetensors")).unwrap_err();
    assert!(e.to_string().contains("steps"), "{e}");
}

#[test]
fn input_scale_brings_the_99th_percentile_to_one() {
    let image: Vec<f32> = (0..1000).map(|i| -(i as f32)).collect();
    let scale = input_scale(&image);
    assert!((scale * 989.0 - 1.0).abs() < 1e-6, "{scale}");
    assert_eq!(input_scale(&[0.0; 10]), 1.0);
    assert_eq!(input_scale(&[]), 1.0);
}
