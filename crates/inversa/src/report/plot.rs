//! Line charts rendered by plotters into an RGB image and written as an 8-bit PNG: panels side by
//! side, each with a title, axis labels, round-number ticks ([`super::axis`]), an optional
//! log-scale y axis, one colour per series and a legend placed in the corner of the plot that
//! covers the fewest curve pixels ([`super::legend`]). Text is DejaVu Sans, bundled by the
//! `dejavu` crate, so rendering needs no system font.
//!
//! Points with a NaN/∞ coordinate, and points with `y ≤ 0` on a log axis, are skipped: the line
//! breaks there, and a point left with no drawable neighbour is drawn as a round marker. A panel
//! with nothing to draw keeps its axes and says "no data". The intended use is the convergence
//! figure: an "objective" panel (log y) and a "PSNR (dB)" panel against the iteration.

use super::axis::Axis;
use super::backend::{self, Canvas};
use super::legend::{self, Rect};
use crate::error::{Error, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

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

/// An RGB colour.
pub type Rgb = [u8; 3];

/// A `width × height` RGB image, row-major, three bytes per pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl RgbImage {
    /// An image filled with `background`.
    ///
    /// ```
    /// let image = inversa::report::plot::RgbImage::new(3, 2, [255, 0, 0]);
    /// assert_eq!(image.get(2, 1), Some([255, 0, 0]));
    /// assert_eq!(image.get(3, 0), None);
    /// ```
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        Self {
            width,
            height,
            pixels: background.repeat(width * height),
        }
    }

    /// The colour at `(x, y)`, or `None` outside the image.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let k = 3 * (y * self.width + x);
            [self.pixels[k], self.pixels[k + 1], self.pixels[k + 2]]
        })
    }
}

/// Series colours, in order (then repeated): the Tableau 10 palette without its grey.
const PALETTE: [Rgb; 9] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [188, 189, 34],
    [23, 190, 207],
];

const BACKGROUND: Rgb = [255, 255, 255];
const INK: RGBColor = RGBColor(20, 20, 20);
const FRAME: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(222, 222, 222);
const MINOR_GRID: RGBColor = RGBColor(242, 242, 242);

/// The family every text of a chart is set in; plotters' own defaults ask for it too.
const FONT: &str = "sans-serif";

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
#[allow(
    clippy::expect_used,
    reason = "drawing into an in-memory bitmap with the bundled font cannot fail"
)]
pub fn render_panels(panels: &[Panel], width: usize, height: usize) -> RgbImage {
    let mut image = RgbImage::new(width, height, BACKGROUND);
    if panels.is_empty() || width == 0 || height == 0 {
        return image;
    }
    register_font();
    let bitmap = BitMapBackend::with_buffer(&mut image.pixels, (width as u32, height as u32));
    let root = Canvas(bitmap).into_drawing_area();
    let count = panels.len();
    for (k, panel) in panels.iter().enumerate() {
        let (x0, x1) = (k * width / count, (k + 1) * width / count);
        let area = root
            .clone()
            .shrink((x0 as i32, 0), ((x1 - x0) as u32, height as u32));
        // An in-memory bitmap takes every pixel, and the font is registered from bytes that parse:
        // plotters has nothing left to fail on.
        draw_panel(&area, panel).expect("drawing into memory with the bundled font");
    }
    root.present()
        .expect("an in-memory bitmap has nothing to flush");
    drop(root);
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

/// Registers DejaVu Sans as plotters' sans-serif face, once per process: plotters measures text
/// with it.
#[allow(clippy::panic, reason = "the bundled DejaVu Sans parses")]
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, backend::face())
            .unwrap_or_else(|_| panic!("the bundled DejaVu Sans does not parse"));
    });
}

/// Sizes of one panel's text and strokes, in pixels, grown with the panel.
struct Look {
    text: f64,
    title: f64,
    stroke: u32,
}

