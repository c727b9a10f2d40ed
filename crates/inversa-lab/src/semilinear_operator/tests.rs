//! The observer's pieces, the settings' checks, then the claim at the quick setting.

use super::operator::{PeriodicCnn, Sensors};
use super::{run, Settings};
use candle_core::{Device, Tensor};

#[test]
fn the_innovation_lives_on_the_sensors_and_no_innovation_means_no_correction() {
    let n = 16;
    let sensors = Sensors::new(n, vec![2, 7, 11]).unwrap();
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let x = Tensor::from_vec(x, (1, n), &Device::Cpu).unwrap();
    let y = Tensor::from_vec(vec![3.0, 7.0, 10.0], (1, 3), &Device::Cpu).unwrap();
    let innovation: Vec<f64> = sensors
        .innovation(&x, &y)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let mut expected = vec![0.0; n];
    expected[2] = 1.0;
    expected[11] = -1.0;
    assert_eq!(innovation, expected);
    // The gain network has no biases and tanh(0) = 0: K(0) = 0 exactly, and K(r) ≠ 0.
    let gain = PeriodicCnn::new(&[1, 4, 4, 1], 2, false, 1.0, 3).unwrap();
    let zero = Tensor::zeros((2, 1, n), candle_core::DType::F64, &Device::Cpu).unwrap();
    let out: Vec<f64> = gain
        .forward(&zero)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert!(out.iter().all(|v| *v == 0.0));
    let r = Tensor::from_vec(expected, (1, 1, n), &Device::Cpu).unwrap();
    let out: Vec<f64> = gain
        .forward(&r)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert!(out.iter().any(|v| v.abs() > 1e-3), "{out:?}");
}

#[test]
fn the_periodic_convolution_wraps_around() {
    // A delta at the last point, through a kernel whose taps are all 1, reaches the first point.
    let net = PeriodicCnn::new(&[1, 1], 1, false, 1.0, 0).unwrap();
    let ones = Tensor::ones((1, 1, 3), candle_core::DType::F64, &Device::Cpu).unwrap();
    net.vars("k")[0].1.set(&ones).unwrap();
    let mut delta = vec![0.0; 8];
    delta[7] = 1.0;
    let x = Tensor::from_vec(delta, (1, 1, 8), &Device::Cpu).unwrap();
    let out: Vec<f64> = net
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(out, vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn bad_settings_are_refused_by_name() {
    for (settings, key) in [
        (
            Settings {
                grid: 63,
                ..Settings::quick()
            },
            "grid",
        ),
        (
            Settings {
                sensors: 65,
                ..Settings::quick()
            },
            "sensors",
        ),
        (
            Settings {
                noise: f64::NAN,
                ..Settings::quick()
            },
            "noise",
        ),
        (
            Settings {
                window: 5000,
                ..Settings::quick()
            },
            "window",
        ),
    ] {
        let error = run(&settings, &mut |_| {}).err().unwrap().to_string();
        assert!(error.contains(key), "{key}: {error}");
    }
}

#[test]
fn the_quick_run_keeps_the_assimilated_error_bounded_while_prediction_drifts() {
    let report = run(&Settings::quick(), &mut |_| {}).unwrap().report;
    let [prediction, learned, _fixed] = [
        &report.estimators[0],
        &report.estimators[1],
        &report.estimators[2],
    ];
    let summary = format!("{prediction:?}\n{learned:?}").replace("errors: [", "errors: [..");
    // Prediction alone: accurate over a training window, decorrelated (≈ √2 for two independent
    // states of equal energy) long after.
    assert!(prediction.at_window < 0.1, "{summary}");
    assert!(
        report.prediction_grows && prediction.final_error > 1.0,
        "{summary}"
    );
    // The observer, started from the zero field: below prediction at the end, below a fixed bound
    // over the whole second half, and not growing from the third quarter to the fourth.
    assert!(report.assimilated_below_prediction, "{summary}");
    assert!(learned.second_half_max < 1.0, "{summary}");
    assert!(report.assimilated_not_growing, "{summary}");
}
