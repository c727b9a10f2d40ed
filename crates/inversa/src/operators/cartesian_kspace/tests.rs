use super::*;
use crate::io::twix::read_twix;
use num_complex::Complex;

/// A scan of known coil images `[coils, s, l]` (zero outside the central `h` rows): each line's
/// samples are the centred DFT of the images, computed here by direct summation.
fn synthetic_scan(
    images: &[C64],
    coils: usize,
    (s, l): (usize, usize),
    h: usize,
    skip: &[usize],
) -> TwixScan {
    let centred = |n: usize, size: usize| n as f64 - (size / 2) as f64;
    let readouts = (0..l)
        .filter(|line| !skip.contains(line))
        .map(|line| {
            let mut data = Vec::new();
            for c in 0..coils {
                for i in 0..s {
                    let (ky, kx) = (centred(i, s), centred(line, l));
                    let v: C64 = (0..s * l)
                        .map(|p| {
                            let (y, x) = (centred(p / l, s), centred(p % l, l));
                            let phase = -2.0
                                * std::f64::consts::PI
                                * (ky * y / s as f64 + kx * x / l as f64);
                            images[c * s * l + p] * C64::from_polar(1.0, phase)
                        })
                        .sum();
                    data.push(Complex::new(v.re as f32, v.im as f32));
                }
            }
            TwixReadout {
                flags: 0,
                line,
                counters: [0; 5],
                samples: s,
                data,
                centre_column: s / 2,
            }
        })
        .collect();
    TwixScan {
        base_resolution: h,
        phase_lines: l,
        readout_oversampling: s as f64 / h as f64,
        fov_mm: (200.0, 200.0),
        channels: coils,
        samples: s,
        readouts,
        noise: Vec::new(),
    }
}

#[test]
fn oversampling_is_cropped_and_the_centred_images_come_back() {
    let (coils, s, l, h) = (2, 16, 8, 8);
    let mut images = vec![C64::new(0.0, 0.0); coils * s * l];
    for (p, v) in images.iter_mut().enumerate() {
        let (y, x) = ((p / l) % s, p % l);
        if (s / 2 - h / 2..s / 2 + h / 2).contains(&y) {
            *v = C64::new((p % 7) as f64 + 1.0, (x as f64 - 3.0) * 0.5);
        }
    }
    let scan = synthetic_scan(&images, coils, (s, l), h, &[]);
    let got = CartesianKspace::from_twix(Path::new("synthetic.dat"), &scan).unwrap();
    assert_eq!(got.image_size, (h, l));
    assert!(got.acquired.iter().all(|&a| a));
    // Up to the 99th-percentile scale, the central h rows of the images.
    let expected: Vec<C64> = (0..coils)
        .flat_map(|c| (0..h * l).map(move |p| (c, p)))
        .map(|(c, p)| images[c * s * l + (s / 2 - h / 2 + p / l) * l + p % l])
        .collect();
    let ratio = expected[9] / got.coil_images[9];
    for (e, g) in expected.iter().zip(&got.coil_images) {
        assert!(
            (e - g * ratio).norm() < 1e-4 * e.norm().max(1.0),
            "{e} against {}",
            g * ratio
        );
    }
}

#[test]
fn skipped_lines_are_unacquired_columns_of_the_unshifted_model() {
    let (coils, s, l, h) = (1, 8, 8, 4);
    let images: Vec<C64> = (0..s * l)
        .map(|p| C64::new(((p * 5) % 11) as f64, 0.0))
        .collect();
    // Centred line 4 is frequency 0 (column 0), line 7 frequency 3, line 1 frequency −3 (column 5).
    let scan = synthetic_scan(&images, coils, (s, l), h, &[1, 7]);
    let got = CartesianKspace::from_twix(Path::new("synthetic.dat"), &scan).unwrap();
    let missing: Vec<usize> = (0..l).filter(|&j| !got.acquired[j]).collect();
    assert_eq!(missing, [3, 5]);
    // Their model k-space columns hold nothing.
    let kspace = got.kspace();
    for row in kspace.chunks(l) {
        assert!(row[3].norm() < 1e-12 && row[5].norm() < 1e-12);
    }
}

#[test]
fn the_siemens_gre_scan_is_a_fully_sampled_160_square_two_coil_image() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mri/gre.dat");
    let scan = CartesianKspace::from_twix(&path, &read_twix(&path).unwrap()).unwrap();
    assert_eq!((scan.coils, scan.image_size), (2, (160, 160)));
    assert!(scan.acquired.iter().all(|&a| a) && !scan.whitened);
    // The root-sum-of-squares image as numpy's FFT computes it (tools/twix_reference.py).
    let text = std::fs::read_to_string(path.with_file_name("gre_twix_reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rss = scan.rss();
    for (i, expected) in reference["rss_diagonal_every_10"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let (got, expected) = (rss[(10 * i) * 160 + 10 * i], expected.as_f64().unwrap());
        assert!(
            (got - expected).abs() < 1e-5 * expected.max(1.0),
            "pixel {}: {got} against {expected}",
            10 * i
        );
    }
}

#[test]
fn multi_slice_scans_are_refused_naming_the_counter() {
    let images = vec![C64::new(1.0, 0.0); 8 * 4];
    let mut scan = synthetic_scan(&images, 1, (8, 4), 4, &[]);
    scan.readouts[2].counters[1] = 1;
    let error = CartesianKspace::from_twix(Path::new("multi.dat"), &scan)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("multi.dat") && error.contains("slice 1"),
        "{error}"
    );
}