impl Look {
    fn for_area(width: u32, height: u32) -> Self {
        let side = f64::from(width.min(height));
        let text = (side / 26.0).clamp(8.0, 40.0);
        Look {
            text,
            title: 1.3 * text,
            // As thick as the hand-drawn charts had them: 3 px on the usual 440 px panel.
            stroke: (side / 240.0).round().clamp(1.0, 4.0) as u32 + 1,
        }
    }

    fn font(&self, size: f64) -> TextStyle<'static> {
        (FONT, size).into_font().color(&INK)
    }
}

type Error2d<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
) -> Result<(), Error2d<DB>> {
    let (width, height) = area.dim_in_pixel();
    let look = Look::for_area(width, height);
    let runs: Vec<Vec<Vec<(f64, f64)>>> = panel
        .series
        .iter()
        .map(|s| drawable_runs(&s.values, panel.log_y))
        .collect();
    let extent = |coordinate: fn(&(f64, f64)) -> f64| {
        let mut values = runs.iter().flatten().flatten().map(coordinate);
        let first = values.next()?;
        Some(values.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    };
    let (x_lo, x_hi) = extent(|p| p.0).unwrap_or((0.0, 1.0));
    let x = Axis::linear(x_lo, x_hi);
    let y = if panel.log_y {
        let (lo, hi) = extent(|p| p.1).unwrap_or((1.0, 10.0));
        Axis::log(lo, hi)
    } else {
        let (lo, hi) = extent(|p| p.1).unwrap_or((0.0, 1.0));
        Axis::linear(lo, hi)
    };
    let curves: Vec<Vec<Vec<(f64, f64)>>> = runs
        .iter()
        .map(|series| {
            let plotted =
                |run: &Vec<(f64, f64)>| run.iter().map(|&(a, b)| (a, y.coordinate(b))).collect();
            series.iter().map(plotted).collect()
        })
        .collect();
    let text_width = |text: &str| {
        area.estimate_text_size(text, &look.font(look.text))
            .map_or(0, |(w, _)| w)
    };
    let widest_y = y
        .ticks()
        .iter()
        .map(|(_, l)| text_width(l))
        .max()
        .unwrap_or(0);
    let last_x = x.ticks().last().map_or(0, |(_, l)| text_width(l));
    let line = look.text.ceil() as u32;
    let described = |label: &str| if label.is_empty() { 0 } else { 3 * line / 2 };
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(line / 2)
        .margin_right((line / 2).max(last_x / 2 + 2))
        .x_label_area_size(line + line / 2 + described(&panel.x_label))
        .y_label_area_size(widest_y + line + described(&panel.y_label));
    if !panel.title.is_empty() {
        builder.caption(&panel.title, look.font(look.title));
    }
    let mut chart = builder.build_cartesian_2d(x.range.clone(), y.range.clone())?;
    let minor = y
        .minor()
        .into_iter()
        .map(|v| PathElement::new([(x.range.start, v), (x.range.end, v)], MINOR_GRID));
    chart.draw_series(minor)?;
    let x_label = |v: &f64| x.label(*v);
    let y_label = |v: &f64| y.label(*v);
    chart
        .configure_mesh()
        .x_labels(x.ticks)
        .y_labels(y.ticks)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .max_light_lines(0)
        .bold_line_style(GRID)
        .axis_style(FRAME)
        .label_style(look.font(look.text))
        .axis_desc_style(look.font(look.text))
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .draw()?;
    draw_curves(&mut chart, panel, &curves, &look)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the curves, markers, frame and legend of a chart whose grid and axes are drawn.
fn draw_curves<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    panel: &Panel,
    curves: &[Vec<Vec<(f64, f64)>>],
    look: &Look,
) -> Result<(), Error2d<DB>> {
    let radius = look.stroke as i32 + 2;
    let plot = chart.plotting_area().strip_coord_spec();
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    // Every curve in the plot's own pixels, for the brush and for placing the legend.
    let pixels: Vec<Vec<Vec<(i32, i32)>>> = curves
        .iter()
        .map(|runs| {
            let in_plot = |p: &(f64, f64)| {
                let (x, y) = chart.backend_coord(p);
                (x - xs.start, y - ys.start)
            };
            runs.iter()
                .map(|run| run.iter().map(in_plot).collect())
                .collect()
        })
        .collect();
    // plotters widens a line into one polygon per segment, which frays curves made of many short
    // segments; a square brush of one-pixel polylines keeps them even.
    let brush = -(look.stroke as i32 - 1) / 2..=look.stroke as i32 / 2;
    for (k, (series, runs)) in panel.series.iter().zip(curves).enumerate() {
        let [r, g, b] = series_colour(k);
        let colour = RGBColor(r, g, b);
        for run in pixels[k].iter().filter(|run| run.len() > 1) {
            for dx in brush.clone() {
                for dy in brush.clone() {
                    let shifted = run.iter().map(|&(x, y)| (x + dx, y + dy));
                    plot.draw(&PathElement::new(shifted.collect::<Vec<_>>(), colour))?;
                }
            }
        }
        let lone = runs
            .iter()
            .filter(|run| run.len() == 1)
            .map(|run| Circle::new(run[0], radius, colour.filled()));
        let annotation = chart.draw_series(lone)?;
        if !series.label.is_empty() {
            let swatch = look.text as i32 * 3 / 2;
            let line = colour.stroke_width(look.stroke);
            annotation
                .label(&series.label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + swatch, y)], line));
        }
    }
    let plot = chart.plotting_area().strip_coord_spec();
    let (w, h) = plot.dim_in_pixel();
    plot.draw(&Rectangle::new(
        [(0, 0), (w as i32 - 1, h as i32 - 1)],
        FRAME,
    ))?;
    if curves.iter().flatten().all(Vec::is_empty) {
        let centre = Pos::new(HPos::Center, VPos::Center);
        let text = look.font(look.text).color(&FRAME).pos(centre);
        plot.draw(&Text::new("no data", (w as i32 / 2, h as i32 / 2), text))?;
    }
    draw_legend(chart, panel, &pixels, look)
}

