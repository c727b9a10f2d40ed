//! Charts: tick choice (round numbers, powers of ten, labels that read back as the tick values) and
//! pixel-level properties of rendered panels.

use inversa::report::canvas::RgbImage;
use inversa::report::plot::{render_panels, series_colour, write_png, Panel, Series};
use inversa::report::ticks::{linear, logarithmic, Ticks};
use rand::{Rng, SeedableRng};

/// Checks that the labels are distinct and parse back to the tick values.
fn assert_labels_read_back(t: &Ticks) {
    assert_eq!(t.labels.len(), t.values.len());
    for (label, &value) in t.labels.iter().zip(&t.values) {
        let parsed: f64 = label.parse().unwrap_or_else(|_| panic!("label {label:?}"));
        assert!(
            (parsed - value).abs() <= 1e-9 * value.abs().max(1e-300),
            "label {label:?} for {value}"
        );
    }
    let mut sorted = t.labels.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), t.labels.len(), "{:?}", t.labels);
}

#[test]
fn linear_ticks_are_four_to_six_round_numbers_enclosing_the_data() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5000 {
        let scale = 10f64.powf(rng.gen_range(-9.0..9.0));
        let a = rng.gen_range(-3.0..3.0) * scale;
        let b = a + rng.gen_range(0.01..5.0) * scale;
        let t = linear(a, b);
        let n = t.values.len();
        assert!((4..=6).contains(&n), "{a}..{b}: {:?}", t.values);
        assert!(t.lo <= a && t.hi >= b, "{a}..{b}: {:?}", t.values);
        assert_eq!((t.lo, t.hi), (t.values[0], t.values[n - 1]));
        // A constant step m·10^k with m ∈ {1, 2, 2.5, 5}, every tick a whole multiple of it.
        let step = t.values[1] - t.values[0];
        let exponent = step.log10().floor();
        let mantissa = step / 10f64.powf(exponent);
        assert!(
            [1.0, 2.0, 2.5, 5.0, 10.0]
                .iter()
                .any(|m| (mantissa - m).abs() < 1e-6),
            "step {step}"
        );
        for (k, v) in t.values.iter().enumerate() {
            assert!((v - t.values[0] - k as f64 * step).abs() < 1e-6 * step);
            assert!((v / step - (v / step).round()).abs() < 1e-6, "{v} / {step}");
        }
        assert_labels_read_back(&t);
    }
}

#[test]
fn linear_labels_are_plain_for_ordinary_ranges_and_scientific_otherwise() {
    assert_eq!(linear(0.0, 200.0).labels, ["0", "50", "100", "150", "200"]);
    assert_eq!(linear(17.9, 32.1).labels, ["15", "20", "25", "30", "35"]);
    // Steps of 0.2 would need 7 ticks (-0.4 … 0.8); 0.5 covers the data best with 4.
    assert_eq!(linear(-0.3, 0.7).labels, ["-0.5", "0", "0.5", "1"]);
    let tiny = linear(0.0, 4e-7);
    assert!(
        tiny.labels[1..].iter().all(|l| l.contains("e-")),
        "{:?}",
        tiny.labels
    );
    let huge = linear(0.0, 3e7);
    assert!(
        huge.labels[1..].iter().all(|l| l.contains('e')),
        "{:?}",
        huge.labels
    );
    assert_eq!(tiny.labels[0], "0");
}

#[test]
fn degenerate_linear_ranges_put_the_value_strictly_inside() {
    for v in [0.0, 5.0, -3e-9, 1e12] {
        let t = linear(v, v);
        assert!(t.lo < v && v < t.hi, "{v}: {:?}", t.values);
        assert_labels_read_back(&t);
    }
    // A span that overflows f64 still gives ticks, without a panic.
    let t = linear(-1e308, 1e308);
    assert!(t.values.len() >= 2 && t.lo <= -1e308 && t.hi >= 1e308);
}

