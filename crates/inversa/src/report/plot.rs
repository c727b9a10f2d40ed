//! Line charts rendered straight to an RGB image and written as an 8-bit PNG, with no font or
//! plotting dependency: panels side by side, each with a title, axis labels, 4–6 nice ticks per
//! axis ([`super::ticks`]), an optional log-scale y axis, one colour per series and a legend placed
//! in the corner of the plot that covers the fewest data pixels.
//!
//! Points with a NaN/∞ coordinate, and points with `y ≤ 0` on a log axis, are skipped: the line
//! breaks there, and a point left with no drawable neighbour is drawn as a square marker. A panel
//! with nothing to draw keeps its axes and says "no data". The intended use is the convergence
//! figure: an "objective" panel (log y) and a "PSNR (dB)" panel against the iteration.

use super::canvas::{Rect, Rgb, RgbImage};
use super::font::{draw_text, draw_text_up, text_width, CAP_HEIGHT, GLYPH_HEIGHT};
use super::legend::draw_legend;
use super::palette::{BACKGROUND, FRAME, INK, PALETTE};
use super::ticks::{self, Ticks};
use crate::error::{Error, Result};
use std::path::Path;

/// One named curve: `(x, y)` points joined in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<(f64, f64)>,
}

impl Series {
    /// A series whose `x` is the position in `values` (0, 1, 2, …), e.g. a per-iteration trace.
    pub fn indexed(label: impl Into<String>, values: &[f64]) -> Self {
        Self {
            label: label.into(),
            values: values
                .iter()
                .enumerate()
                .map(|(i, &y)| (i as f64, y))
                .collect(),
        }
    }
}

/// One chart: its title, axis labels, y scale and curves.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    pub series: Vec<Series>,
}

const GRID: Rgb = [222, 222, 222];
const MINOR_GRID: Rgb = [242, 242, 242];

/// The colour of the `index`-th series of a panel.
pub fn series_colour(index: usize) -> Rgb {
    PALETTE[index % PALETTE.len()]
}

/// Renders `panels` side by side on a `width × height` white image.
///
/// ```
/// use inversa::report::plot::{render_panels, series_colour, Panel, Series};
/// let panel = Panel {
///     title: "objective".into(),
///     x_label: "iteration".into(),
///     y_label: "f(x)".into(),
///     log_y: true,
///     series: vec![Series::indexed("FISTA", &[10.0, 3.0, 1.0, 0.4, 0.2])],
/// };
/// let image = render_panels(&[panel], 400, 300);
/// assert!(image.pixels.chunks(3).any(|p| p == series_colour(0)));
/// ```
pub fn render_panels(panels: &[Panel], width: usize, height: usize) -> RgbImage {
    let mut image = RgbImage::new(width, height, BACKGROUND);
    let count = panels.len().max(1);
    for (k, panel) in panels.iter().enumerate() {
        let area = Rect {
            x0: (k * width / count) as i64,
            y0: 0,
            x1: ((k + 1) * width / count) as i64,
            y1: height as i64,
        };
        draw_panel(&mut image, panel, area);
    }
    image
}

/// Writes `image` as an 8-bit RGB PNG, through a temporary file and a rename.
pub fn write_png(path: &Path, image: &RgbImage) -> Result<()> {
    if image.width == 0 || image.height == 0 || image.pixels.len() != 3 * image.width * image.height
    {
        return Err(Error::Shape(format!(
            "{}: cannot write a {}×{} image with {} bytes as PNG",
            path.display(),
            image.width,
            image.height,
            image.pixels.len()
        )));
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, image.width as u32, image.height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| Error::format(path, e.to_string()))?;
    writer
        .write_image_data(&image.pixels)
        .map_err(|e| Error::format(path, e.to_string()))?;
    writer
        .finish()
        .map_err(|e| Error::format(path, e.to_string()))?;
    crate::io::write_atomically(path, &bytes)
}

/// A panel's plotting frame: the plot rectangle and the axis ranges it maps.
struct Frame {
    plot: Rect,
    x: Ticks,
    y: Ticks,
    log_y: bool,
    scale: usize,
}

/// Fraction of the tick range left free beyond the first and last tick, so that data lying on an
/// end tick does not merge with the frame.
const END_GAP: f64 = 0.03;

impl Frame {
    fn px(&self, x: f64) -> i64 {
        to_pixel(x, self.x.lo, self.x.hi, self.plot.x0, self.plot.x1 - 1)
    }

    fn py(&self, y: f64) -> i64 {
        if self.log_y {
            to_pixel(
                y.log10(),
                self.y.lo.log10(),
                self.y.hi.log10(),
                self.plot.y1 - 1,
                self.plot.y0,
            )
        } else {
            to_pixel(y, self.y.lo, self.y.hi, self.plot.y1 - 1, self.plot.y0)
        }
    }
}

