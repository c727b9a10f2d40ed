//! IDM's claim that invertible training keeps memory flat in the number of sampling steps, measured
//! as the peak of live heap bytes during one gradient computation: this test binary counts every
//! allocation of the process (its own binary, one test, so nothing else runs beside it).
//!
//! Plain backpropagation keeps every step's activations until the backward pass, so its peak grows
//! linearly with the steps; the recomputing modes keep one pair of states between steps, so theirs
//! stays flat, and the full two-level mode also keeps the network's blocks lean.

use candle_core::{DType, Device, Tensor};
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::LinearOperator;
use inversa_learn::diffusion::idm::{Backprop, Geometry, Idm, IdmConfig, Operator};
use inversa_learn::models::unet::UnetConfig;
use inversa_learn::nn::heap_peak::{peak_during, HeapCounter};

#[global_allocator]
static HEAP: HeapCounter = HeapCounter;

/// A UNet of 16 channels and two levels: activations, not weights, dominate as in the real one.
fn config() -> UnetConfig {
    UnetConfig {
        channels: 16,
        levels: 2,
        blocks: 1,
        groups: 4,
        ..UnetConfig::default()
    }
}

fn peak(steps: usize, mode: Backprop) -> usize {
    let idm = Idm::new(IdmConfig::new(config(), steps, 400).unwrap()).unwrap();
    inversa_learn::training::initialise(idm.varmap(), 1).unwrap();
    let op = CompressedSensing::<f64>::structured_dct(&[1, 28, 28], 78, 3).unwrap();
    let operator = Operator::from_operator(&op, Geometry::FASHION, 1e-4).unwrap();
    let batch = 4;
    let image: Vec<f64> = (0..784).map(|i| (i % 28) as f64 / 28.0).collect();
    let y: Vec<f64> = (0..batch).flat_map(|_| op.apply_new(&image)).collect();
    let y = Tensor::from_vec(y, (batch, 78), &Device::Cpu).unwrap();
    let measured = operator.measure(&y).unwrap();
    let loss = |out: &Tensor| out.abs()?.mean_all();
    let ((), peak) = peak_during(|| {
        let (value, grads) = idm.chain.gradients(&measured, mode, loss).unwrap();
        assert!(value
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
            .is_finite());
        drop(grads);
    });
    peak
}

#[test]
fn invertible_training_memory_stays_flat_in_the_steps_while_backpropagations_grows() {
    let steps = [1, 2, 4, 8];
    let mut table = Vec::new();
    for mode in [Backprop::Plain, Backprop::Chain, Backprop::Full] {
        let peaks: Vec<usize> = steps.iter().map(|&s| peak(s, mode)).collect();
        table.push((mode, peaks));
    }
    for (mode, peaks) in &table {
        let mib: Vec<String> = peaks
            .iter()
            .map(|p| format!("{:.1}", *p as f64 / (1 << 20) as f64))
            .collect();
        eprintln!("{mode:?}: peak MiB at steps {steps:?}: {mib:?}");
    }
    let (plain, chain, full) = (&table[0].1, &table[1].1, &table[2].1);
    // Backpropagation: each step adds about one step's activations.
    assert!(plain[3] as f64 > 4.0 * plain[0] as f64, "{plain:?}");
    // Recomputing: eight steps cost at most a fifth more than one.
    for peaks in [chain, full] {
        assert!((peaks[3] as f64) < 1.2 * peaks[0] as f64, "{peaks:?}");
    }
    // Inverting the blocks too keeps less than recomputing whole steps, and at eight steps a
    // tenth of what backpropagation keeps.
    assert!(2 * full[3] < chain[3], "{full:?} {chain:?}");
    assert!(10 * full[3] < plain[3], "{full:?} {plain:?}");
}