#[test]
fn log_ticks_are_powers_of_ten_enclosing_the_data() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..2000 {
        let a = 10f64.powf(rng.gen_range(-30.0..30.0));
        let b = a * 10f64.powf(rng.gen_range(0.0..40.0));
        let t = logarithmic(a, b);
        assert!(
            (2..=6).contains(&t.values.len()),
            "{a}..{b}: {:?}",
            t.labels
        );
        assert!(t.lo <= a * (1.0 + 1e-12) && t.hi >= b * (1.0 - 1e-12));
        let exponents: Vec<f64> = t.values.iter().map(|v| v.log10()).collect();
        for e in &exponents {
            assert!((e - e.round()).abs() < 1e-9, "{:?}", t.values);
        }
        let stride = exponents[1] - exponents[0];
        assert!(exponents
            .windows(2)
            .all(|w| (w[1] - w[0] - stride).abs() < 1e-9));
        assert_labels_read_back(&t);
    }
    let t = logarithmic(2e-5, 3e-4);
    assert_eq!(t.labels, ["1e-5", "1e-4", "1e-3"]);
    assert_eq!(logarithmic(0.5, 20.0).labels, ["0.1", "1", "10", "100"]);
}

fn panel(log_y: bool, series: Vec<Series>) -> Panel {
    Panel {
        title: "title".into(),
        x_label: "iteration".into(),
        y_label: "value".into(),
        log_y,
        series,
    }
}

/// `(x, y)` of every pixel of `colour`.
fn pixels_of(image: &RgbImage, colour: [u8; 3]) -> Vec<(usize, usize)> {
    (0..image.height)
        .flat_map(|y| (0..image.width).map(move |x| (x, y)))
        .filter(|&(x, y)| image.get(x, y) == Some(colour))
        .collect()
}

#[test]
fn every_series_gets_its_own_colour() {
    let series = (0..3)
        .map(|k| Series::indexed("", &[k as f64, 2.0 + k as f64, 1.0]))
        .collect();
    let image = render_panels(&[panel(false, series)], 500, 300);
    for k in 0..3 {
        assert!(pixels_of(&image, series_colour(k)).len() > 50, "series {k}");
    }
    assert!(pixels_of(&image, series_colour(3)).is_empty());
}

#[test]
fn a_constant_series_draws_one_horizontal_line() {
    let image = render_panels(
        &[panel(false, vec![Series::indexed("", &[4.0; 30])])],
        600,
        400,
    );
    let pixels = pixels_of(&image, series_colour(0));
    let rows: std::collections::BTreeSet<usize> = pixels.iter().map(|p| p.1).collect();
    assert!(rows.len() <= 3, "rows {rows:?}");
    let (left, right) = (
        pixels.iter().map(|p| p.0).min().unwrap(),
        pixels.iter().map(|p| p.0).max().unwrap(),
    );
    assert!(right - left > 400, "{left}..{right}");
    // The line sits mid-plot, not on the frame.
    let row = *rows.iter().next().unwrap();
    assert!(row > 100 && row < 300, "row {row}");
}

/// Mean row of the series' pixels in each column that has some.
fn column_means(image: &RgbImage, colour: [u8; 3]) -> Vec<(f64, f64)> {
    let mut columns = std::collections::BTreeMap::<usize, Vec<usize>>::new();
    for (x, y) in pixels_of(image, colour) {
        columns.entry(x).or_default().push(y);
    }
    columns
        .into_iter()
        .map(|(x, ys)| (x as f64, ys.iter().sum::<usize>() as f64 / ys.len() as f64))
        .collect()
}

#[test]
fn a_geometric_sequence_is_a_straight_line_on_a_log_axis() {
    let values: Vec<f64> = (0..50).map(|k| 1e3 * 0.7f64.powi(k)).collect();
    let image = render_panels(&[panel(true, vec![Series::indexed("", &values)])], 600, 400);
    let points = column_means(&image, series_colour(0));
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert!(
        slope > 0.1,
        "falling values go down the image: slope {slope}"
    );
    let worst = points
        .iter()
        .map(|p| (p.1 - my - slope * (p.0 - mx)).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 2.5,
        "largest distance from a straight line: {worst} px"
    );
    // On a linear axis the same values bend: far from a straight line.
    let linear_image = render_panels(
        &[panel(false, vec![Series::indexed("", &values)])],
        600,
        400,
    );
    let bent = column_means(&linear_image, series_colour(0));
    let (first, last) = (bent[0], bent[bent.len() - 1]);
    let middle = bent[bent.len() / 4];
    let chord = first.1 + (last.1 - first.1) * (middle.0 - first.0) / (last.0 - first.0);
    assert!((middle.1 - chord).abs() > 20.0);
}

