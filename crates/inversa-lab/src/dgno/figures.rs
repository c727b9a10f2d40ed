//! The figure, the report's table and its text. The figure: on top, the forward error against the
//! label count for both methods and the inverse cases' coverage; below, for the first inverse case
//! from left to right, the true `a`, the posterior mean and standard deviation of `a`, the true
//! `u`, the posterior mean of `u` (sensors as black dots) and its standard deviation.

use super::cases::Picture;
use super::Report;
use inversa::report::plot::{render_panels, Panel, RgbImage, Series};

const WIDTH: usize = 1200;
const PLOT_HEIGHT: usize = 420;
const MAP: usize = 180;
const GAP: usize = 20;

fn panels(report: &Report) -> Vec<Panel> {
    let curve = |label: &str, f: fn(&super::SweepRow) -> f64| Series {
        label: label.to_string(),
        values: report
            .sweep
            .iter()
            .map(|r| (r.labels as f64, f(r)))
            .collect(),
    };
    let per_case =
        |label: &str, cases: &[super::InverseCase], f: fn(&super::InverseCase) -> f64| Series {
            label: label.to_string(),
            values: cases.iter().map(|c| (c.case as f64, f(c))).collect(),
        };
    let (plain, inflated) = (&report.inverse, &report.inflated);
    let flat = |label: &str, level: f64| Series {
        label: label.to_string(),
        values: report
            .inverse
            .iter()
            .map(|c| (c.case as f64, level))
            .collect(),
    };
    vec![
        Panel {
            title: format!(
                "forward error, {} unlabelled fields for DGNO",
                report.settings.unlabelled
            ),
            x_label: "labelled pairs N".into(),
            y_label: "mean relative L2 error of u".into(),
            log_y: true,
            series: vec![
                curve("DGNO", |r| r.dgno_error),
                curve("supervised (same net)", |r| r.supervised_error),
            ],
        },
        Panel {
            title: format!(
                "inverse: coverage at held-out nodes, {} sensors",
                report.settings.sensors
            ),
            x_label: "test case".into(),
            y_label: "fraction inside the interval".into(),
            log_y: false,
            series: vec![
                per_case("u 90 %, noise σ", plain, |c| c.u_coverage_90),
                per_case("u 50 %, noise σ", plain, |c| c.u_coverage_50),
                per_case("a 90 %, noise σ", plain, |c| c.a_coverage_90),
                per_case("u 90 %, + surrogate σ", inflated, |c| c.u_coverage_90),
                per_case("u 50 %, + surrogate σ", inflated, |c| c.u_coverage_50),
                flat("nominal 0.9", 0.9),
                flat("nominal 0.5", 0.5),
            ],
        },
    ]
}

/// A dark-blue → teal → yellow ramp for `t ∈ [0, 1]` (clamped).
fn ramp(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let stops = [
        [68.0, 1.0, 84.0],
        [33.0, 145.0, 140.0],
        [253.0, 231.0, 37.0],
    ];
    let (k, w) = if t < 0.5 {
        (0, 2.0 * t)
    } else {
        (1, 2.0 * t - 1.0)
    };
    let mix = |c: usize| (stops[k][c] + w * (stops[k + 1][c] - stops[k][c])) as u8;
    [mix(0), mix(1), mix(2)]
}

/// Draws the `n × n` field into `image` at column `x0`, row `y0`, `y` upwards, scaled to
/// `[low, high]`; `dots` marks nodes in black.
fn draw_map(
    image: &mut RgbImage,
    (x0, y0): (usize, usize),
    field: &[f64],
    n: usize,
    (low, high): (f64, f64),
    dots: &[usize],
) {
    let cell = MAP / n;
    for (p, value) in field.iter().enumerate() {
        let (row, col) = (n - 1 - p / n, p % n);
        let colour = ramp((value - low) / (high - low).max(f64::MIN_POSITIVE));
        let dot = dots.contains(&p);
        for dy in 0..cell {
            for dx in 0..cell {
                let centre = dx.abs_diff(cell / 2) <= cell / 5 && dy.abs_diff(cell / 2) <= cell / 5;
                let c = if dot && centre { [0, 0, 0] } else { colour };
                let k = 3 * ((y0 + row * cell + dy) * image.width + x0 + col * cell + dx);
                image.pixels[k..k + 3].copy_from_slice(&c);
            }
        }
    }
}

