//! Axis ticks at "nice" numbers, after P. S. Heckbert, "Nice numbers for graph labels", Graphics
//! Gems, 1990: a linear axis steps by `m·10ᵏ` with `m ∈ {1, 2, 2.5, 5}` and is widened to whole steps
//! ("loose" labelling, so the data never touches a label-less end); among the steps that give 4 to 6
//! ticks the one whose ticks hug the data tightest wins, plain `{1, 2, 5}` before `2.5`. A log axis
//! ticks whole powers of ten (every `k`-th decade when there are more than five).
//!
//! Labels are plain decimals (`0.25`, `1500`) while every tick lies in `[10⁻³, 10⁵)` (or is 0) and
//! needs at most four decimals, scientific (`2.5e-7`, `1e12`) otherwise, with as many digits as
//! the step needs.

/// Tick positions and labels for one axis spanning `[lo, hi]` (data units, also for a log axis).
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub values: Vec<f64>,
    pub labels: Vec<String>,
    /// Unlabelled minor positions (`2·10ᵏ … 9·10ᵏ` on a log axis with few decades).
    pub minor: Vec<f64>,
}

/// Ticks for a linear axis covering the finite range `[min, max]`.
///
/// ```
/// let t = inversa::report::ticks::linear(0.13, 0.87);
/// assert_eq!(t.labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
/// ```
pub fn linear(min: f64, max: f64) -> Ticks {
    let (min, max) = widen_degenerate(min.min(max), max.max(min));
    let span = max - min;
    if !span.is_finite() || span <= 0.0 {
        return linear_fallback(min, max);
    }
    let magnitude = span.log10().floor() as i32;
    let mut best: Option<(f64, Step, i64, i64)> = None;
    for exponent in magnitude - 2..=magnitude + 1 {
        for mantissa in [1.0, 2.0, 2.5, 5.0] {
            let step = Step { mantissa, exponent };
            let size = step.size();
            let first = (min / size + 1e-9).floor() as i64;
            let last = (max / size - 1e-9).ceil() as i64;
            let count = last - first + 1;
            if !(4..=6).contains(&count) {
                continue;
            }
            let penalty = if mantissa == 2.5 { 0.25 } else { 0.0 };
            let score = span / ((last - first) as f64 * size) - penalty;
            if best.is_none_or(|(s, ..)| score > s) {
                best = Some((score, step, first, last));
            }
        }
    }
    let Some((_, step, first, last)) = best else {
        return linear_fallback(min, max);
    };
    let values: Vec<f64> = (first..=last).map(|i| step.at(i)).collect();
    Ticks {
        lo: values[0],
        hi: values[values.len() - 1],
        labels: format_linear(&values, step),
        values,
        minor: Vec::new(),
    }
}

/// Ticks for a log axis covering `[min, max]`, both positive: powers of ten around the data.
///
/// ```
/// let t = inversa::report::ticks::logarithmic(0.003, 42.0);
/// assert_eq!(t.labels, ["0.001", "0.01", "0.1", "1", "10", "100"]);
/// ```
pub fn logarithmic(min: f64, max: f64) -> Ticks {
    let first = min.min(max).log10().floor() as i32;
    let mut last = max.max(min).log10().ceil() as i32;
    if last <= first {
        last = first + 1;
    }
    let stride = (last - first + 4) / 5;
    last = first + stride * ((last - first + stride - 1) / stride);
    let exponents: Vec<i32> = (first..=last).step_by(stride as usize).collect();
    let plain = exponents.iter().all(|e| (-3..=4).contains(e));
    let labels = exponents
        .iter()
        .map(|&e| {
            if plain {
                format_plain(10f64.powi(e), (-e).max(0) as usize)
            } else {
                format!("1e{e}")
            }
        })
        .collect();
    let minor = if stride == 1 && last - first <= 4 {
        (first..last)
            .flat_map(|e| (2..10).map(move |m| m as f64 * 10f64.powi(e)))
            .collect()
    } else {
        Vec::new()
    };
    Ticks {
        lo: 10f64.powi(first),
        hi: 10f64.powi(last),
        values: exponents.iter().map(|&e| 10f64.powi(e)).collect(),
        labels,
        minor,
    }
}

/// A tick step `mantissa · 10^exponent`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Step {
    mantissa: f64,
    exponent: i32,
}

impl Step {
    fn size(self) -> f64 {
        self.mantissa * 10f64.powi(self.exponent)
    }

    /// The `i`-th multiple, computed so that decimal steps come out as the nearest double
    /// (`3 · 0.1` gives `0.3`, not `0.30000000000000004`).
    fn at(self, i: i64) -> f64 {
        let units = i as f64 * self.mantissa;
        let value = if self.exponent >= 0 {
            units * 10f64.powi(self.exponent)
        } else {
            units / 10f64.powi(-self.exponent)
        };
        if value == 0.0 {
            0.0 // never "-0"
        } else {
            value
        }
    }

    /// Decimals a multiple of the step needs: `-exponent`, one more for the mantissa 2.5.
    fn decimals(self) -> i32 {
        -self.exponent + i32::from(self.mantissa == 2.5)
    }
}

/// Pads a zero-width range so that a constant series sits mid-axis.
fn widen_degenerate(min: f64, max: f64) -> (f64, f64) {
    let scale = min.abs().max(max.abs());
    if max - min > scale * 1e-12 {
        (min, max)
    } else if scale == 0.0 {
        (-1.0, 1.0)
    } else {
        (min - 0.1 * scale, max + 0.1 * scale)
    }
}

/// The two ends as ticks, for ranges near the limits of `f64` where no nice step exists.
fn linear_fallback(min: f64, max: f64) -> Ticks {
    Ticks {
        lo: min,
        hi: max,
        values: vec![min, max],
        labels: vec![format_scientific(min, 3), format_scientific(max, 3)],
        minor: Vec::new(),
    }
}

fn format_linear(values: &[f64], step: Step) -> Vec<String> {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let decimals = step.decimals();
    let plain = largest < 1e5 && (largest >= 1e-3 || largest == 0.0) && decimals <= 4;
    values
        .iter()
        .map(|&v| {
            if plain {
                format_plain(v, decimals.max(0) as usize)
            } else {
                // Digits after the mantissa's point: from the value's decade down to the step's.
                let decade = if v == 0.0 {
                    0
                } else {
                    v.abs().log10().floor() as i32
                };
                format_scientific(v, (decade + decimals).clamp(0, 15) as usize)
            }
        })
        .collect()
}

/// `value` with `decimals` digits, trailing zeros (and a bare point) dropped.
fn format_plain(value: f64, decimals: usize) -> String {
    trim_zeros(&format!("{value:.decimals$}"))
}

/// `value` as `m.mmme±x` with `digits` mantissa decimals, trailing zeros dropped; `0` for zero.
fn format_scientific(value: f64, digits: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let text = format!("{value:.digits$e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
        None => text,
    }
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}
