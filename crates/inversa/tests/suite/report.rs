//! Charts: tick labels (round numbers, powers of ten, labels that read back as the tick values)
//! and pixel-level properties of rendered panels.

use inversa::report::axis::Axis;
use inversa::report::plot::{render_panels, series_colour, write_png, Panel, RgbImage, Series};
use rand::{Rng, SeedableRng};

/// Checks that the labels are distinct and parse back to the tick values, up to a millionth of
/// the step or a billionth of the value: plotters' ticks carry rounding noise (`-2e-22` for 0,
/// `1.0000000000000001e210`).
fn assert_labels_read_back(ticks: &[(f64, String)]) {
    let step = ticks
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).abs())
        .fold(f64::INFINITY, f64::min);
    for (value, label) in ticks {
        let parsed: f64 = label.parse().unwrap_or_else(|_| panic!("label {label:?}"));
        assert!(
            (parsed - value).abs() <= (1e-6 * step).max(1e-9 * value.abs()),
            "label {label:?} for {value}"
        );
    }
    let mut labels: Vec<&String> = ticks.iter().map(|(_, l)| l).collect();
    labels.dedup();
    assert_eq!(labels.len(), ticks.len(), "{ticks:?}");
}

#[test]
fn linear_ticks_are_round_numbers_inside_the_range() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5000 {
        let scale = 10f64.powf(rng.gen_range(-9.0..9.0));
        let a = rng.gen_range(-3.0..3.0) * scale;
        let b = a + rng.gen_range(0.01..5.0) * scale;
        let axis = Axis::linear(a, b);
        let ticks = axis.ticks();
        let values: Vec<f64> = ticks.iter().map(|t| t.0).collect();
        assert!(axis.range.start < a && axis.range.end > b);
        // plotters takes the coarsest step that fits: two ticks (0, 500) on -350..900.
        assert!((2..=6).contains(&values.len()), "{a}..{b}: {values:?}");
        assert!(
            values.iter().all(|v| axis.range.contains(v)),
            "{a}..{b}: {values:?}"
        );
        // A constant step m·10^k with m ∈ {1, 2, 5}, every tick a whole multiple of it.
        let step = values[1] - values[0];
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0, 10.0]
                .iter()
                .any(|m| (mantissa - m).abs() < 1e-6),
            "step {step}"
        );
        for (k, v) in values.iter().enumerate() {
            assert!((v - values[0] - k as f64 * step).abs() < 1e-6 * step);
            assert!((v / step - (v / step).round()).abs() < 1e-6, "{v} / {step}");
        }
        assert_labels_read_back(&ticks);
    }
}

#[test]
fn linear_labels_are_plain_for_ordinary_ranges_and_scientific_otherwise() {
    let labels = |a: f64, b: f64| -> Vec<String> {
        Axis::linear(a, b)
            .ticks()
            .into_iter()
            .map(|t| t.1)
            .collect()
    };
    assert_eq!(labels(0.0, 200.0), ["0", "50", "100", "150", "200"]);
    assert_eq!(labels(-0.3, 0.7), ["-0.2", "0", "0.2", "0.4", "0.6"]);
    let tiny = labels(0.0, 4e-7);
    assert!(tiny[1..].iter().all(|l| l.contains("e-")), "{tiny:?}");
    assert_eq!(tiny[0], "0");
    let huge = labels(0.0, 3e7);
    assert!(huge[1..].iter().all(|l| l.contains('e')), "{huge:?}");
}

#[test]
fn degenerate_linear_ranges_put_the_value_strictly_inside() {
    for v in [0.0, 5.0, -3e-9, 1e12] {
        let axis = Axis::linear(v, v);
        assert!(axis.range.start < v && v < axis.range.end, "{v}: {axis:?}");
        assert_labels_read_back(&axis.ticks());
    }
    // A span that overflows f64 still gives ticks, without a panic.
    assert!(Axis::linear(-1e308, 1e308).ticks().len() >= 2);
}

#[test]
fn log_ticks_are_powers_of_ten_enclosing_the_data() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..2000 {
        let a = 10f64.powf(rng.gen_range(-300.0..300.0));
        let b = (a * 10f64.powf(rng.gen_range(0.0..40.0))).min(1e307);
        let axis = Axis::log(a, b);
        assert!(10f64.powf(axis.range.start) <= a * (1.0 + 1e-12));
        assert!(10f64.powf(axis.range.end) >= b * (1.0 - 1e-12));
        let ticks = axis.ticks();
        assert!((2..=6).contains(&ticks.len()), "{a}..{b}: {ticks:?}");
        let exponents: Vec<f64> = ticks.iter().map(|t| axis.coordinate(t.0)).collect();
        for e in &exponents {
            assert!((e - e.round()).abs() < 1e-9, "{ticks:?}");
        }
        let stride = exponents[1] - exponents[0];
        assert!(stride >= 1.0 - 1e-9);
        assert!(exponents
            .windows(2)
            .all(|w| (w[1] - w[0] - stride).abs() < 1e-9));
        assert_labels_read_back(&ticks);
    }
    let labels = |a: f64, b: f64| -> Vec<String> {
        Axis::log(a, b).ticks().into_iter().map(|t| t.1).collect()
    };
    assert_eq!(labels(2e-5, 3e-4), ["1e-5", "1e-4", "1e-3"]);
    assert_eq!(labels(0.5, 20.0), ["0.1", "1", "10", "100"]);
    assert_eq!(Axis::log(1.0, 1e4).minor().len(), 32);
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

/// `(x, y)` of every pixel of `colour`, give or take the blending of anti-aliased line edges.
fn pixels_of(image: &RgbImage, colour: [u8; 3]) -> Vec<(usize, usize)> {
    let near = |pixel: [u8; 3]| pixel.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 24);
    (0..image.height)
        .flat_map(|y| (0..image.width).map(move |x| (x, y)))
        .filter(|&(x, y)| image.get(x, y).is_some_and(near))
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
        Series {
            label: "beyond f64's span".into(),
            values: vec![(-1e308, -1e308), (1e308, 1e308)],
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
