//! The paper experiments and the gradient-inversion audit of `inversa-lab`, one call each, with
//! the same settings as their CLI flags (given as Python keywords, read through serde: a missing
//! one keeps the CLI's default, an unknown one is a `KeyError`).

use crate::errors;
use crate::learned::outcome_dict;
use inversa::Control;
use inversa_lab::{
    convex_relu, dgno, diffusion_priors, editing, elliptic_approximation, gaunt, gradient_audit,
    ifactformer, insr, itransformer, krylov_sequence, lagrangian_pinn, last_iterate_sgd,
    matrix_sensing, mfac, model_inversion, posterior_vs_exact, ptd, sample_quality, sampling,
    schrodinger_bridge, self_distillation, semilinear_operator, stale_updates, tumour_growth,
    Outcome,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::PathBuf;

/// The experiments [`experiment`] runs, by their `inversa experiment` names.
pub const EXPERIMENTS: [&str; 22] = [
    "matrix-sensing",
    "convex-relu",
    "mfac",
    "last-iterate-sgd",
    "self-distillation",
    "gaunt",
    "schrodinger-bridge",
    "ptd",
    "itransformer",
    "tumour-growth",
    "lagrangian-pinn",
    "elliptic-approximation",
    "insr",
    "semilinear-operator",
    "ifactformer",
    "dgno",
    "posterior",
    "editing",
    "diffusion-priors",
    "solve-sequence",
    "sample",
    "sample-quality",
];

/// The attacks [`attack`] runs, by their CLI commands.
pub const ATTACKS: [&str; 3] = ["gradient", "model", "fl"];

/// Runs experiment `name` with `settings` (a JSON object of its settings); with `out`, also writes
/// its `metrics.json` and plots there. Returns `{"metrics": ..., "arrays": {...}}`.
#[pyfunction]
#[pyo3(signature = (name, settings, out = None))]
pub fn experiment<'py>(
    py: Python<'py>,
    name: &str,
    settings: &str,
    out: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let say = &mut |_: &str| {};
    match name {
        "matrix-sensing" => go(py, name, settings, out, |s| matrix_sensing::run(s, say)),
        "convex-relu" => go(py, name, settings, out, |s| convex_relu::run(s, say)),
        "mfac" => go(py, name, settings, out, |s| mfac::run(s, say)),
        "last-iterate-sgd" => go(py, name, settings, out, |s| last_iterate_sgd::run(s, say)),
        "self-distillation" => go(py, name, settings, out, |s| self_distillation::run(s, say)),
        "gaunt" => go(py, name, settings, out, |s| gaunt::run(s, say)),
        "schrodinger-bridge" => go(py, name, settings, out, |s| schrodinger_bridge::run(s, say)),
        "ptd" => go(py, name, settings, out, |s| ptd::run(s, say)),
        "itransformer" => go(py, name, settings, out, |s| itransformer::run(s, say)),
        "tumour-growth" => go(py, name, settings, out, |s| tumour_growth::run(s, say)),
        "lagrangian-pinn" => go(py, name, settings, out, |s| lagrangian_pinn::run(s, say)),
        "semilinear-operator" => go(py, name, settings, out, |s| {
            semilinear_operator::run(s, say)
        }),
        "elliptic-approximation" => go(py, name, settings, out, |s| {
            elliptic_approximation::run(s, say)
        }),
        "insr" => go(py, name, settings, out, |s| insr::run(s, say)),
        "ifactformer" => go(py, name, settings, out, |s| ifactformer::run(s, say)),
        "dgno" => go(py, name, settings, out, |s| dgno::run(s, say)),
        "posterior" => go(py, name, settings, out, |s| posterior_vs_exact::run(s, say)),
        "editing" => go(py, name, settings, out, |s| editing::run(s, say)),
        "diffusion-priors" => go(py, name, settings, out, |s| diffusion_priors::run(s, say)),
        "solve-sequence" => go(py, name, settings, out, krylov_sequence::run),
        "sample" => go(py, name, settings, out, |s| sampling::run(s, say)),
        "sample-quality" => go(py, name, settings, out, |s| sample_quality::run(s, say)),
        other => Err(errors::value(
            "name",
            format!(
                "expected one of {}, found \"{other}\"",
                EXPERIMENTS.join(", ")
            ),
        )),
    }
}

/// Runs attack `kind` with `settings` (a JSON object of its CLI flags): `gradient` (`inversa
/// attack`: gradient inversion of a client update), `model` (`inversa attack-model`: GMI and
/// IF-GMI against a classifier) or `fl` (`inversa fl`: federated learning with stale updates
/// converted by gradient inversion); with `out`, also writes its outputs there.
#[pyfunction]
#[pyo3(signature = (kind, settings, out = None))]
pub fn attack<'py>(
    py: Python<'py>,
    kind: &str,
    settings: &str,
    out: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    match kind {
        "gradient" => go(py, kind, settings, out, |s: &gradient_audit::Settings| {
            gradient_audit::run(s, &mut |_| Control::Continue)
        }),
        "model" => go(py, kind, settings, out, |s: &model_inversion::Settings| {
            model_inversion::run(s, &mut |_| Control::Continue)
        }),
        "fl" => go(py, kind, settings, out, |s: &stale_updates::Settings| {
            stale_updates::run(s, &mut |_| Control::Continue)
        }),
        other => Err(errors::value(
            "kind",
            format!("expected one of {}, found \"{other}\"", ATTACKS.join(", ")),
        )),
    }
}

/// Reads `S` from the JSON `settings`, runs `work` on it with the GIL released, writes the
/// outcome to `out` when given and returns it as a dict.
fn go<'py, S, R>(
    py: Python<'py>,
    name: &str,
    settings: &str,
    out: Option<PathBuf>,
    work: impl FnOnce(&S) -> inversa_lab::Result<Outcome<R>> + Send,
) -> PyResult<Bound<'py, PyDict>>
where
    S: DeserializeOwned + Sync,
    R: Serialize + Send + Sync,
{
    let settings: S = serde_json::from_str(settings).map_err(|e| {
        let message = format!("{name}: {e}");
        if message.contains("unknown field") {
            pyo3::exceptions::PyKeyError::new_err(message)
        } else {
            errors::value("settings", message)
        }
    })?;
    let outcome = py.detach(|| work(&settings)).map_err(errors::lab)?;
    if let Some(dir) = out {
        py.detach(|| outcome.write(&dir)).map_err(errors::lab)?;
    }
    outcome_dict(py, outcome)
}
