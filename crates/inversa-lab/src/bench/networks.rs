//! The network table: candle's CPU convolution, which every learned prior runs on, timed on the
//! cases the learned-priors issue compares with PyTorch (`bench/compare.py nn` runs the same shapes
//! in PyTorch and reads these rows by their names), with the arithmetic rate they reach.

use crate::timing::try_median_seconds;
use crate::Result;
use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{Conv2d, Conv2dConfig};
use inversa_learn::nn::conv2d::{self, fast_convolutions};
use inversa_learn::FfdNet;
use serde::Serialize;

/// Times one case with `repeats` runs: its median seconds and its FLOPs per call.
type Case = fn(usize) -> Result<(f64, f64)>;

/// One network case.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkRow {
    pub network: String,
    /// Median seconds per call.
    pub time_s: f64,
    /// Floating-point operations per call.
    pub flops: f64,
}

/// Times the five cases, `repeats` runs each; `say` receives the header and one line per case.
pub(super) fn table(repeats: usize, say: &mut dyn FnMut(&str)) -> Result<Vec<NetworkRow>> {
    say(&format!(
        "{:<44} {:>10} {:>10}",
        "network (candle CPU, f32)", "ms", "GFLOP/s"
    ));
    let cases: [(&str, Case); 5] = [
        ("candle conv2d 3×3 64→64, b8, 64², fwd+bwd", |repeats| {
            conv_step(repeats, Implementation::Candle)
        }),
        ("inversa conv2d 3×3 64→64, b8, 64², fwd+bwd", |repeats| {
            conv_step(repeats, Implementation::Inversa)
        }),
        ("FFDNet colour forward, 1×3×256×256", ffdnet_forward),
        ("DnCNN 17 layers, 64 ch, forward, 1×1×256²", dncnn_forward),
        ("DnCNN 17 training step, batch 8, 64²", dncnn_training_step),
    ];
    let mut rows = Vec::new();
    for (name, case) in cases {
        let (time_s, flops) = case(repeats)?;
        say(&format!(
            "{name:<44} {:>10.1} {:>10.1}",
            time_s * 1e3,
            flops / time_s / 1e9
        ));
        rows.push(NetworkRow {
            network: name.into(),
            time_s,
            flops,
        });
    }
    Ok(rows)
}

/// Which convolution a row times.
#[derive(Clone, Copy)]
enum Implementation {
    Candle,
    Inversa,
}

/// Forward and backward (input and weight gradients) of one 3×3 convolution; FLOPs counted as
/// 3 × the forward's 2·B·C_out·H·W·C_in·9.
fn conv_step(repeats: usize, implementation: Implementation) -> Result<(f64, f64)> {
    let device = Device::Cpu;
    let (batch, channels, size) = (8, 64, 64);
    let weight =
        Var::from_tensor(&(Tensor::randn(0f32, 0.05, (channels, channels, 3, 3), &device)?))?;
    let conv = Conv2d::new(
        weight.as_tensor().clone(),
        None,
        Conv2dConfig {
            padding: 1,
            ..Default::default()
        },
    );
    let input = Var::from_tensor(&Tensor::randn(
        0f32,
        1.0,
        (batch, channels, size, size),
        &device,
    )?)?;
    let seconds = try_median_seconds(repeats, || -> candle_core::Result<()> {
        // Inversa's as in a training step, with the training steps' faster convolution.
        let grads = fast_convolutions(|| {
            let output = match implementation {
                Implementation::Candle => conv.forward(input.as_tensor())?,
                Implementation::Inversa => {
                    conv2d::conv2d(input.as_tensor(), weight.as_tensor(), 1)?
                }
            };
            output.sqr()?.sum_all()?.backward()
        })?;
        if grads.get(&weight).is_none() {
            candle_core::bail!("no weight gradient");
        }
        Ok(())
    })?;
    let forward = 2.0 * (batch * channels * size * size * channels * 9) as f64;
    Ok((seconds, 3.0 * forward))
}