/// Maps `v` from the tick range `[lo, hi]` onto pixels `[p0, p1]` less the end gaps; an empty
/// range maps to the middle.
fn to_pixel(v: f64, lo: f64, hi: f64, p0: i64, p1: i64) -> i64 {
    let t = if hi > lo && (hi - lo).is_finite() {
        (v - lo) / (hi - lo)
    } else {
        0.5
    };
    let t = (END_GAP + t.clamp(-1.0, 2.0) * (1.0 - 2.0 * END_GAP)).clamp(-1.0, 2.0);
    (p0 as f64 + t * (p1 - p0) as f64).round() as i64
}

fn draw_panel(image: &mut RgbImage, panel: &Panel, area: Rect) {
    let scale = ((area.x1 - area.x0).min(area.y1 - area.y0) as f64 / 240.0)
        .round()
        .clamp(1.0, 4.0) as usize;
    let points: Vec<Vec<Option<(f64, f64)>>> = panel
        .series
        .iter()
        .map(|s| {
            s.values
                .iter()
                .map(|&p| drawable(p, panel.log_y).then_some(p))
                .collect()
        })
        .collect();
    let (x, y) = axis_ticks(&points, panel.log_y);
    let frame = layout(panel, area, scale, x, y);
    draw_grid(image, &frame);
    for (k, series) in points.iter().enumerate() {
        draw_series(image, &frame, series, series_colour(k));
    }
    draw_axes(image, &frame);
    draw_titles(image, panel, &frame, area);
    if points.iter().flatten().all(Option::is_none) {
        centred_text(image, "no data", &frame.plot, scale, FRAME);
    }
    let entries: Vec<(Rgb, &str)> = panel
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.label.is_empty())
        .map(|(k, s)| (series_colour(k), s.label.as_str()))
        .collect();
    draw_legend(image, &entries, frame.plot, scale);
}

fn drawable((x, y): (f64, f64), log_y: bool) -> bool {
    x.is_finite() && y.is_finite() && (!log_y || y > 0.0)
}

/// Ticks enclosing every drawable point (`[0, 1]`, or `[1, 10]` on a log axis, when there are none).
fn axis_ticks(points: &[Vec<Option<(f64, f64)>>], log_y: bool) -> (Ticks, Ticks) {
    let extent = |coordinate: fn(&(f64, f64)) -> f64| {
        points.iter().flatten().flatten().map(coordinate).fold(
            None,
            |range: Option<(f64, f64)>, v| {
                Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
            },
        )
    };
    let (x_lo, x_hi) = extent(|p| p.0).unwrap_or((0.0, 1.0));
    let y_range = extent(|p| p.1);
    let y = if log_y {
        let (lo, hi) = y_range.unwrap_or((1.0, 10.0));
        ticks::logarithmic(lo, hi)
    } else {
        let (lo, hi) = y_range.unwrap_or((0.0, 1.0));
        ticks::linear(lo, hi)
    };
    (ticks::linear(x_lo, x_hi), y)
}

/// Places the plot rectangle: room for the title above, tick labels and the x label below, tick
/// labels and the rotated y label on the left, half the last x tick label on the right.
fn layout(panel: &Panel, area: Rect, scale: usize, x: Ticks, y: Ticks) -> Frame {
    let s = scale as i64;
    let line = GLYPH_HEIGHT as i64 * s;
    let margin = 6 * s;
    let title = if panel.title.is_empty() {
        0
    } else {
        line * 3 / 2 + 5 * s
    };
    let y_label = if panel.y_label.is_empty() {
        0
    } else {
        line + 5 * s
    };
    let x_label = if panel.x_label.is_empty() {
        0
    } else {
        line + 5 * s
    };
    let y_tick_width = y
        .labels
        .iter()
        .map(|l| text_width(l, scale))
        .max()
        .unwrap_or(0) as i64;
    let last_x_label = x.labels.last().map_or(0, |l| text_width(l, scale)) as i64;
    let plot = Rect {
        x0: area.x0 + margin + y_label + y_tick_width + 7 * s,
        y0: area.y0 + margin + title.max(CAP_HEIGHT as i64 * s / 2),
        x1: area.x1 - margin.max(last_x_label / 2 + 3 * s),
        y1: area.y1 - margin - x_label - line - 7 * s,
    };
    Frame {
        plot,
        x,
        y,
        log_y: panel.log_y,
        scale,
    }
}

fn draw_grid(image: &mut RgbImage, frame: &Frame) {
    let clip = frame.plot;
    let (p, bottom, right) = (frame.plot, frame.plot.y1 - 1, frame.plot.x1 - 1);
    for &v in &frame.y.minor {
        let y = frame.py(v);
        image.line((p.x0, y), (right, y), 1, MINOR_GRID, clip);
    }
    for &v in &frame.x.values {
        let x = frame.px(v);
        image.line((x, p.y0), (x, bottom), 1, GRID, clip);
    }
    for &v in &frame.y.values {
        let y = frame.py(v);
        image.line((p.x0, y), (right, y), 1, GRID, clip);
    }
}