/// A map's field, colour range and marked nodes.
type Map<'a> = (&'a [f64], (f64, f64), &'a [usize]);

fn range(field: &[f64]) -> (f64, f64) {
    field
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        })
}

/// The plots on top, six maps of the first inverse case below.
pub fn figure(report: &Report, picture: &Picture, n: usize) -> RgbImage {
    let plots = render_panels(&panels(report), WIDTH, PLOT_HEIGHT);
    let mut image = RgbImage::new(WIDTH, PLOT_HEIGHT + MAP + 2 * GAP, [255, 255, 255]);
    image.pixels[..plots.pixels.len()].copy_from_slice(&plots.pixels);
    let u_range = range(&picture.u_true);
    let maps: [Map; 6] = [
        (&picture.a_true, (3.0, 12.0), &[]),
        (&picture.a.mean, (3.0, 12.0), &[]),
        (&picture.a.std, (0.0, 4.5), &[]),
        (&picture.u_true, u_range, &picture.sensors),
        (&picture.u.mean, u_range, &picture.sensors),
        (&picture.u.std, range(&picture.u.std), &[]),
    ];
    let left = (WIDTH - 6 * MAP - 5 * GAP) / 2;
    for (k, (field, scale, dots)) in maps.iter().enumerate() {
        draw_map(
            &mut image,
            (left + k * (MAP + GAP), PLOT_HEIGHT + GAP),
            field,
            n,
            *scale,
            dots,
        );
    }
    image
}

/// One row per label count, then the inverse means.
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "N labels",
        "DGNO mean (median) error",
        "supervised mean (median) error",
    ]
    .map(String::from)
    .to_vec()];
    for r in &report.sweep {
        rows.push(vec![
            r.labels.to_string(),
            format!("{:.4} ({:.4})", r.dgno_error, r.dgno_median),
            format!("{:.4} ({:.4})", r.supervised_error, r.supervised_median),
        ]);
    }
    for (name, m) in [
        ("inverse, noise σ", &report.inverse_mean),
        ("inverse, + surrogate σ", &report.inflated_mean),
    ] {
        rows.push(vec![
            format!("{name} (mean of cases)"),
            format!(
                "u error {:.4}, misclassified a {:.3} (decoder floor {:.3})",
                m.u_error, m.a_misclassified, m.encoded_misclassified
            ),
            format!(
                "coverage u 50 %: {:.3}, u 90 %: {:.3}, a 90 %: {:.3}",
                m.u_coverage_50, m.u_coverage_90, m.a_coverage_90
            ),
        ]);
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    let yes = |b: bool| if b { "holds" } else { "does not hold" };
    vec![
        "Claims: accurate forward predictions with few labels (DGNO against the same network \
         trained on the labels alone), and a calibrated posterior in the inverse problem."
            .to_string(),
        format!(
            "Darcy −∇·(a∇u) = 1 on a {0}×{0} grid, a ∈ {{12, 3}}; {1} unlabelled fields, {2} \
             test fields, {3} Wendland test functions of radius {4} cells, latent dimension {5}, \
             {6} Adam steps. Inverse: {7} cases, {8} sensors, noise {9} × RMS(u), pCN with {10} \
             chains of {11} steps ({12} burn-in).",
            s.grid, s.unlabelled, s.test, report.test_functions, s.radius, s.latent, s.steps,
            s.inverse_cases, s.sensors, s.noise, s.chains, s.chain_steps, s.burn_in
        ),
        format!(
            "DGNO below two thirds of the supervised error at the fewest labels: {}; below it at \
             every count: {}. Mean 90 % coverage of u within 0.1 of nominal: {} with the noise's σ \
             alone, {} with the surrogate's labelled RMS error ({:.2e}) added.",
            yes(report.dgno_better_at_fewest_labels),
            yes(report.dgno_better_at_every_count),
            yes(report.u_coverage_calibrated),
            yes(report.inflated_u_coverage_calibrated),
            report.surrogate_sigma
        ),
        "Maps, left to right: true a, posterior mean a, posterior std of a, true u, posterior mean \
         u (sensors as dots), posterior std of u."
            .to_string(),
    ]
}
