//! The figures: per population, its snapshots, the true paths of a few individuals and the paths
//! inferred from their first positions under the Brownian and the refined reference (one colour
//! per individual in the three path panels); then the refinement curves of both populations.

use super::simulate::Scenario;
use super::sinkhorn::Coupling;
use super::{paths, Point, Refined, ScenarioReport};
use inversa::report::plot::{series_colour, Panel, Series};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Individuals whose paths are drawn.
const SHOWN: usize = 8;
/// Particles per snapshot drawn in the snapshot panel.
const DOTS: usize = 60;

/// Paths through `couplings` from the first `SHOWN` particles (the same draws for every reference).
pub(super) fn draw_paths(
    scenario: &Scenario,
    couplings: &[Coupling],
    seed: u64,
) -> Vec<Vec<Point>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let shown = SHOWN.min(scenario.snapshots[0].len());
    (0..shown)
        .map(|i| paths::sample_path(&scenario.snapshots, couplings, i, &mut rng))
        .collect()
}

/// Snapshots, true paths, Brownian and refined paths, in the state plane.
pub(super) fn trajectories(scenario: &Scenario, refined: &Refined) -> Vec<Panel> {
    let shown = refined.brownian_paths.len();
    let truth: Vec<Vec<Point>> = (0..shown)
        .map(|i| scenario.snapshots.iter().map(|s| s[i]).collect())
        .collect();
    let name = scenario.name;
    vec![
        snapshot_panel(scenario),
        path_panel(format!("{name}: true paths"), &truth),
        path_panel(
            format!("{name}: Brownian reference"),
            &refined.brownian_paths,
        ),
        path_panel(format!("{name}: refined reference"), &refined.refined_paths),
    ]
}

fn plane(title: String, series: Vec<Series>) -> Panel {
    Panel {
        title,
        x_label: "x1".into(),
        y_label: "x2".into(),
        log_y: false,
        series,
    }
}

fn path_panel(title: String, paths: &[Vec<Point>]) -> Panel {
    let series = paths
        .iter()
        .map(|p| Series {
            label: String::new(),
            values: p.iter().map(|x| (x[0], x[1])).collect(),
        })
        .collect();
    plane(title, series)
}

/// Each particle a lone marker, coloured by its snapshot: the plot colours a series by its
/// position, so empty series pad each marker to a position of its snapshot's colour.
fn snapshot_panel(scenario: &Scenario) -> Panel {
    let period = (1..64)
        .find(|&k| series_colour(k) == series_colour(0))
        .unwrap_or(1);
    let mut series: Vec<Series> = Vec::new();
    let dots = DOTS.min(scenario.snapshots[0].len());
    for i in 0..dots {
        for (k, snapshot) in scenario.snapshots.iter().enumerate() {
            while series.len() % period != k % period {
                series.push(Series {
                    label: String::new(),
                    values: Vec::new(),
                });
            }
            let label = if i == 0 {
                format!("t{k}")
            } else {
                String::new()
            };
            let x = snapshot[i];
            series.push(Series {
                label,
                values: vec![(x[0], x[1])],
            });
        }
    }
    plane(
        format!("{}: snapshots (colour: time)", scenario.name),
        series,
    )
}

/// Parameter error (log scale, with the class's fit to the true pairs as a flat line) and path
/// error relative to independent couplings (with the true reference's as a flat line), against
/// the refinement.
pub(super) fn refinement(reports: &[ScenarioReport]) -> Vec<Panel> {
    let mut parameter = Vec::new();
    for r in reports {
        let pairs = vec![r.true_pairs_parameter_error; r.parameter_error.len()];
        parameter.push(Series::indexed(r.name, &r.parameter_error));
        parameter.push(Series::indexed(
            format!("{}, fit to the true pairs", r.name),
            &pairs,
        ));
    }
    let mut path = Vec::new();
    for r in reports {
        let relative: Vec<f64> = r
            .path_mse
            .iter()
            .map(|e| e / r.path_mse_independent)
            .collect();
        let oracle = vec![r.path_mse_true_reference / r.path_mse_independent; relative.len()];
        path.push(Series::indexed(r.name, &relative));
        path.push(Series::indexed(
            format!("{}, true reference", r.name),
            &oracle,
        ));
    }
    vec![
        Panel {
            title: "reference parameters: relative error".into(),
            x_label: "refinement (0 = Brownian)".into(),
            y_label: "|theta - theta*| / |theta*|".into(),
            log_y: true,
            series: parameter,
        },
        Panel {
            title: "path MSE / independent couplings' path MSE".into(),
            x_label: "refinement (0 = Brownian)".into(),
            y_label: "relative path MSE".into(),
            log_y: false,
            series: path,
        },
    ]
}
