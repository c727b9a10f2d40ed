//! The fast convolution against candle's own (an independent implementation): forward values,
//! both gradients, and the gradient of a gradient, over kernel sizes (3×3 goes through Winograd,
//! the others through im2col), paddings, odd shapes, and images wide enough to be split into
//! several blocks of tile rows.

use crate::common;
use candle_core::{DType, Device, Result, Tensor, Var};
use common::random;
use inversa_learn::nn::conv2d::relu::conv2d_bias_relu;
use inversa_learn::nn::conv2d::{conv2d, fast_convolutions};

fn max_difference(a: &Tensor, b: &Tensor) -> Result<f32> {
    (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
}

#[test]
fn matches_candle_forward_and_gradients() -> Result<()> {
    for (k, padding, (h, w)) in [
        (3, 1, (13, 9)),
        (1, 0, (5, 7)),
        (5, 2, (11, 16)),
        (3, 0, (8, 6)),
        (3, 2, (4, 5)),
        (2, 2, (5, 6)), // padding wider than the kernel: the adjoint crops
        (1, 1, (4, 4)),
        (3, 1, (37, 70)), // several blocks of tile rows per image, odd height
    ] {
        let x = Var::from_tensor(&random(&[2, 3, h, w], 1)?)?;
        let weight = Var::from_tensor(&random(&[4, 3, k, k], 2)?)?;
        let probe = random(&[2, 4, h + 2 * padding + 1 - k, w + 2 * padding + 1 - k], 3)?;

        let ours = conv2d(x.as_tensor(), weight.as_tensor(), padding)?;
        let reference = x.as_tensor().conv2d(weight.as_tensor(), padding, 1, 1, 1)?;
        assert!(
            max_difference(&ours, &reference)? < 1e-4,
            "forward k={k} p={padding}"
        );

        let grads = (ours * &probe)?.sum_all()?.backward()?;
        let reference_grads = (&reference * &probe)?.sum_all()?.backward()?;
        // A training step's F(4×4, 3×3) Winograd for 3×3 kernels: values and gradients again.
        let fast_grads = fast_convolutions(|| -> Result<_> {
            let fast = conv2d(x.as_tensor(), weight.as_tensor(), padding)?;
            assert!(
                max_difference(&fast, &reference)? < 1e-4,
                "fast forward k={k} p={padding}"
            );
            (fast * &probe)?.sum_all()?.backward()
        })?;
        for var in [&x, &weight] {
            let expected = reference_grads.get(var).unwrap();
            for grads in [&grads, &fast_grads] {
                let difference = max_difference(grads.get(var).unwrap(), expected)?;
                assert!(
                    difference < 1e-3,
                    "gradient k={k} p={padding}: {difference}"
                );
            }
        }
    }
    Ok(())
}

/// The two 3×3 algorithms against an f64 convolution on a 64→64 layer: F(2×2, 3×3) within 1e-6
/// of the output's range (measured 2.6e-7; candle's direct f32 sum: 8e-7), F(4×4, 3×3) inside
/// `fast_convolutions` within 2e-5 (measured 3.7e-6).
#[test]
fn values_take_the_accurate_winograd_and_training_steps_the_fast_one() -> Result<()> {
    let x = random(&[2, 64, 24, 24], 4)?.abs()?;
    let w = (random(&[64, 64, 3, 3], 5)? * (2.0f64 / 576.0).sqrt())?;
    let reference = x
        .to_dtype(DType::F64)?
        .conv2d(&w.to_dtype(DType::F64)?, 1, 1, 1, 1)?;
    let range = reference.abs()?.flatten_all()?.max(0)?.to_scalar::<f64>()?;
    let error = |y: Tensor| -> Result<f64> {
        let difference = (y.to_dtype(DType::F64)? - &reference)?.abs()?;
        Ok(difference.flatten_all()?.max(0)?.to_scalar::<f64>()? / range)
    };
    let accurate = error(conv2d(&x, &w, 1)?)?;
    let fast = error(fast_convolutions(|| conv2d(&x, &w, 1))?)?;
    assert!(accurate < 1e-6, "F(2×2): {accurate:.2e}");
    assert!(fast < 2e-5, "F(4×4): {fast:.2e}");
    assert!(
        fast > accurate,
        "{fast:.2e} vs {accurate:.2e}: the fast path did not run"
    );
    Ok(())
}

/// `L(w) = ‖∂/∂x ⟨probe, x ⊛ w⟩‖²` depends on `w` only through the input gradient; its gradient
/// in `w` is compared with central finite differences (the LPN trains through such a gradient).
#[test]
fn gradient_of_the_input_gradient_matches_finite_differences() -> Result<()> {
    let x = random(&[1, 2, 6, 5], 4)?.to_dtype(candle_core::DType::F32)?;
    let probe = random(&[1, 3, 6, 5], 5)?;
    let w0 = random(&[3, 2, 3, 3], 6)?;
    let loss = |w: &Tensor| -> Result<(Tensor, Tensor)> {
        let xv = Var::from_tensor(&x)?;
        let inner = (conv2d(xv.as_tensor(), w, 1)? * &probe)?.sum_all()?;
        let dx = inner.backward()?.get(&xv).unwrap().clone();
        Ok((dx.sqr()?.sum_all()?, dx))
    };
    let w = Var::from_tensor(&w0)?;
    let (value, _) = loss(w.as_tensor())?;
    let analytic = value
        .backward()?
        .get(&w)
        .unwrap()
        .flatten_all()?
        .to_vec1::<f32>()?;
    let flat = w0.flatten_all()?.to_vec1::<f32>()?;
    let h = 1e-2f32;
    for i in [0, 7, 20, 33, 53] {
        let shifted = |delta: f32| -> Result<f32> {
            let mut v = flat.clone();
            v[i] += delta;
            let (value, _) = loss(&Tensor::from_vec(v, (3, 2, 3, 3), &Device::Cpu)?)?;
            value.to_scalar::<f32>()
        };
        let numeric = (shifted(h)? - shifted(-h)?) / (2.0 * h);
        let scale = numeric.abs().max(1.0);
        assert!(
            (numeric - analytic[i]).abs() < 2e-2 * scale,
            "w[{i}]: {numeric} vs {}",
            analytic[i]
        );
    }
    Ok(())
}

#[test]
fn bias_and_relu_match_candle_values_and_gradients() -> Result<()> {
    use inversa_learn::nn::bias_relu::{bias_activation, relu};
    let x = Var::from_tensor(&random(&[2, 3, 5, 7], 4)?)?;
    let bias = Var::from_tensor(&random(&[3], 5)?)?;
    let probe = random(&[2, 3, 5, 7], 6)?;
    let shifted = |x: &Tensor| x.broadcast_add(&bias.as_tensor().reshape((1, 3, 1, 1))?);
    let cases: [(Tensor, Tensor); 3] = [
        (
            bias_activation(x.as_tensor(), bias.as_tensor(), true)?,
            shifted(x.as_tensor())?.relu()?,
        ),
        (
            bias_activation(x.as_tensor(), bias.as_tensor(), false)?,
            shifted(x.as_tensor())?,
        ),
        (relu(x.as_tensor())?, x.as_tensor().relu()?),
    ];
    for (index, (ours, reference)) in cases.into_iter().enumerate() {
        assert!(max_difference(&ours, &reference)? < 1e-6, "case {index}");
        let grads = (ours * &probe)?.sum_all()?.backward()?;
        let reference_grads = (reference * &probe)?.sum_all()?.backward()?;
        for var in [&x, &bias] {
            if let Some(reference) = reference_grads.get(var) {
                let ours = grads.get(var).expect("gradient");
                assert!(max_difference(ours, reference)? < 1e-5, "case {index}");
            }
        }
    }
    Ok(())
}

#[test]
fn relu_of_a_convolution_keeps_second_derivatives() -> Result<()> {
    // d/dx of ⟨probe, ∂/∂x ⟨q, relu(x ⊛ w + b)⟩⟩ through the tracked-gradient path, against candle's
    // own relu and broadcast add (the second derivative of relu is zero almost everywhere, so the
    // check is that the chain through the convolution's adjoint survives).
    use inversa_learn::nn::bias_relu::bias_activation;
    let x = Var::from_tensor(&random(&[1, 2, 6, 6], 7)?)?;
    let weight = Var::from_tensor(&random(&[3, 2, 3, 3], 8)?)?;
    let bias = random(&[3], 9)?;
    let q = random(&[1, 3, 6, 6], 10)?;
    let probe = random(&[1, 2, 6, 6], 11)?;
    // 0: candle's relu and add; 1: our bias + ReLU op; 2: the fused convolution + bias + ReLU.
    let second = |way: usize| -> Result<Tensor> {
        let (input, w) = (x.as_tensor(), weight.as_tensor());
        let z = match way {
            0 => conv2d(input, w, 1)?
                .broadcast_add(&bias.reshape((1, 3, 1, 1))?)?
                .relu()?,
            1 => bias_activation(&conv2d(input, w, 1)?, &bias, true)?,
            _ => conv2d_bias_relu(input, w, Some(&bias), 1)?,
        };
        let first = (z * &q)?.sum_all()?.backward()?;
        let dx = first.get(&x).expect("input gradient");
        let grads = (dx * &probe)?.sum_all()?.backward()?;
        Ok(grads.get(&weight).expect("mixed derivative").clone())
    };
    let reference = second(0)?;
    assert!(max_difference(&second(1)?, &reference)? < 1e-5);
    assert!(max_difference(&second(2)?, &reference)? < 1e-5);
    Ok(())
}

#[test]
fn the_fused_convolution_bias_relu_matches_its_parts() -> Result<()> {
    // Values and the gradients of all three inputs against conv2d followed by candle's add and
    // relu, with a bias and without one (then the bias is zero and gets no gradient).
    let x = Var::from_tensor(&random(&[2, 3, 7, 6], 12)?)?;
    let weight = Var::from_tensor(&random(&[4, 3, 3, 3], 13)?)?;
    let bias = Var::from_tensor(&random(&[4], 14)?)?;
    let probe = random(&[2, 4, 7, 6], 15)?;
    for with_bias in [true, false] {
        let b = with_bias.then(|| bias.as_tensor());
        let ours = conv2d_bias_relu(x.as_tensor(), weight.as_tensor(), b, 1)?;
        let conv = conv2d(x.as_tensor(), weight.as_tensor(), 1)?;
        let reference = match b {
            Some(b) => conv.broadcast_add(&b.reshape((1, 4, 1, 1))?)?.relu()?,
            None => conv.relu()?,
        };
        assert!(max_difference(&ours, &reference)? < 1e-5);
        let grads = (ours * &probe)?.sum_all()?.backward()?;
        let reference_grads = (&reference * &probe)?.sum_all()?.backward()?;
        // As a training step runs it: with F(4×4, 3×3) Winograd.
        let fast_grads = fast_convolutions(|| -> Result<_> {
            let fast = conv2d_bias_relu(x.as_tensor(), weight.as_tensor(), b, 1)?;
            assert!(max_difference(&fast, &reference)? < 1e-4, "fast values");
            (fast * &probe)?.sum_all()?.backward()
        })?;
        for (name, var) in [("x", &x), ("w", &weight), ("b", &bias)] {
            for grads in [&grads, &fast_grads] {
                match (grads.get(var), reference_grads.get(var)) {
                    (Some(a), Some(b)) => assert!(max_difference(a, b)? < 1e-4, "∂/∂{name}"),
                    (None, None) => {}
                    _ => panic!("∂/∂{name} present on one side only (bias {with_bias})"),
                }
            }
        }
    }
    Ok(())
}
