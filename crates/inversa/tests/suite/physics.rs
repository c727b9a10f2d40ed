//! Properties of the physics operators beyond the registry's adjoint and norm checks: inpainting,
//! downsampling, compressed sensing (with the orthonormal DCT) and Cartesian MRI, each against a
//! closed form, a brute-force sum or numbers from a peer tool (`tools/downsample_reference.py`).

use inversa::config::Section;
use inversa::operators::compressed_sensing::CompressedSensing;
use inversa::operators::dct2::Dct2d;
use inversa::operators::downsample::Downsample;
use inversa::operators::inpaint::Inpaint;
use inversa::operators::kspace_mask::{LineMask, MaskKind};
use inversa::operators::mri::{synthetic_coil_maps, Mri};
use inversa::operators::physics::{BuildContext, MeasurementDisplay, Physics};
use inversa::operators::registry::find;
use inversa::operators::{random_vector, LinearOperator};
use inversa::real::{norm, Real};
use inversa::Error;
use num_complex::Complex64;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

/// Builds `kind` from a `[physics]` table given as TOML text, as the task runner does.
fn build_in(
    kind: &str,
    toml_text: &str,
    shape: &[usize],
    seed: u64,
    base_dir: &Path,
) -> Result<Physics<f64>, Error> {
    let table: toml::Table = toml_text.parse().expect("test TOML parses");
    let mut section = Section::new(&table, "physics", base_dir);
    let entry = find::<f64>(kind).expect("registered");
    let ctx = BuildContext {
        image_shape: shape.to_vec(),
        seed,
        raw: None,
    };
    let physics = (entry.build)(&mut section, &ctx)?;
    section.finish()?;
    Ok(physics)
}

fn build(kind: &str, toml_text: &str, shape: &[usize]) -> Result<Physics<f64>, Error> {
    build_in(kind, toml_text, shape, 1, Path::new("."))
}

/// The error of a build that must fail.
fn build_error(kind: &str, toml_text: &str, shape: &[usize]) -> Error {
    build(kind, toml_text, shape)
        .err()
        .unwrap_or_else(|| panic!("{kind} with `{toml_text}` should fail"))
}

/// Asserts a configuration error on `key` whose message mentions every word of `mentions`.
fn assert_config_error(error: Error, key: &str, mentions: &[&str]) {
    match &error {
        Error::Config { key: k, message } => {
            assert_eq!(k, key, "wrong key in: {error}");
            for word in mentions {
                assert!(message.contains(word), "`{error}` does not mention {word}");
            }
        }
        other => panic!("expected a config error on {key}, got {other}"),
    }
}

fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// A fresh folder for files a test writes.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-physics-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Orthonormal DCT

/// The orthonormal DCT-II of one `h × w` plane straight from its defining double sum.
fn dct_by_definition(x: &[f64], h: usize, w: usize) -> Vec<f64> {
    let basis = |k: usize, n: usize, len: usize| {
        let s = if k == 0 { 1.0 } else { 2.0 };
        (s / len as f64).sqrt() * (PI * k as f64 * (2 * n + 1) as f64 / (2 * len) as f64).cos()
    };
    let mut out = vec![0.0; h * w];
    for (p, o) in out.iter_mut().enumerate() {
        let (k, l) = (p / w, p % w);
        *o = (0..h * w)
            .map(|q| basis(k, q / w, h) * basis(l, q % w, w) * x[q])
            .sum();
    }
    out
}

#[test]
fn dct_matches_its_defining_sum() {
    let (h, w) = (5, 7);
    let dct = Dct2d::<f64>::new(&[2, h, w]).unwrap();
    let x = random_vector::<f64>(2 * h * w, 3);
    let fast = dct.apply_new(&x);
    for c in 0..2 {
        let plane = &x[c * h * w..(c + 1) * h * w];
        let reference = dct_by_definition(plane, h, w);
        let error = max_abs_difference(&fast[c * h * w..(c + 1) * h * w], &reference);
        assert!(
            error < 1e-12,
            "channel {c}: DCT differs from the sum by {error:e}"
        );
    }
}