/// Joins consecutive drawable points; a point with no drawable neighbour becomes a marker.
fn draw_series(image: &mut RgbImage, frame: &Frame, points: &[Option<(f64, f64)>], colour: Rgb) {
    let thickness = frame.scale as i64 + 1;
    let pixel = |(x, y): (f64, f64)| (frame.px(x), frame.py(y));
    for (k, point) in points.iter().enumerate() {
        let Some(p) = *point else { continue };
        let next = points.get(k + 1).copied().flatten();
        if let Some(q) = next {
            image.line(pixel(p), pixel(q), thickness, colour, frame.plot);
        }
        let previous = k.checked_sub(1).and_then(|j| points[j]);
        if next.is_none() && previous.is_none() {
            let (cx, cy) = pixel(p);
            let half = thickness + 1;
            let marker = Rect {
                x0: cx - half,
                y0: cy - half,
                x1: cx + half + 1,
                y1: cy + half + 1,
            };
            image.fill(marker.intersect(&frame.plot), colour);
        }
    }
}

/// The frame, tick marks and tick labels (every other label dropped while neighbours would touch).
fn draw_axes(image: &mut RgbImage, frame: &Frame) {
    let (p, s, bounds) = (frame.plot, frame.scale as i64, image.bounds());
    let bottom = p.y1 - 1;
    image.outline(p, FRAME);
    let xs: Vec<i64> = frame.x.values.iter().map(|&v| frame.px(v)).collect();
    let widths: Vec<i64> = frame
        .x
        .labels
        .iter()
        .map(|l| text_width(l, frame.scale) as i64)
        .collect();
    let stride = label_stride(&xs, &widths, 3 * s);
    for (k, (&x, label)) in xs.iter().zip(&frame.x.labels).enumerate() {
        image.line((x, bottom), (x, bottom + 4 * s), 1, FRAME, bounds);
        if k % stride == 0 {
            draw_text(
                image,
                label,
                x - widths[k] / 2,
                bottom + 7 * s,
                frame.scale,
                INK,
            );
        }
    }
    let ys: Vec<i64> = frame.y.values.iter().map(|&v| frame.py(v)).collect();
    let height = GLYPH_HEIGHT as i64 * s;
    let stride = label_stride(&ys, &vec![height; ys.len()], 2 * s);
    for (k, (&y, label)) in ys.iter().zip(&frame.y.labels).enumerate() {
        image.line((p.x0 - 4 * s, y), (p.x0, y), 1, FRAME, bounds);
        if k % stride == 0 {
            let width = text_width(label, frame.scale) as i64;
            let top = y - CAP_HEIGHT as i64 * s / 2;
            draw_text(image, label, p.x0 - 7 * s - width, top, frame.scale, INK);
        }
    }
}

/// The smallest power-of-two stride at which labels of `sizes` centred at `positions` keep `gap`.
fn label_stride(positions: &[i64], sizes: &[i64], gap: i64) -> usize {
    let mut stride = 1;
    while stride < positions.len() {
        let fits = (stride..positions.len()).step_by(stride).all(|k| {
            let distance = (positions[k] - positions[k - stride]).abs();
            2 * distance >= sizes[k] + sizes[k - stride] + 2 * gap
        });
        if fits {
            break;
        }
        stride *= 2;
    }
    stride
}

/// The title above the plot (one size up when it fits), the x label below and the y label on the left.
fn draw_titles(image: &mut RgbImage, panel: &Panel, frame: &Frame, area: Rect) {
    let (s, p) = (frame.scale, frame.plot);
    let margin = 6 * s as i64;
    let room = area.x1 - area.x0 - 2 * margin;
    // One size up when it fits; smaller (down to the smallest) rather than cut off.
    let title_scale = (1..=s + 1)
        .rev()
        .find(|&t| text_width(&panel.title, t) as i64 <= room)
        .unwrap_or(1);
    let centre = (p.x0 + p.x1) / 2;
    let title_width = text_width(&panel.title, title_scale) as i64;
    let title_x = (centre - title_width / 2)
        .min(area.x1 - margin - title_width)
        .max(area.x0 + margin);
    draw_text(
        image,
        &panel.title,
        title_x,
        area.y0 + margin,
        title_scale,
        INK,
    );
    let x_label_y = area.y1 - margin - GLYPH_HEIGHT as i64 * s as i64;
    draw_text(
        image,
        &panel.x_label,
        centre - text_width(&panel.x_label, s) as i64 / 2,
        x_label_y,
        s,
        INK,
    );
    let middle = (p.y0 + p.y1) / 2 + text_width(&panel.y_label, s) as i64 / 2;
    draw_text_up(image, &panel.y_label, area.x0 + margin, middle, s, INK);
}

fn centred_text(image: &mut RgbImage, text: &str, rect: &Rect, scale: usize, colour: Rgb) {
    let x = (rect.x0 + rect.x1) / 2 - text_width(text, scale) as i64 / 2;
    let y = (rect.y0 + rect.y1) / 2 - (CAP_HEIGHT * scale) as i64 / 2;
    draw_text(image, text, x, y, scale, colour);
}
