//! Every registered core operator inside a candle graph: the gradient autodiff returns through the
//! adjoint must be the closed form `A*(Ax − y)` of `½‖Ax − y‖²`, and must match central finite
//! differences (exact for a quadratic up to rounding).

use candle_core::{Device, Tensor, Var};
use inversa::operators::random_vector;
use inversa::operators::registry::physics;
use inversa_learn::nn::operator_bridge::{LinearOperatorExt, SharedOperator};
use std::sync::Arc;

fn loss(x: &Tensor, op: &SharedOperator, y: &Tensor) -> Tensor {
    let r = (x.apply_operator(op).unwrap() - y).unwrap();
    (r.sqr().unwrap().sum_all().unwrap() * 0.5).unwrap()
}

fn scalar(t: &Tensor) -> f64 {
    f64::from(t.to_scalar::<f32>().unwrap())
}

#[test]
fn autodiff_through_every_operator_gives_the_adjoint_gradient() {
    for entry in physics::<f32>() {
        let op: SharedOperator = Arc::from((entry.example)(1));
        let (n, m) = (op.input_len(), op.output_len());
        let batch_shape = |shape: &[usize]| [&[2usize][..], shape].concat();
        let x0 = random_vector::<f32>(2 * n, 2);
        let y0 = random_vector::<f32>(2 * m, 3);
        let x = Var::from_tensor(
            &Tensor::from_slice(&x0, batch_shape(op.input_shape()), &Device::Cpu).unwrap(),
        )
        .unwrap();
        let y = Tensor::from_slice(&y0, batch_shape(op.output_shape()), &Device::Cpu).unwrap();
        let l = loss(x.as_tensor(), &op, &y);
        let grads = l.backward().unwrap();
        let gradient = grads
            .get(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();

        // Closed form, per batch item.
        for b in 0..2 {
            let mut r = op.apply_new(&x0[b * n..(b + 1) * n]);
            r.iter_mut()
                .zip(&y0[b * m..(b + 1) * m])
                .for_each(|(r, y)| *r -= y);
            let expected = op.adjoint_new(&r);
            let scale = expected.iter().fold(1e-6f32, |s, v| s.max(v.abs()));
            let error = gradient[b * n..(b + 1) * n]
                .iter()
                .zip(&expected)
                .fold(0.0f32, |e, (a, b)| e.max((a - b).abs()));
            assert!(
                error <= 1e-5 * scale,
                "{}: gradient off by {error:e}",
                entry.name
            );
        }

        // Central difference along a random direction.
        let d = random_vector::<f32>(2 * n, 4);
        let direction =
            Tensor::from_slice(&d, batch_shape(op.input_shape()), &Device::Cpu).unwrap();
        let step = 1e-2;
        let plus = loss(
            &(x.as_tensor() + (&direction * step).unwrap()).unwrap(),
            &op,
            &y,
        );
        let minus = loss(
            &(x.as_tensor() - (&direction * step).unwrap()).unwrap(),
            &op,
            &y,
        );
        let finite = (scalar(&plus) - scalar(&minus)) / (2.0 * step);
        let analytic: f64 = gradient.iter().zip(&d).map(|(g, d)| f64::from(g * d)).sum();
        assert!(
            (finite - analytic).abs() <= 1e-3 * analytic.abs().max(1.0),
            "{}: finite difference {finite} vs ⟨∇L, d⟩ {analytic}",
            entry.name
        );
    }
}

#[test]
fn the_adjoint_operation_differentiates_back_through_the_forward_one() {
    let entry = physics::<f32>()
        .into_iter()
        .find(|e| e.name == "blur")
        .unwrap();
    let op: SharedOperator = Arc::from((entry.example)(3));
    let shape = [&[1usize][..], op.output_shape()].concat();
    let y0 = random_vector::<f32>(op.output_len(), 5);
    let y = Var::from_tensor(&Tensor::from_slice(&y0, shape, &Device::Cpu).unwrap()).unwrap();
    // d/dy ½‖A*y‖² = A A* y.
    let l = (y
        .as_tensor()
        .apply_adjoint(&op)
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        * 0.5)
        .unwrap();
    let gradient = l
        .backward()
        .unwrap()
        .get(&y)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let expected = op.apply_new(&op.adjoint_new(&y0));
    let error = gradient
        .iter()
        .zip(&expected)
        .fold(0.0f32, |e, (a, b)| e.max((a - b).abs()));
    assert!(error < 1e-5, "A A* y off by {error:e}");
}
