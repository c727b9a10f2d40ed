//! The operator table: every registered operator's apply and adjoint at `size × size` (8 coils
//! for MRI), with the apply's memory floor.

use super::floor::time_operator;
use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::operators::registry::physics;
use serde::Serialize;
use std::path::Path;

/// One operator's times.
#[derive(Clone, Debug, Serialize)]
pub struct OperatorRow {
    pub operator: String,
    pub apply_s: f64,
    pub adjoint_s: f64,
    /// Bytes of one input plus one output (f32).
    pub in_out_bytes: usize,
    pub apply_floor_s: f64,
    pub adjoint_floor_s: f64,
}

/// A registered operator that could not be built at this size, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub operator: String,
    pub reason: String,
}

/// Times every registered operator; `say` receives the header and one line per operator.
pub(super) fn table(
    size: usize,
    repeats: usize,
    say: &mut dyn FnMut(&str),
) -> (Vec<OperatorRow>, Vec<Skipped>) {
    say(&format!(
        "{:<12} {:>10} {:>10} {:>12} {:>10} {:>10}",
        "operator", "apply ms", "adjoint ms", "in+out MB", "floor ms", "× floor"
    ));
    let ctx = BuildContext {
        image_shape: vec![1, size, size],
        seed: 0,
        raw: None,
    };
    let (mut rows, mut skipped) = (Vec::new(), Vec::new());
    for entry in physics::<f32>() {
        // Multi-coil MRI is the case users run; one coil would time a single FFT.
        let settings: toml::Table = if entry.name == "mri" {
            toml::toml! { coils = 8 }
        } else {
            toml::Table::new()
        };
        let mut section = Section::new(&settings, "physics", Path::new("."));
        let op = match (entry.build)(&mut section, &ctx) {
            Ok(physics) => physics.operator,
            Err(e) => {
                say(&format!("{:<12} skipped: {e}", entry.name));
                skipped.push(Skipped {
                    operator: entry.name.into(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let t = time_operator(op.as_ref(), repeats);
        let row = OperatorRow {
            operator: entry.name.into(),
            apply_s: t.apply,
            adjoint_s: t.adjoint,
            in_out_bytes: 4 * (op.input_len() + op.output_len()),
            apply_floor_s: t.apply_floor,
            adjoint_floor_s: t.adjoint_floor,
        };
        say(&format!(
            "{:<12} {:>10.3} {:>10.3} {:>12.2} {:>10.3} {:>10.1}",
            row.operator,
            row.apply_s * 1e3,
            row.adjoint_s * 1e3,
            row.in_out_bytes as f64 / 1e6,
            row.apply_floor_s * 1e3,
            row.apply_s / row.apply_floor_s
        ));
        rows.push(row);
    }
    (rows, skipped)
}
