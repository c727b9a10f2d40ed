//! The scaling table: time per call or iteration against image size, with the heap a PDHG+TV
//! solve needs. FFT-bound operators should grow as N log N, pixel-wise work as N, and memory as a
//! small multiple of N.

use super::floor::time_operator;
use super::solvers::{build_solver, mri_8_coils};
use super::HeapProbe;
use crate::timing::median_seconds;
use crate::Result;
use inversa::operators::blur::{gaussian_kernel, Blur};
use inversa::operators::{random_vector, LinearOperator};
use inversa::priors::tv::TotalVariation;
use inversa::solvers::{Problem, Silent};
use serde::Serialize;

/// One image size. The `*_relative` columns are time per unit of work (N log N for the
/// operators, N for PDHG) over the first row's: 1.0 is ideal scaling.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingRow {
    /// Image side.
    pub size: usize,
    pub blur_apply_s: f64,
    pub blur_relative: f64,
    /// 8-coil MRI, 4×.
    pub mri_apply_s: f64,
    pub mri_relative: f64,
    /// PDHG + TV on the blur.
    pub pdhg_iteration_s: f64,
    pub pdhg_relative: f64,
    /// Peak heap of a PDHG+TV solve (operator excluded) over the image size in bytes; measured
    /// only with a [`HeapProbe`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdhg_heap_per_image: Option<f64>,
}

/// One row per size from 256 doubling up to `max_size`; `say` receives the header, the rows and
/// a closing note.
pub(super) fn table(
    repeats: usize,
    max_size: usize,
    heap: Option<&dyn HeapProbe>,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<ScalingRow>> {
    say(&format!(
        "{:<7} {:>10} {:>12} {:>10} {:>12} {:>10} {:>12} {:>14}",
        "size",
        "blur ms",
        "/(N log N)",
        "MRI ms",
        "/(N log N)",
        "PDHG ms/it",
        "/N",
        "PDHG heap/img"
    ));
    let mut rows = Vec::new();
    let mut size = 256;
    let mut reference: Option<[f64; 3]> = None;
    while size <= max_size {
        let n = (size * size) as f64;
        let n_log_n = n * n.log2();
        let blur = Blur::<f32>::new(&[1, size, size], &gaussian_kernel(2.0))?;
        let mri = mri_8_coils(size)?;
        let blur_seconds = time_operator(&blur, repeats).apply;
        let mri_seconds = time_operator(&mri, repeats).apply;
        let (pdhg_seconds, heap_ratio) = pdhg_iteration(&blur, repeats, heap)?;
        let normalised = [
            blur_seconds / n_log_n,
            mri_seconds / n_log_n,
            pdhg_seconds / n,
        ];
        let base = *reference.get_or_insert(normalised);
        let row = ScalingRow {
            size,
            blur_apply_s: blur_seconds,
            blur_relative: normalised[0] / base[0],
            mri_apply_s: mri_seconds,
            mri_relative: normalised[1] / base[1],
            pdhg_iteration_s: pdhg_seconds,
            pdhg_relative: normalised[2] / base[2],
            pdhg_heap_per_image: heap_ratio,
        };
        let heap_cell = row
            .pdhg_heap_per_image
            .map_or_else(|| "-".to_string(), |ratio| format!("{ratio:.1}"));
        say(&format!(
            "{:<7} {:>10.3} {:>12.2} {:>10.3} {:>12.2} {:>10.3} {:>12.2} {:>14}",
            format!("{size}²"),
            row.blur_apply_s * 1e3,
            row.blur_relative,
            row.mri_apply_s * 1e3,
            row.mri_relative,
            row.pdhg_iteration_s * 1e3,
            row.pdhg_relative,
            heap_cell
        ));
        rows.push(row);
        size *= 2;
    }
    say(
        "(/(N log N) and /N: time per unit of work relative to the first row; 1.0 = ideal scaling)",
    );
    Ok(rows)
}

/// Seconds per PDHG+TV iteration on `blur`, and (with `heap`) the peak heap of a solve, operator
/// excluded, divided by the image size in bytes.
fn pdhg_iteration(
    blur: &Blur<f32>,
    repeats: usize,
    heap: Option<&dyn HeapProbe>,
) -> Result<(f64, Option<f64>)> {
    let y = blur.apply_new(&random_vector::<f32>(blur.input_len(), 3));
    let tv = TotalVariation::<f32>::new(0.001, blur.input_shape(), 20)?;
    let problem = Problem {
        operator: blur,
        measurement: &y,
        prior: &tv,
    };
    let (short, long) = (5, 15);
    let run = |iterations: usize| -> Result<f64> {
        let solver = build_solver("pdhg", iterations)?;
        Ok(median_seconds(repeats, || {
            let mut x = y.clone();
            let _ = solver.solve(&problem, &mut x, &mut Silent);
        }))
    };
    let seconds = ((run(long)? - run(short)?) / (long - short) as f64).max(0.0);
    let Some(heap) = heap else {
        return Ok((seconds, None));
    };
    let solver = build_solver("pdhg", short)?;
    let mut x = y.clone();
    let before = heap.reset_peak();
    let _ = solver.solve(&problem, &mut x, &mut Silent);
    let image_bytes = (4 * blur.input_len()) as f64;
    Ok((seconds, Some((heap.peak() - before) as f64 / image_bytes)))
}
