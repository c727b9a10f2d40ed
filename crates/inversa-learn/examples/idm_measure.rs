//! IDM's two claims measured on the bundled Fashion-MNIST UNet (numbers for the report):
//!
//! ```text
//! cargo run --release -p inversa-learn --example idm_measure -- memory [BATCH]
//! cargo run --release -p inversa-learn --example idm_measure -- compare WEIGHTS [IMAGES] [DDNM_STEPS]
//! ```
//!
//! `memory`: the peak of live heap bytes (every allocation of this process is counted) during one
//! training step's gradient, and its seconds, against the sampling steps, for plain
//! backpropagation and the two recomputing modes.
//! `compare`: IDM (weights of `inversa train idm`) against DDNM on the first IMAGES (100) images of
//! the Fashion-MNIST test split (the Debian package), CS ratios 0.1 and 0.25, matrix seed 0.
//! Both print JSON.

use candle_core::{Device, Tensor};
use inversa::operators::LinearOperator;
use inversa_learn::data::fashion_mnist::{LabelledImages, Split, DEFAULT_DIR};
use inversa_learn::diffusion::idm::compare::compare;
use inversa_learn::diffusion::idm::{Backprop, Geometry, Idm, IdmConfig, Operator};
use inversa_learn::models::bundled;
use inversa_learn::nn::heap_peak::{peak_during, HeapCounter};
use inversa_learn::training::idm::cs_operator;
use std::path::Path;
use std::time::Instant;

#[global_allocator]
static HEAP: HeapCounter = HeapCounter;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> Result<usize, Failure> {
        Ok(args
            .get(i)
            .map(|a| a.parse())
            .transpose()?
            .unwrap_or(default))
    };
    match args.first().map(String::as_str) {
        Some("memory") => memory(number(1, 4)?),
        Some("compare") => {
            let weights = args.get(1).ok_or("compare needs the IDM weights file")?;
            compare_all(Path::new(weights), number(2, 100)?, number(3, 100)?)
        }
        _ => {
            Err("usage: idm_measure memory [BATCH] | compare WEIGHTS [IMAGES] [DDNM_STEPS]".into())
        }
    }
}

fn memory(batch: usize) -> Result<(), Failure> {
    let (tensors, metadata) = bundled::diffusion_unet_tensors()?;
    let unet =
        inversa_learn::models::unet::UnetConfig::from_metadata(&metadata, Path::new("unet"))?;
    let op = cs_operator(0.1, 1)?;
    let operator = Operator::from_operator(&op, Geometry::FASHION, 1e-4)?;
    let test = bundled::test_images()?;
    let truth: Vec<f64> = (0..batch)
        .flat_map(|i| {
            test.pixels(i)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect::<Vec<_>>()
        })
        .collect();
    let y: Vec<f64> = truth.chunks(784).flat_map(|u| op.apply_new(u)).collect();
    let y = Tensor::from_vec(y, (batch, op.output_len()), &Device::Cpu)?;
    let measured = operator.measure(&y)?;
    let mut rows = Vec::new();
    for steps in [1, 2, 4, 8] {
        let idm = Idm::new(IdmConfig::new(unet, steps, 450)?)?;
        idm.initialise(&tensors, 0)?;
        for mode in [Backprop::Plain, Backprop::Chain, Backprop::Full] {
            let clock = Instant::now();
            let (gradients, peak) = peak_during(|| {
                inversa_learn::nn::conv2d::fast_convolutions(|| {
                    idm.chain
                        .gradients(&measured, mode, |out| out.abs()?.mean_all())
                })
            });
            let seconds = clock.elapsed().as_secs_f64();
            drop(gradients?);
            rows.push(serde_json::json!({
                "steps": steps, "mode": mode.name(), "batch": batch,
                "peak_mib": peak as f64 / (1 << 20) as f64, "seconds": seconds,
            }));
            eprintln!("{}", rows.last().ok_or("no row")?);
        }
    }
    println!("{}", serde_json::to_string_pretty(&rows)?);
    Ok(())
}

fn compare_all(weights: &Path, images: usize, ddnm_steps: usize) -> Result<(), Failure> {
    let idm = Idm::load(weights)?;
    let model = bundled::diffusion_unet()?.into_noise_predictor()?;
    let test = LabelledImages::read_fashion_mnist(Path::new(DEFAULT_DIR), Split::Test)?;
    let truths: Vec<Vec<f64>> = (0..images.min(test.len()))
        .map(|i| {
            test.pixels(i)
                .iter()
                .map(|&p| f64::from(p) / 255.0)
                .collect()
        })
        .collect();
    let mut results = Vec::new();
    for ratio in [0.1, 0.25] {
        let op = cs_operator(ratio, 0)?;
        let grid = model.schedule.grid(ddnm_steps)?;
        let row = compare(&idm, &model, grid, &op, ratio, &truths, 0)?;
        eprintln!("{}", serde_json::to_string(&row)?);
        results.push(row);
    }
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(())
}