fn dct_is_orthonormal<T: Real>(tolerance: f64) {
    for (h, w) in [(8, 8), (12, 10), (1, 9), (31, 6)] {
        let dct = Dct2d::<T>::new(&[2, h, w]).unwrap();
        let x = random_vector::<T>(2 * h * w, 11);
        let coefficients = dct.apply_new(&x);
        let ratio = norm(&coefficients) / norm(&x);
        assert!(
            (ratio - 1.0).abs() < tolerance,
            "{h}×{w}: ‖DCT x‖/‖x‖ = {ratio}"
        );
        let back = dct.adjoint_new(&coefficients);
        let difference: Vec<T> = back.iter().zip(&x).map(|(a, b)| *a - *b).collect();
        let error = norm(&difference) / norm(&x);
        assert!(
            error < tolerance,
            "{h}×{w}: DCT3(DCT2 x) off by {error:e} (relative)"
        );
    }
}

#[test]
fn dct_is_orthonormal_f64() {
    dct_is_orthonormal::<f64>(1e-13);
}

#[test]
fn dct_is_orthonormal_f32() {
    dct_is_orthonormal::<f32>(1e-5);
}

// ---------------------------------------------------------------------------------------------
// Inpainting

#[test]
fn inpaint_keeps_exactly_the_expected_fraction_in_every_channel() {
    let shape = [3, 20, 17];
    let plane = 20 * 17;
    for missing in [0.0, 0.1, 0.37, 0.5, 0.9] {
        let physics = build("inpaint", &format!("missing = {missing}"), &shape).unwrap();
        assert_eq!(physics.display, MeasurementDisplay::Image);
        let y = physics.operator.apply_new(&vec![1.0; 3 * plane]);
        let expected = (missing * plane as f64).round() as usize;
        let channels: Vec<&[f64]> = y.chunks(plane).collect();
        for channel in &channels {
            assert_eq!(channel.iter().filter(|v| **v == 0.0).count(), expected);
            assert!(channel.iter().all(|v| *v == 0.0 || *v == 1.0));
        }
        assert!(
            channels.windows(2).all(|pair| pair[0] == pair[1]),
            "channels differ"
        );
    }
}

