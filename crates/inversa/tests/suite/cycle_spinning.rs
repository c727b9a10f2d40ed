//! Cycle spinning around the wavelet-ℓ1 prox (`prior.kind = "wavelet"`, `cycle_spinning = true`).

use inversa::operators::wavelet::{Wavelet, WaveletFamily};
use inversa::priors::cycle_spinning::CycleSpinning;
use inversa::priors::wavelet::WaveletL1;
use inversa::priors::Prior;

/// `x` circularly shifted by `(dy, dx)` on an `h × w` grid.
fn roll(x: &[f64], (dy, dx): (usize, usize), (h, w): (usize, usize)) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for (p, v) in x.iter().enumerate() {
        out[((p / w + dy) % h) * w + (p % w + dx) % w] = *v;
    }
    out
}

fn prior() -> (CycleSpinning<f64>, WaveletL1) {
    let make = || {
        WaveletL1::new(
            0.3,
            Wavelet::new(&[1, 8, 8], WaveletFamily::Db2, 2).unwrap(),
        )
    };
    (
        CycleSpinning::new(Box::new(make()), [1, 8, 8], 4, 7),
        make(),
    )
}

#[test]
fn each_prox_is_the_plain_prox_at_its_shift() {
    let (spun, plain) = prior();
    let v: Vec<f64> = (0..64).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
    let mut shifts = std::collections::HashSet::new();
    for call in 0..16 {
        let (dy, dx) = spun.shift(call);
        shifts.insert((dy, dx));
        let mut out = vec![0.0; 64];
        spun.prox(&v, 1.0, &mut out);
        // Shift, shrink with the fixed basis, shift back: by hand.
        let mut shrunk = vec![0.0; 64];
        plain.prox(&roll(&v, (dy, dx), (8, 8)), 1.0, &mut shrunk);
        let expected = roll(&shrunk, ((8 - dy) % 8, (8 - dx) % 8), (8, 8));
        assert!(
            out.iter()
                .zip(&expected)
                .all(|(a, b)| (a - b).abs() < 1e-12),
            "call {call}"
        );
    }
    // The shifts move: not one fixed basis.
    assert!(shifts.len() > 4, "{shifts:?}");
}

#[test]
fn averaging_over_shifts_denoises_a_misaligned_edge_better_than_one_basis() {
    // Coifman & Donoho's observation: a step between the basis' grid cells costs a fixed
    // orthogonal basis Gibbs-like artefacts that the average over shifts removes.
    let make = || {
        WaveletL1::new(
            0.15,
            Wavelet::new(&[1, 16, 16], WaveletFamily::Haar, 3).unwrap(),
        )
    };
    let (spun, plain) = (
        CycleSpinning::<f64>::new(Box::new(make()), [1, 16, 16], 8, 1),
        make(),
    );
    let clean: Vec<f64> = (0..256)
        .map(|p| if p % 16 >= 5 && p / 16 >= 3 { 1.0 } else { 0.0 })
        .collect();
    let mut state = 12345u64;
    let noisy: Vec<f64> = clean
        .iter()
        .map(|c| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            c + 0.2 * ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5)
        })
        .collect();
    let mse = |x: &[f64]| {
        x.iter()
            .zip(&clean)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / 256.0
    };
    let mut fixed = vec![0.0; 256];
    plain.prox(&noisy, 1.0, &mut fixed);
    let mut average = vec![0.0; 256];
    let mut out = vec![0.0; 256];
    for _ in 0..64 {
        spun.prox(&noisy, 1.0, &mut out);
        average
            .iter_mut()
            .zip(&out)
            .for_each(|(a, o)| *a += o / 64.0);
    }
    assert!(
        mse(&average) < 0.8 * mse(&fixed),
        "{} against {}",
        mse(&average),
        mse(&fixed)
    );
}
