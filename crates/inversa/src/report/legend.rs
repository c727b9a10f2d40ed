//! Where a chart's legend goes: the corner of the plot (top right, top left, bottom right,
//! bottom left, the first on a tie) whose legend box covers the fewest pixels of the curves.
//! plotters draws the legend, but only at a corner it is told.

use plotters::chart::SeriesLabelPosition;

/// A pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }
}

/// Gap plotters leaves between the legend box and the plot's edge, in pixels.
const INSET: f64 = 5.0;

/// The corner for a `size` legend box in `plot` with the fewest points of `curves` under it (or
/// within the inset around it); each curve is a polyline in pixels, sampled every pixel.
pub(super) fn corner(
    plot: Rect,
    size: (f64, f64),
    curves: &[Vec<(f64, f64)>],
) -> SeriesLabelPosition {
    let (w, h) = (size.0 + 2.0 * INSET, size.1 + 2.0 * INSET);
    let corners = [
        (SeriesLabelPosition::UpperRight, plot.x1 - w, plot.y0),
        (SeriesLabelPosition::UpperLeft, plot.x0, plot.y0),
        (SeriesLabelPosition::LowerRight, plot.x1 - w, plot.y1 - h),
        (SeriesLabelPosition::LowerLeft, plot.x0, plot.y1 - h),
    ];
    let covered = |area: &Rect| {
        curves
            .iter()
            .map(|curve| samples(curve).filter(|p| area.contains(*p)).count())
            .sum::<usize>()
    };
    corners
        .into_iter()
        .map(|(position, x0, y0)| {
            let area = Rect {
                x0,
                y0,
                x1: x0 + w,
                y1: y0 + h,
            };
            (covered(&area), position)
        })
        .min_by_key(|(count, _)| *count)
        .map_or(SeriesLabelPosition::UpperRight, |(_, position)| position)
}

/// Points along the polyline `curve`, about a pixel apart (its lone vertex for a single point).
fn samples(curve: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    let lone = (curve.len() == 1).then(|| curve[0]);
    curve
        .windows(2)
        .flat_map(|w| {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().clamp(1.0, 1e4) as usize;
            (0..=steps).map(move |k| {
                let t = k as f64 / steps as f64;
                (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
            })
        })
        .chain(lone)
}
