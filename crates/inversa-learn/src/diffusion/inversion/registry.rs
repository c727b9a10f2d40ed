//! The one list of inversion methods, walked by the command line (`--method`), `inversa list`,
//! the editing experiment and the tests.

use super::{bdia, ddcm, ddim, edict, null_text, rectified_flow, rf_solver, spdinv};
use super::{Flow, Inverter, Model, ModelKind, Settings};
use crate::Result;

/// Builds a method's inverter on a model (refused, naming `method`, if it is of the wrong kind).
pub type Build = for<'a> fn(Model<'a>, &Settings) -> Result<Box<dyn Inverter + 'a>>;

/// A registered inversion method.
pub struct InverterEntry {
    /// The `--method` value.
    pub name: &'static str,
    /// One line for `inversa list`.
    pub summary: &'static str,
    /// The kind of model it runs on.
    pub kind: ModelKind,
    /// Whether regenerating its own inversion with the same class returns the input to
    /// round-off (any guidance, any number of steps).
    pub exact: bool,
    pub build: Build,
}

/// Every inversion method, diffusion first, in the order of the editing experiment's table.
pub fn inverters() -> Vec<InverterEntry> {
    vec![
        InverterEntry {
            name: "ddim",
            summary: "DDIM inversion, the approximate baseline (Song, Meng, Ermon 2021)",
            kind: ModelKind::Diffusion,
            exact: false,
            build: |m, s| Ok(Box::new(ddim::Ddim::new(m, s)?)),
        },
        InverterEntry {
            name: "edict",
            summary: "exact inversion by two coupled sequences (Wallace, Gokul, Naik 2023)",
            kind: ModelKind::Diffusion,
            exact: true,
            build: |m, s| Ok(Box::new(edict::Edict::new(m, s)?)),
        },
        InverterEntry {
            name: "bdia",
            summary: "exact inversion by bi-directional integration (Zhang, Lewis, Kleijn 2024)",
            kind: ModelKind::Diffusion,
            exact: true,
            build: |m, s| Ok(Box::new(bdia::Bdia::new(m, s)?)),
        },
        InverterEntry {
            name: "null-text",
            summary: "DDIM pivot with per-step tuned null conditions (Mokady et al. 2023)",
            kind: ModelKind::Diffusion,
            exact: false,
            build: |m, s| Ok(Box::new(null_text::NullText::new(m, s)?)),
        },
        InverterEntry {
            name: "spdinv",
            summary: "implicit DDIM inversion by a fixed-point search per step (Li et al. 2024)",
            kind: ModelKind::Diffusion,
            exact: false,
            build: |m, s| Ok(Box::new(spdinv::SpdInv::new(m, s)?)),
        },
        InverterEntry {
            name: "ddcm",
            summary: "virtual inversion: edits without inverting (InfEdit, Xu et al. 2024)",
            kind: ModelKind::Diffusion,
            exact: true,
            build: |m, s| Ok(Box::new(ddcm::Ddcm::new(m, s)?)),
        },
        InverterEntry {
            name: "euler",
            summary: "rectified flow integrated by Euler steps (Liu, Gong, Liu 2023)",
            kind: ModelKind::Flow,
            exact: false,
            build: |m, s| Ok(Box::new(Flow::new(m, s, "euler", rectified_flow::euler)?)),
        },
        InverterEntry {
            name: "rf-solver",
            summary: "second-order rectified-flow solver (Wang et al. 2024)",
            kind: ModelKind::Flow,
            exact: false,
            build: |m, s| {
                Ok(Box::new(Flow::new(
                    m,
                    s,
                    "rf-solver",
                    rf_solver::integrate,
                )?))
            },
        },
    ]
}

/// Looks up a method by its `--method` name.
pub fn find(name: &str) -> Option<InverterEntry> {
    inverters().into_iter().find(|e| e.name == name)
}

/// The names of the methods that run on `kind`, for messages.
pub fn names(kind: ModelKind) -> Vec<&'static str> {
    inverters()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.name)
        .collect()
}