#[test]
fn a_nan_breaks_the_line() {
    let mut values = vec![1.0; 41];
    values[20] = f64::NAN;
    let image = render_panels(
        &[panel(false, vec![Series::indexed("", &values)])],
        600,
        400,
    );
    let xs: Vec<usize> = pixels_of(&image, series_colour(0))
        .iter()
        .map(|p| p.0)
        .collect();
    let (left, right) = (*xs.iter().min().unwrap(), *xs.iter().max().unwrap());
    let middle = (left + right) / 2;
    // Points 19 and 21 are 2/40 of the width apart; nothing is drawn between them.
    let gap = (right - left) / 40;
    assert!(xs
        .iter()
        .all(|&x| x + gap / 2 < middle || x > middle + gap / 2));
}

#[test]
fn awkward_input_renders_without_panicking() {
    let awkward = vec![
        Series {
            label: "empty".into(),
            values: vec![],
        },
        Series {
            label: "one point".into(),
            values: vec![(3.0, 2.0)],
        },
        Series {
            label: "non-finite".into(),
            values: vec![
                (f64::NAN, 1.0),
                (1.0, f64::INFINITY),
                (f64::NEG_INFINITY, 2.0),
            ],
        },
        Series {
            label: "non-positive".into(),
            values: vec![(0.0, -1.0), (1.0, 0.0), (2.0, 1e-300), (3.0, 1e300)],
        },
    ];
    for log_y in [false, true] {
        for (w, h) in [(0, 0), (1, 1), (10, 10), (80, 60), (900, 300)] {
            let image = render_panels(&[panel(log_y, awkward.clone()), panel(log_y, vec![])], w, h);
            assert_eq!(image.pixels.len(), 3 * w * h);
        }
    }
    // The lone point still shows, as a marker.
    let lone = Series {
        label: String::new(),
        values: vec![(3.0, 2.0)],
    };
    let image = render_panels(&[panel(false, vec![lone])], 600, 400);
    assert!(pixels_of(&image, series_colour(0)).len() > 10);
    assert!(render_panels(&[], 50, 50).pixels.iter().all(|&v| v == 255));
}

#[test]
fn a_legend_writes_its_labels_and_avoids_the_curve() {
    let rising: Vec<f64> = (0..30).map(|k| k as f64).collect();
    let unlabelled = render_panels(
        &[panel(false, vec![Series::indexed("", &rising)])],
        600,
        400,
    );
    let labelled = render_panels(
        &[panel(false, vec![Series::indexed("PSNR", &rising)])],
        600,
        400,
    );
    let changed: Vec<(usize, usize)> = (0..400)
        .flat_map(|y| (0..600).map(move |x| (x, y)))
        .filter(|&(x, y)| unlabelled.get(x, y) != labelled.get(x, y))
        .collect();
    assert!(changed.len() > 100);
    // A rising line fills the top-right and bottom-left corners, so the legend goes top-left.
    assert!(changed.iter().all(|&(x, y)| x < 300 && y < 200));
    // The curve is not covered: it keeps (nearly) all its pixels.
    let before = pixels_of(&unlabelled, series_colour(0)).len();
    let after = pixels_of(&labelled, series_colour(0)).len();
    assert!(after + 5 >= before, "{after} of {before} curve pixels left");
}

#[test]
fn png_round_trips_through_the_reader() {
    let image = render_panels(
        &[panel(true, vec![Series::indexed("a", &[5.0, 1.0, 0.2])])],
        320,
        200,
    );
    let dir = std::env::temp_dir().join(format!("inversa-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("convergence.png");
    write_png(&path, &image).unwrap();
    let back = inversa::io::read_png(&path).unwrap();
    assert_eq!(back.shape, vec![3, 200, 320]);
    for (p, pixel) in image.pixels.chunks(3).enumerate() {
        for (c, &value) in pixel.iter().enumerate() {
            assert_eq!(back.data[c * 200 * 320 + p], value as f64 / 255.0);
        }
    }
    assert!(write_png(&dir.join("empty.png"), &RgbImage::new(0, 5, [0; 3])).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
