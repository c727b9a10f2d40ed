//! Axis ranges and tick labels for [`super::plot`]. Tick positions are plotters' own (steps of
//! 1, 2 or 5 times a power of ten); the ranges, the log scale and the label text are chosen here:
//! plotters pads nothing, prints every label with at least one decimal and never in scientific
//! notation ("0.0", "50.0", "0.00000" for 1e-7), and its log axis labels no tick below 2.2e-16
//! and hangs on data spanning more than 308 decades.
//!
//! A log axis is therefore drawn as a linear axis of `log₁₀ y` whose ticks are whole exponents,
//! written as the powers of ten they stand for. Labels are plain decimals (`0.25`, `1500`) while
//! every tick lies in `[10⁻³, 10⁵)` (or is 0) and needs at most four decimals, scientific
//! (`2.5e-7`, `1e12`) otherwise, with the fewest digits that tell the ticks apart.

use plotters::coord::ranged1d::{BoldPoints, Ranged};
use plotters::coord::types::RangedCoordf64;
use std::ops::Range;

/// How many labelled ticks an axis asks plotters for, at most.
const TICKS: usize = 6;

/// Fraction of a linear data range left free at each end, so that no curve runs along the frame.
const PAD: f64 = 0.04;

/// One axis of a chart: the range it draws, in plotted coordinates (`log₁₀` of the data on a log
/// axis), and how its ticks are labelled.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub range: Range<f64>,
    pub log: bool,
    /// The tick count plotters is asked for.
    pub ticks: usize,
    format: LabelFormat,
}

impl Axis {
    /// A linear axis holding `[min, max]`: padded, and widened around a constant.
    ///
    /// ```
    /// use inversa::report::axis::Axis;
    /// let labels: Vec<String> = Axis::linear(0.0, 200.0).ticks().into_iter().map(|t| t.1).collect();
    /// assert_eq!(labels, ["0", "50", "100", "150", "200"]);
    /// ```
    pub fn linear(min: f64, max: f64) -> Self {
        let scale = min.abs().max(max.abs());
        let (min, max) = if max - min > scale * 1e-12 {
            (min, max)
        } else if scale == 0.0 {
            (-1.0, 1.0)
        } else {
            (min - 0.1 * scale, max + 0.1 * scale)
        };
        let pad = PAD * (max - min);
        let range = if (max + pad - (min - pad)).is_finite() {
            min - pad..max + pad
        } else {
            // A span beyond f64 (±1e308) is drawn halved, so that plotters' tick search stays
            // finite; the extreme points then lie past the frame.
            min / 2.0..max / 2.0
        };
        Self::new(range, false, TICKS)
    }

    /// A log axis holding `[min, max]` (both positive): the whole decades around the data.
    ///
    /// ```
    /// use inversa::report::axis::Axis;
    /// let axis = Axis::log(3e-21, 4e-20);
    /// let labels: Vec<String> = axis.ticks().into_iter().map(|t| t.1).collect();
    /// assert_eq!(labels, ["1e-21", "1e-20", "1e-19"]);
    /// assert_eq!(axis.coordinate(1e-20), -20.0);
    /// ```
    pub fn log(min: f64, max: f64) -> Self {
        let first = min.log10().floor();
        let last = max.log10().ceil().max(first + 1.0);
        // One tick per decade fits in `decades + 1`: plotters then never steps by a fraction of one.
        let ticks = ((last - first) as usize + 1).min(TICKS);
        Self::new(first..last, true, ticks)
    }

    fn new(range: Range<f64>, log: bool, ticks: usize) -> Self {
        let values: Vec<f64> = Self::positions(&range, ticks)
            .into_iter()
            .map(|p| if log { 10f64.powf(p) } else { p })
            .collect();
        Self {
            range,
            log,
            ticks,
            format: LabelFormat::for_ticks(&values),
        }
    }

    /// The tick positions plotters draws over `range` when asked for `ticks`.
    fn positions(range: &Range<f64>, ticks: usize) -> Vec<f64> {
        RangedCoordf64::from(range.clone()).key_points(BoldPoints(ticks))
    }

    /// Where the data value `value` is plotted.
    pub fn coordinate(&self, value: f64) -> f64 {
        if self.log {
            value.log10()
        } else {
            value
        }
    }

    /// The label of the tick at plotted coordinate `position`.
    pub fn label(&self, position: f64) -> String {
        self.format.label(if self.log {
            10f64.powf(position)
        } else {
            position
        })
    }

    /// The ticks plotters draws, as data values with their labels.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        Self::positions(&self.range, self.ticks)
            .into_iter()
            .map(|p| (if self.log { 10f64.powf(p) } else { p }, self.label(p)))
            .collect()
    }

    /// Plotted coordinates of unlabelled minor lines: `2·10ᵏ … 9·10ᵏ` on a log axis of at most
    /// four decades, none otherwise.
    pub fn minor(&self) -> Vec<f64> {
        if !self.log || self.range.end - self.range.start > 4.0 {
            return Vec::new();
        }
        let (first, last) = (self.range.start as i32, self.range.end as i32);
        (first..last)
            .flat_map(|e| (2..10).map(move |m| f64::from(e) + f64::from(m).log10()))
            .collect()
    }
}

/// How the labels of one axis are written: the same number of digits for every tick, and "0" for
/// anything closer to zero than rounding noise (plotters can place its zero tick at `-2e-22`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct LabelFormat {
    scientific: bool,
    digits: usize,
    zero_below: f64,
}

impl LabelFormat {
    /// The shortest format in which every tick of `values` reads back as itself (up to rounding
    /// noise such as `0.30000000000000004`).
    fn for_ticks(values: &[f64]) -> Self {
        let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let smallest_step = values
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(largest, f64::min);
        let tolerance = 1e-6 * smallest_step.max(f64::MIN_POSITIVE);
        let zero_below = if values.len() > 1 { tolerance } else { 0.0 };
        let fits = |format: LabelFormat| {
            values.iter().all(|&v| {
                format
                    .label(v)
                    .parse::<f64>()
                    .is_ok_and(|back| (back - v).abs() <= tolerance.max(1e-9 * v.abs()))
            })
        };
        let small = values
            .iter()
            .all(|v| v.abs() <= zero_below || v.abs() >= 1e-3);
        let plain = (largest < 1e5 && small)
            .then(|| {
                (0..=4)
                    .map(|digits| LabelFormat {
                        scientific: false,
                        digits,
                        zero_below,
                    })
                    .find(|&f| fits(f))
            })
            .flatten();
        plain.unwrap_or_else(|| {
            (0..=15)
                .map(|digits| LabelFormat {
                    scientific: true,
                    digits,
                    zero_below,
                })
                .find(|&f| fits(f))
                .unwrap_or(LabelFormat {
                    scientific: true,
                    digits: 15,
                    zero_below,
                })
        })
    }

    /// `value` written in this format, trailing zeros dropped; never "-0".
    fn label(self, value: f64) -> String {
        let digits = self.digits;
        if value.abs() <= self.zero_below
            || (!self.scientific && format!("{value:.digits$}").parse() == Ok(0.0))
        {
            return "0".into();
        }
        if self.scientific {
            let text = format!("{value:.digits$e}");
            match text.split_once('e') {
                Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
                None => text,
            }
        } else {
            trim_zeros(&format!("{value:.digits$}"))
        }
    }
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}