#[test]
fn inpaint_api_checks_its_arguments() {
    assert!(Inpaint::<f64>::random(&[1, 4, 4], 1.2, 0).is_err());
    assert!(Inpaint::<f64>::new(&[2, 4, 4], &[true; 20]).is_err());
    // One plane is shared by every channel; a full mask is taken as it is.
    let shared = Inpaint::<f64>::new(&[2, 2, 2], &[true, false, false, true]).unwrap();
    assert_eq!(shared.mask(), &[1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
    let full = Inpaint::<f64>::new(&[2, 1, 2], &[true, false, false, true]).unwrap();
    assert_eq!(full.mask(), &[1.0, 0.0, 0.0, 1.0]);
}

#[test]
fn inpaint_box_erases_exactly_the_centred_rectangle_in_every_channel() {
    // 7×6 image, 3×2 box: margins (7−3)/2 = 2 rows on top, (6−2)/2 = 2 columns on the left.
    let physics = build("inpaint", "box = [3, 2]", &[2, 7, 6]).unwrap();
    let y = physics.operator.apply_new(&vec![1.0; 2 * 42]);
    for channel in y.chunks(42) {
        for (p, v) in channel.iter().enumerate() {
            let (row, column) = (p / 6, p % 6);
            let inside = (2..5).contains(&row) && (2..4).contains(&column);
            assert_eq!(
                *v,
                if inside { 0.0 } else { 1.0 },
                "pixel ({row}, {column})"
            );
        }
    }
    // Odd margins put the extra row and column after the box: 4×4 in 5×5 starts at (0, 0).
    let odd = Inpaint::<f64>::centred_box(&[1, 5, 5], 4, 4).unwrap();
    assert_eq!(odd.mask()[0], 0.0);
    assert_eq!(odd.mask()[24], 1.0);
}

#[test]
fn inpaint_box_refuses_boxes_that_do_not_fit_and_other_masks_beside_it() {
    let shape = [1, 6, 5];
    for (text, mentions) in [
        ("box = [7, 2]", &["[7, 2]", "6×5"][..]),
        ("box = [6, 5]", &["observed"][..]),
        ("box = [2]", &["[height, width]"][..]),
    ] {
        assert_config_error(
            build_error("inpaint", text, &shape),
            "physics.box",
            mentions,
        );
    }
    assert_config_error(
        build_error("inpaint", "box = [2, 2]\nmissing = 0.3", &shape),
        "physics.missing",
        &["box"],
    );
    assert!(Inpaint::<f64>::centred_box(&shape, 0, 2).is_err());
}

#[test]
fn inpaint_reads_grey_and_full_mask_files() {
    let dir = scratch_dir("masks");
    let (c, h, w) = (2, 6, 5);
    let plane: Vec<f32> = (0..h * w)
        .map(|p| ((p * 7) % 3 != 0) as u8 as f32)
        .collect();
    inversa::io::write_png_u8(&dir.join("grey.png"), &[1, h, w], &plane).unwrap();
    let full: Vec<f32> = (0..c * h * w).map(|p| (p % 4 != 1) as u8 as f32).collect();
    inversa::io::write_npy_f32(&dir.join("full.npy"), &[c, h, w], &full).unwrap();

    let x = random_vector::<f64>(c * h * w, 5);
    for (file, expected) in [("grey.png", plane.repeat(c)), ("full.npy", full)] {
        let physics = build_in(
            "inpaint",
            &format!("mask = \"{file}\""),
            &[c, h, w],
            1,
            &dir,
        )
        .unwrap();
        let y = physics.operator.apply_new(&x);
        let reference: Vec<f64> = x
            .iter()
            .zip(&expected)
            .map(|(v, m)| v * *m as f64)
            .collect();
        assert_eq!(y, reference, "{file}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn inpaint_rejects_bad_masks_and_keys() {
    let dir = scratch_dir("bad-masks");
    inversa::io::write_png_u8(&dir.join("small.png"), &[1, 4, 4], &[1.0; 16]).unwrap();
    inversa::io::write_npy_f32(&dir.join("range.npy"), &[6, 5], &[2.0; 30]).unwrap();
    inversa::io::write_npy_f32(&dir.join("empty.npy"), &[6, 5], &[0.2; 30]).unwrap();
    let shape = [1, 6, 5];
    let error = |text: &str| {
        build_in("inpaint", text, &shape, 1, &dir)
            .err()
            .expect("must fail")
    };
    let wrong_shape = error("mask = \"small.png\"").to_string();
    for part in ["small.png", "[1, 4, 4]", "[6, 5]"] {
        assert!(wrong_shape.contains(part), "`{wrong_shape}` lacks {part}");
    }
    let out_of_range = error("mask = \"range.npy\"").to_string();
    assert!(out_of_range.contains("range.npy") && out_of_range.contains("[0, 1]"));
    assert!(error("mask = \"empty.npy\"")
        .to_string()
        .contains("no pixel"));
    assert!(matches!(error("mask = \"absent.png\""), Error::Io { .. }));
    assert_config_error(
        error("mask = \"small.png\"\nmissing = 0.3"),
        "physics.missing",
        &[],
    );
    assert_config_error(error("missing = 1.0"), "physics.missing", &["1"]);
    assert_config_error(
        error("missing = 0.5\nratio = 3"),
        "physics.ratio",
        &["unknown"],
    );
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Downsampling

#[test]
fn downsampling_a_constant_image_gives_the_same_constant() {
    for factor in [2, 3, 4] {
        let shape = [2, 24, 36];
        let physics = build("downsample", &format!("factor = {factor}"), &shape).unwrap();
        assert_eq!(
            physics.operator.output_shape(),
            &[2, 24 / factor, 36 / factor]
        );
        let y = physics.operator.apply_new(&vec![0.7; 2 * 24 * 36]);
        assert!(y.iter().all(|v| (v - 0.7).abs() < 1e-12), "factor {factor}");
    }
}

#[test]
fn downsampling_without_a_filter_keeps_every_factor_th_pixel_from_zero() {
    let (h, w, f) = (9, 12, 3);
    let op = Downsample::<f64>::new(&[2, h, w], f, 0.0).unwrap();
    let x: Vec<f64> = (0..2 * h * w).map(|p| p as f64).collect();
    let y = op.apply_new(&x);
    for (k, v) in y.iter().enumerate() {
        let (c, i, j) = (k / 12, (k % 12) / 4, k % 4);
        assert_eq!(*v, x[c * h * w + f * i * w + f * j]);
    }
}

#[test]
fn downsampling_matches_scipy() {
    // From tools/downsample_reference.py (scipy.ndimage.gaussian_filter, mode="wrap").
    let factor2 = [
        0.45765023337966015,
        0.3843929174106037,
        0.10131815274611769,
        -0.17151768810056142,
        -0.34470735391412155,
        -0.368618717911313,
        -0.24887200352088087,
        -0.0443764786450611,
        0.17250105484281852,
        0.602294996643544,
        0.43284967080551773,
        -0.012195640990526852,
        -0.4347291655559634,
        -0.6927858496177881,
        -0.7070870752791869,
        -0.48661016377501276,
        -0.12545233888529939,
        0.24812074677401078,
        0.30542919339445956,
        0.30657780133385026,
        0.1487948294998564,
        -0.008242852312014735,
        -0.11578391066692062,
        -0.14712916608921495,
        -0.1053019698584553,
        -0.021992060425090935,
        0.07367413552142664,
        -0.31555553223380683,
        -0.0023984096009124515,
        0.36520832049835616,
        0.6937504111942332,
        0.8614955589494058,
        0.7989775514113917,
        0.5140625764603635,
        0.08920133647095907,
        -0.32341147822726335,
        -0.07195832019034623,
        0.1790566359704826,
        0.442022457944799,
        0.6738525115083366,
        0.7867694079756862,
        0.7304600205878957,
        0.5106216875835419,
        0.18697196803854454,
        -0.12440784369253208,
        0.7286621601497028,
        0.6613075898656176,
        0.38817243149380387,
        0.12452305118232852,
        -0.04345860142414145,
        -0.06795970839107361,
        0.04560552103912909,
        0.24048718950327774,
        0.44774882600260263,
    ];
    let factor3 = [
        0.4817012098825635,
        0.28919720501112967,
        -0.15678345327189286,
        -0.37346514350982474,
        -0.23087223233260667,
        0.12399976154976076,
        0.3873119626235968,
        0.21754815167821193,
        -0.19547439824417928,
        -0.3990356908499022,
        -0.2731770923884501,
        0.0479717184434441,
        -0.14910777398058495,
        0.20860919798293215,
        0.5600818347681598,
        0.6608608497965767,
        0.3985508863952697,
        -0.06254213657123978,
        0.30005929202701864,
        0.40540085205012466,
        0.3910975327753222,
        0.34626364019094646,
        0.2696745672497372,
        0.18284845871599426,
    ];
    let (h, w) = (12, 18);
    let image: Vec<f64> = (0..h * w)
        .map(|p| {
            let (i, j) = ((p / w) as f64, (p % w) as f64);
            (0.7 * i).sin() * (0.3 * j + 0.5).cos() + 0.05 * i - 0.02 * j * j / w as f64
        })
        .collect();
    for (factor, reference) in [(2, &factor2[..]), (3, &factor3[..])] {
        let physics = build("downsample", &format!("factor = {factor}"), &[1, h, w]).unwrap();
        let error = max_abs_difference(&physics.operator.apply_new(&image), reference);
        assert!(
            error < 1e-12,
            "factor {factor}: differs from scipy by {error:e}"
        );
    }
}

#[test]
fn downsampling_config_errors_name_the_key() {
    let shape = [1, 12, 10];
    assert_config_error(
        build_error("downsample", "factor = 3", &shape),
        "physics.factor",
        &["12×10", "3"],
    );
    assert_config_error(
        build_error("downsample", "factor = 1", &shape),
        "physics.factor",
        &[">= 2"],
    );
    assert_config_error(
        build_error("downsample", "factor = 2.5", &shape),
        "physics.factor",
        &[],
    );
    assert_config_error(
        build_error("downsample", "sigma = -1", &shape),
        "physics.sigma",
        &[],
    );
    // A filter wider than the image.
    assert_config_error(
        build_error("downsample", "factor = 2\nsigma = 4", &shape),
        "physics.sigma",
        &["larger"],
    );
}

// ---------------------------------------------------------------------------------------------
// Compressed sensing

/// `AᵀA` of a `64`-pixel operator, assembled column by column.
fn normal_matrix(op: &dyn LinearOperator<f64>) -> Vec<Vec<f64>> {
    let n = op.input_len();
    (0..n)
        .map(|j| {
            let mut e = vec![0.0; n];
            e[j] = 1.0;
            op.adjoint_new(&op.apply_new(&e))
        })
        .collect()
}

#[test]
fn gaussian_sensing_at_ratio_one_is_an_isometry_on_average() {
    let (n, draws) = (64, 200);
    let mut mean = vec![vec![0.0; n]; n];
    for seed in 0..draws {
        let physics = build_in(
            "cs",
            "matrix = \"gaussian\"\nratio = 1",
            &[1, 8, 8],
            seed,
            Path::new("."),
        )
        .unwrap();
        assert_eq!(physics.operator.output_shape(), &[1, 64]);
        for (column, sum) in normal_matrix(physics.operator.as_ref())
            .iter()
            .zip(&mut mean)
        {
            sum.iter_mut()
                .zip(column)
                .for_each(|(s, v)| *s += v / draws as f64);
        }
    }
    // Entries of the mean have standard deviation ≈ √(1/(64·200)) ≈ 0.009 (0.0125 on the diagonal).
    let mut diagonal = 0.0;
    for (j, column) in mean.iter().enumerate() {
        for (i, v) in column.iter().enumerate() {
            let target = if i == j { 1.0 } else { 0.0 };
            assert!((v - target).abs() < 0.06, "E[AᵀA][{i},{j}] ≈ {v}");
        }
        diagonal += column[j] / n as f64;
    }
    assert!((diagonal - 1.0).abs() < 0.01, "mean diagonal {diagonal}");
}

#[test]
fn gaussian_sensing_has_variance_one_over_m_and_an_exact_adjoint() {
    let op = CompressedSensing::<f64>::gaussian(&[2, 20, 20], 100, 4).unwrap();
    let n = 400;
    let entries: Vec<f64> = (0..n)
        .flat_map(|j| {
            let mut e = vec![0.0; 2 * n];
            e[j] = 1.0;
            op.apply_new(&e)[..100].to_vec()
        })
        .collect();
    let mean = entries.iter().sum::<f64>() / entries.len() as f64;
    let variance = entries.iter().map(|v| v * v).sum::<f64>() / entries.len() as f64;
    assert!(mean.abs() < 0.003, "mean {mean}");
    assert!(
        (variance * 100.0 - 1.0).abs() < 0.05,
        "variance {variance} vs 1/100"
    );
    // Not a registry example, so its adjoint is checked here (f64 and f32).
    assert!(op.adjoint_mismatch(1) < f64::ADJOINT_TOLERANCE);
    let op32 = CompressedSensing::<f32>::gaussian(&[2, 20, 20], 100, 4).unwrap();
    assert!(op32.adjoint_mismatch(2) < f32::ADJOINT_TOLERANCE);
}

#[test]
fn structured_dct_sensing_has_orthonormal_rows_and_keeps_the_dc_coefficient() {
    let (h, w) = (12, 10);
    for seed in 0..5 {
        let physics = build_in("cs", "ratio = 0.3", &[2, h, w], seed, Path::new(".")).unwrap();
        let op = physics.operator;
        assert_eq!(physics.display, MeasurementDisplay::None);
        assert_eq!(op.output_shape(), &[2, 36]);
        let y = random_vector::<f64>(72, seed);
        let error = max_abs_difference(&op.apply_new(&op.adjoint_new(&y)), &y);
        assert!(error < 1e-12, "Φ Φᵀ ≠ I by {error:e}");
        // Measurements follow the coefficient index, so the first is DC: its row is D·1/√n.
        let mut e = vec![0.0; 72];
        e[0] = 1.0;
        let row = op.adjoint_new(&e);
        let level = 1.0 / ((h * w) as f64).sqrt();
        assert!(row[..h * w].iter().all(|v| (v.abs() - level).abs() < 1e-12));
        assert!(row[h * w..].iter().all(|v| *v == 0.0));
    }
}

#[test]
fn compressed_sensing_config_errors_name_the_key() {
    let shape = [1, 16, 16];
    assert_config_error(
        build_error("cs", "ratio = 0", &shape),
        "physics.ratio",
        &["(0, 1]"],
    );
    assert_config_error(
        build_error("cs", "ratio = 1.5", &shape),
        "physics.ratio",
        &["1.5"],
    );
    assert_config_error(
        build_error("cs", "ratio = 0.001", &shape),
        "physics.ratio",
        &["0 measurements"],
    );
    assert_config_error(
        build_error("cs", "matrix = \"bernoulli\"", &shape),
        "physics.matrix",
        &["dct"],
    );
    assert_config_error(
        build_error("cs", "matrix = \"gaussian\"", &[1, 256, 256]),
        "physics.matrix",
        &["\"dct\""],
    );
}

// ---------------------------------------------------------------------------------------------
// MRI

fn mri(shape: &[usize], coils: usize, kind: MaskKind, acceleration: f64, seed: u64) -> Mri<f64> {
    let mask = LineMask {
        kind,
        acceleration,
        center_fraction: 0.08,
    };
    Mri::synthetic(shape, coils, &mask, seed).unwrap()
}

#[test]
fn fully_sampled_mri_is_inverted_exactly_by_zero_filling() {
    let shape = [2, 16, 12];
    for coils in [1, 8] {
        for kind in [
            MaskKind::Random,
            MaskKind::Equispaced,
            MaskKind::VariableDensity,
        ] {
            let op = mri(&shape, coils, kind, 1.0, 3);
            assert!(op.sampled_columns().iter().all(|&s| s));
            let x = random_vector::<f64>(2 * 16 * 12, 8);
            let y = op.apply_new(&x);
            // Parseval with Σ|S_c|² = 1: the unitary FFT keeps the norm.
            assert!(
                (norm(&y) / norm(&x) - 1.0).abs() < 1e-13,
                "{coils} coils: norm changed"
            );
            let error = max_abs_difference(&op.zero_filled(&y), &x);
            assert!(
                error < 1e-13,
                "{coils} coils, {kind:?}: A*A x ≠ x by {error:e}"
            );
        }
    }
}

#[test]
fn single_coil_mri_is_the_unitary_dft_of_the_kept_columns() {
    let (h, w) = (6, 10);
    let op = mri(&[1, h, w], 1, MaskKind::Random, 2.0, 5);
    let x = random_vector::<f64>(h * w, 2);
    let y = op.apply_new(&x);
    for k in 0..h {
        for l in 0..w {
            let mut sum = Complex64::new(0.0, 0.0);
            for (p, value) in x.iter().enumerate() {
                let angle =
                    -2.0 * PI * ((k * (p / w)) as f64 / h as f64 + (l * (p % w)) as f64 / w as f64);
                sum += Complex64::from_polar(*value, angle);
            }
            let expected = if op.sampled_columns()[l] {
                sum / ((h * w) as f64).sqrt()
            } else {
                0.0.into()
            };
            let got = Complex64::new(y[2 * (k * w + l)], y[2 * (k * w + l) + 1]);
            assert!(
                (got - expected).norm() < 1e-12,
                "k-space ({k}, {l}): {got} vs {expected}"
            );
        }
    }
}

/// numpy's `fftfreq` index → signed frequency, written independently of the library.
fn frequency(k: usize, n: usize) -> i64 {
    if 2 * k < n {
        k as i64
    } else {
        k as i64 - n as i64
    }
}

#[test]
fn masks_keep_the_requested_fraction_and_the_centre_lines() {
    for n in [64, 100, 127, 256, 320] {
        for acceleration in [2.0, 4.0, 6.0, 8.0] {
            for kind in [
                MaskKind::Random,
                MaskKind::Equispaced,
                MaskKind::VariableDensity,
            ] {
                let mask = LineMask {
                    kind,
                    acceleration,
                    center_fraction: 0.08,
                };
                let lines = mask.sample(n, 42).unwrap();
                let kept = lines.iter().filter(|&&s| s).count() as f64;
                let target = n as f64 / acceleration;
                assert!(
                    (kept - target).abs() <= 2.0,
                    "{kind:?} n={n} R={acceleration}: {kept} lines"
                );
                let centre = (0.08 * n as f64).round() as i64;
                for (k, &s) in lines.iter().enumerate() {
                    let f = frequency(k, n);
                    if f >= -(centre / 2) && f < centre - centre / 2 {
                        assert!(s, "{kind:?} n={n}: centre line {k} (frequency {f}) dropped");
                    }
                }
            }
        }
    }
}

#[test]
fn equispaced_lines_are_evenly_spaced_outside_the_centre() {
    let n = 200;
    let mask = LineMask {
        kind: MaskKind::Equispaced,
        acceleration: 5.0,
        center_fraction: 0.04,
    };
    let lines = mask.sample(n, 9).unwrap();
    // The 8 centre lines are the frequencies -4..=3.
    let mut outside: Vec<i64> = (0..n)
        .map(|k| frequency(k, n))
        .filter(|f| !(-4..=3).contains(f))
        .collect();
    outside.sort_unstable();
    let picked: Vec<usize> = outside
        .iter()
        .enumerate()
        .filter(|(_, &f)| lines[f.rem_euclid(n as i64) as usize])
        .map(|(position, _)| position)
        .collect();
    let gaps: Vec<usize> = picked.windows(2).map(|p| p[1] - p[0]).collect();
    let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
    assert!(hi - lo <= 1, "gaps from {lo} to {hi}");
}

#[test]
fn variable_density_samples_low_frequencies_more_often() {
    let n = 128;
    let mask = LineMask {
        kind: MaskKind::VariableDensity,
        acceleration: 4.0,
        center_fraction: 0.08,
    };
    let (mut inner, mut outer) = (0usize, 0usize);
    for seed in 0..200 {
        let lines = mask.sample(n, seed).unwrap();
        for (k, &s) in lines.iter().enumerate() {
            let f = frequency(k, n).abs();
            if s && (6..32).contains(&f) {
                inner += 1;
            } else if s && f >= 32 {
                outer += 1;
            }
        }
    }
    // The inner band has 52 lines and the outer 65: uniform sampling would favour the outer one.
    assert!(
        inner as f64 > 1.5 * outer as f64,
        "inner {inner}, outer {outer}"
    );
}

#[test]
fn coil_sensitivities_are_normalised_at_every_pixel() {
    for coils in [2, 5, 8] {
        let (h, w) = (16, 12);
        let maps = synthetic_coil_maps::<f64>(coils, h, w);
        for p in 0..h * w {
            let total: f64 = (0..coils).map(|c| maps[c * h * w + p].norm_sqr()).sum();
            assert!((total - 1.0).abs() < 1e-13, "pixel {p}: Σ|S|² = {total}");
        }
        // The maps are not flat: each coil sees the image unevenly.
        let first: Vec<f64> = maps[..h * w].iter().map(|s| s.norm()).collect();
        let spread =
            first.iter().cloned().fold(0.0, f64::max) - first.iter().cloned().fold(1.0, f64::min);
        assert!(spread > 0.1, "{coils} coils: flat magnitude");
    }
}

#[test]
fn single_coil_mri_has_a_closed_form_normal_solve() {
    let op = mri(&[2, 10, 14], 1, MaskKind::Random, 3.0, 7);
    let rhs = random_vector::<f64>(2 * 10 * 14, 1);
    let mut solution = vec![0.0; rhs.len()];
    assert!(op.solve_regularized_normal(&rhs, 0.2, &mut solution));
    let mut back = op.adjoint_new(&op.apply_new(&solution));
    back.iter_mut()
        .zip(&solution)
        .for_each(|(b, s)| *b += 0.2 * s);
    assert!(max_abs_difference(&back, &rhs) < 1e-12);
    assert!(
        !mri(&[1, 10, 14], 4, MaskKind::Random, 3.0, 7).solve_regularized_normal(
            &rhs[..140],
            0.2,
            &mut solution[..140]
        )
    );
}

#[test]
fn mri_from_config_builds_the_requested_model() {
    let physics = build(
        "mri",
        "acceleration = 4\ncoils = 4\nmask = \"equispaced\"",
        &[1, 32, 40],
    )
    .unwrap();
    assert_eq!(physics.display, MeasurementDisplay::LogMagnitude);
    assert_eq!(physics.operator.output_shape(), &[1, 4, 32, 40, 2]);
    let x = random_vector::<f64>(32 * 40, 1);
    let y = physics.operator.apply_new(&x);
    // 10 of the 40 columns are acquired in every coil and row; the rest are zero.
    let nonzero_columns = (0..40)
        .filter(|l| (0..32).any(|k| y[2 * (k * 40 + l)] != 0.0))
        .count();
    assert_eq!(nonzero_columns, 10);
}

#[test]
fn mri_config_errors_name_the_key() {
    let shape = [1, 32, 32];
    assert_config_error(
        build_error("mri", "mask = \"radial\"", &shape),
        "physics.mask",
        &["variable_density"],
    );
    assert_config_error(
        build_error("mri", "acceleration = 0.5", &shape),
        "physics.acceleration",
        &[">= 1"],
    );
    assert_config_error(
        build_error("mri", "center_fraction = 0", &shape),
        "physics.center_fraction",
        &[],
    );
    assert_config_error(
        build_error("mri", "acceleration = 16\ncenter_fraction = 0.5", &shape),
        "physics.center_fraction",
        &["16 centre lines", "2 of 32"],
    );
    assert_config_error(
        build_error("mri", "coils = 0", &shape),
        "physics.coils",
        &[],
    );
}

#[test]
fn mri_reads_measured_coil_maps_and_mask_files() {
    let dir = scratch_dir("mri-files");
    let synthetic = mri(&[1, 8, 10], 3, MaskKind::Random, 2.0, 4);
    let maps: Vec<f32> = synthetic
        .coil_maps()
        .iter()
        .flat_map(|s| [s.re as f32, s.im as f32])
        .collect();
    let columns: Vec<f32> = synthetic
        .sampled_columns()
        .iter()
        .map(|&s| f32::from(u8::from(s)))
        .collect();
    inversa::io::write_npy_f32(&dir.join("maps.npy"), &[3, 8, 10, 2], &maps).unwrap();
    inversa::io::write_npy_f32(&dir.join("mask.npy"), &[10], &columns).unwrap();
    let from_files = build_in(
        "mri",
        "coil_maps = \"maps.npy\"\nmask_file = \"mask.npy\"",
        &[1, 8, 10],
        99,
        &dir,
    )
    .unwrap();
    let x = random_vector::<f64>(80, 6);
    let error = max_abs_difference(&from_files.operator.apply_new(&x), &synthetic.apply_new(&x));
    // The maps went through f32 on disk.
    assert!(error < 1e-6, "file-built MRI differs by {error:e}");

    inversa::io::write_npy_f32(&dir.join("bad_maps.npy"), &[3, 10, 8, 2], &maps).unwrap();
    inversa::io::write_npy_f32(&dir.join("bad_mask.npy"), &[10], &[2.0; 10]).unwrap();
    for (toml, file, words) in [
        (
            "coil_maps = \"bad_maps.npy\"",
            "bad_maps.npy",
            "[coils, 8, 10]",
        ),
        (
            "mask_file = \"bad_mask.npy\"",
            "bad_mask.npy",
            "zeros and ones",
        ),
    ] {
        match build_in("mri", toml, &[1, 8, 10], 1, &dir) {
            Err(Error::Format { path, message }) => {
                assert!(path.ends_with(file), "{path:?}");
                assert!(message.contains(words), "{message}");
            }
            Err(other) => panic!("{toml}: expected a format error, got {other}"),
            Ok(_) => panic!("{toml} should fail"),
        }
    }
}