/// One FFDNet forward at 256²: 12 layers at half resolution.
fn ffdnet_forward(repeats: usize) -> Result<(f64, f64)> {
    let net = FfdNet::pretrained_color()?;
    let x = Tensor::rand(0f32, 1.0, (1, 3, 256, 256), &Device::Cpu)?.to_dtype(DType::F32)?;
    let seconds = try_median_seconds(repeats, || -> candle_core::Result<()> {
        net.forward(&x, 0.1)?;
        Ok(())
    })?;
    let pixels = (128 * 128) as f64;
    let macs = 9.0 * (13.0 * 96.0 + 10.0 * 96.0 * 96.0 + 96.0 * 12.0);
    Ok((seconds, 2.0 * pixels * macs))
}

/// The 17-layer, 64-channel DnCNN of Zhang et al. (2017) with random weights (the shape the
/// learned-priors issue timed PyTorch on), and its FLOPs per pixel.
fn dncnn_17() -> Result<(Vec<conv2d::Conv2d>, Vec<Var>, f64)> {
    let device = Device::Cpu;
    let mut vars = Vec::new();
    let layers = (0..17)
        .map(|i| {
            let input = if i == 0 { 1 } else { 64 };
            let output = if i == 16 { 1 } else { 64 };
            let weight =
                Var::from_tensor(&Tensor::randn(0f32, 0.05, (output, input, 3, 3), &device)?)?;
            let layer = conv2d::Conv2d::new(weight.as_tensor().clone(), None, 1);
            vars.push(weight);
            Ok(layer)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let macs = 9.0 * (64.0 + 15.0 * 64.0 * 64.0 + 64.0);
    Ok((layers, vars, 2.0 * macs))
}

/// `x − net(x)` through the 17 layers.
fn dncnn_apply(layers: &[conv2d::Conv2d], x: &Tensor) -> candle_core::Result<Tensor> {
    let mut z = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        z = if i + 1 < layers.len() {
            layer.forward_relu(&z)?
        } else {
            layer.forward(&z)?
        };
    }
    x - z
}

/// One DnCNN-17 forward pass on a 256² grey image.
fn dncnn_forward(repeats: usize) -> Result<(f64, f64)> {
    let (layers, _, flops_per_pixel) = dncnn_17()?;
    let x = Tensor::rand(0f32, 1.0, (1, 1, 256, 256), &Device::Cpu)?;
    let seconds = try_median_seconds(repeats, || -> candle_core::Result<()> {
        std::hint::black_box(dncnn_apply(&layers, &x)?);
        Ok(())
    })?;
    Ok((seconds, flops_per_pixel * 256.0 * 256.0))
}

/// One training step of DnCNN-17 without the optimiser update: the MSE loss on a batch of eight
/// 64² crops, forward and backward to every weight (FLOPs: 3 × the forward's).
fn dncnn_training_step(repeats: usize) -> Result<(f64, f64)> {
    let (layers, vars, flops_per_pixel) = dncnn_17()?;
    let clean = Tensor::rand(0f32, 1.0, (8, 1, 64, 64), &Device::Cpu)?;
    let noisy = (&clean + Tensor::randn(0f32, 0.1, (8, 1, 64, 64), &Device::Cpu)?)?;
    let seconds = try_median_seconds(repeats, || -> candle_core::Result<()> {
        // As `inversa train` runs a step: with the training steps' faster convolution.
        let grads = fast_convolutions(|| {
            let loss = (dncnn_apply(&layers, &noisy)? - &clean)?
                .sqr()?
                .mean_all()?;
            loss.backward()
        })?;
        if !vars.iter().all(|v| grads.get(v).is_some()) {
            candle_core::bail!("a weight has no gradient");
        }
        Ok(())
    })?;
    Ok((seconds, 3.0 * flops_per_pixel * 8.0 * 64.0 * 64.0))
}