/// The legend of the labelled series, in the corner where it hides the least of the curves.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    panel: &Panel,
    pixels: &[Vec<Vec<(i32, i32)>>],
    look: &Look,
) -> Result<(), Error2d<DB>> {
    let labels: Vec<&str> = panel
        .series
        .iter()
        .map(|s| s.label.as_str())
        .filter(|l| !l.is_empty())
        .collect();
    if labels.is_empty() {
        return Ok(());
    }
    let font = look.font(look.text);
    // The box plotters will draw: its labels stacked 1.25 font sizes apart.
    let mut text_w = 0;
    let mut line_h = 0;
    for label in &labels {
        let (w, h) = chart.plotting_area().estimate_text_size(label, &font)?;
        (text_w, line_h) = (text_w.max(w as i32), line_h.max(h as i32));
    }
    let text_h = ((labels.len() - 1) as f64 * 1.25 * look.text).round() as i32 + line_h;
    let (margin, swatch_area) = (look.text as i32 / 2, look.text as i32 * 2);
    let size = (
        f64::from(text_w + swatch_area + 2 * margin),
        f64::from(text_h + 2 * margin),
    );
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let plot = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: f64::from(w),
        y1: f64::from(h),
    };
    let in_pixels: Vec<Vec<(f64, f64)>> = pixels
        .iter()
        .flatten()
        .map(|run| {
            run.iter()
                .map(|&(x, y)| (f64::from(x), f64::from(y)))
                .collect()
        })
        .collect();
    chart
        .configure_series_labels()
        .position(legend::corner(plot, size, &in_pixels))
        .margin(margin)
        .legend_area_size(swatch_area)
        .label_font(font.clone())
        .background_style(WHITE.filled())
        .border_style(FRAME)
        .draw()
}

/// The runs of consecutive drawable points of `values`: finite, and `y > 0` on a log axis.
fn drawable_runs(values: &[(f64, f64)], log_y: bool) -> Vec<Vec<(f64, f64)>> {
    let drawable = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!log_y || y > 0.0);
    values
        .split(|p| !drawable(p))
        .filter(|run| !run.is_empty())
        .map(<[_]>::to_vec)
        .collect()
}
