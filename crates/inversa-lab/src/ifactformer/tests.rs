//! The factorised kernel integral against the brute-force 2-D sums, the parameter counts, the
//! settings' checks, then the claim at the quick setting.

use super::model::{factorised, Merge, Network, Size};
use super::{run, Settings};
use candle_core::{Device, Tensor};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, dims: &[usize]) -> (Vec<f64>, Tensor) {
    let count = dims.iter().product();
    let values = gaussian(rng, count);
    let tensor = Tensor::from_vec(values.clone(), dims, &Device::Cpu).unwrap();
    (values, tensor)
}

#[test]
fn the_factorised_kernels_match_the_brute_force_sums() {
    let (b, h, ny, nx, d) = (2, 2, 3, 4, 2);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (kx, kx_t) = random(&mut rng, &[b, h, nx, nx]);
    let (ky, ky_t) = random(&mut rng, &[b, h, ny, ny]);
    let (v, v_t) = random(&mut rng, &[b, h, ny, nx, d]);
    let kx_at = |b0: usize, h0: usize, i: usize, j: usize| kx[((b0 * h + h0) * nx + i) * nx + j];
    let ky_at = |b0: usize, h0: usize, l: usize, m: usize| ky[((b0 * h + h0) * ny + l) * ny + m];
    let v_at = |b0: usize, h0: usize, y: usize, x: usize, c: usize| {
        v[(((b0 * h + h0) * ny + y) * nx + x) * d + c]
    };
    for merge in [Merge::Chained, Merge::Parallel] {
        let got: Vec<f64> = factorised(merge, &kx_t, &ky_t, &v_t)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let mut index = 0;
        for b0 in 0..b {
            for h0 in 0..h {
                for l in 0..ny {
                    for i in 0..nx {
                        for c in 0..d {
                            let mut want = 0.0;
                            for m in 0..ny {
                                for j in 0..nx {
                                    want += match merge {
                                        // K(x_i, y_l; x_j, y_m) = K_y(l, m) K_x(i, j).
                                        Merge::Chained => ky_at(b0, h0, l, m) * kx_at(b0, h0, i, j),
                                        // K = K_y(l, m) δ(i, j) + δ(l, m) K_x(i, j).
                                        Merge::Parallel => {
                                            let dij = if i == j { 1.0 } else { 0.0 };
                                            let dlm = if l == m { 1.0 } else { 0.0 };
                                            ky_at(b0, h0, l, m) * dij + dlm * kx_at(b0, h0, i, j)
                                        }
                                    } * v_at(b0, h0, m, j, c);
                                }
                            }
                            assert!((got[index] - want).abs() < 1e-12, "{merge:?}");
                            index += 1;
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn both_merges_have_the_same_parameters_and_the_implicit_layer_shares_them() {
    let size = |repeats| Size {
        width: 8,
        heads: 2,
        head_width: 4,
        repeats,
    };
    let parallel = Network::new(Merge::Parallel, size(1), 8, 0).unwrap();
    let chained = Network::new(Merge::Chained, size(1), 8, 0).unwrap();
    let deep = Network::new(Merge::Parallel, size(6), 8, 0).unwrap();
    // By hand: lift 13·8+8; layer: LN 16, value 8·8+8, input 8·8+8, two axes of four 8×8 dense
    // layers (288 each), out 8·8+8 twice; head: LN 16, 8·8+8, 8·1+1.
    let expected = (13 * 8 + 8) + 16 + 4 * 72 + 2 * 288 + 16 + 72 + 9;
    assert_eq!(parallel.parameters(), expected);
    assert_eq!(chained.parameters(), expected);
    assert_eq!(deep.parameters(), expected);
    // The same seed, the same weights: the two differ in the merge only.
    for (a, b) in parallel.vars().iter().zip(chained.vars()) {
        let difference = (a.as_tensor() - b.as_tensor()).unwrap().abs().unwrap();
        let max: f32 = difference.max_all().unwrap().to_scalar().unwrap();
        assert_eq!(max, 0.0);
    }
}

#[test]
fn bad_settings_are_refused_by_name() {
    for (settings, key) in [
        (
            Settings {
                coarse: 15,
                ..Settings::quick()
            },
            "coarse",
        ),
        (
            Settings {
                coarse: 128,
                ..Settings::quick()
            },
            "coarse",
        ),
        (
            Settings {
                viscosity: f64::NAN,
                ..Settings::quick()
            },
            "viscosity",
        ),
        (
            Settings {
                repeats: 0,
                ..Settings::quick()
            },
            "repeats",
        ),
        (
            Settings {
                blow_up: f64::INFINITY,
                ..Settings::quick()
            },
            "blow_up",
        ),
    ] {
        let error = run(&settings, &mut |_| {}).err().unwrap().to_string();
        assert!(error.contains(key), "{key}: {error}");
    }
}

#[test]
fn parallel_implicit_factorisation_rolls_out_more_stably_than_the_chained_one() {
    // The divergence part of the claim: IFactFormer-m's first blow-up comes later than
    // IFactFormer-o's (at the quick setting, seed 0: steps 129 against 101). The spectrum part
    // is not asserted: at this scale both late spectra are far off (see the README).
    let report = run(&Settings::quick(), &mut |_| {}).unwrap().report;
    let [parallel, chained] = [&report.rollouts[0], &report.rollouts[1]];
    let summary = format!("{parallel:?}\n{chained:?}").replace("errors: [", "errors: [..");
    assert_eq!(report.parameters_parallel, report.parameters_chained);
    let later = |d: Option<usize>| d.unwrap_or(usize::MAX);
    assert!(
        later(parallel.first_divergence) > later(chained.first_divergence),
        "{summary}"
    );
}
