//! The one list of gradient attacks, walked by `inversa attack gradient`, the gradient-inversion
//! audit of `inversa-lab` and the attack tests.

use super::dlg::Dlg;
use super::dropout_inversion::DropoutInversion;
use super::idlg::Idlg;
use super::inverting_gradients::{self, InvertingGradients};
use super::GradientAttack;
use crate::optim::lbfgs::Lbfgs;

/// A registered gradient attack: its name, a one-line summary, what it can attack, and its
/// builder.
pub struct AttackEntry {
    /// The `--method` value.
    pub name: &'static str,
    /// One line for the CLI's help.
    pub summary: &'static str,
    /// Optimisation steps when the caller names none.
    pub iterations: usize,
    /// Whether it rebuilds batches of more than one image.
    pub batches: bool,
    /// Whether it inverts the weight change of a client that trained locally (FedAvg).
    pub fedavg: bool,
    /// The attack with `iterations` steps, its other settings at their defaults.
    pub build: fn(iterations: usize) -> Box<dyn GradientAttack>,
}

/// Every gradient attack.
pub fn attacks() -> Vec<AttackEntry> {
    vec![
        AttackEntry {
            name: "dlg",
            summary: "Deep Leakage from Gradients: L2 matching with L-BFGS, labels optimised too",
            iterations: 300,
            batches: true,
            fedavg: false,
            build: |iterations| {
                Box::new(Dlg {
                    lbfgs: lbfgs(iterations),
                })
            },
        },
        AttackEntry {
            name: "idlg",
            summary: "DLG with the label read off the last layer's gradient first",
            iterations: 300,
            batches: false,
            fedavg: false,
            build: |iterations| {
                Box::new(Idlg {
                    lbfgs: lbfgs(iterations),
                })
            },
        },
        AttackEntry {
            name: "ig",
            summary: "Inverting Gradients: cosine matching + TV, signed Adam",
            iterations: 1000,
            batches: true,
            fedavg: true,
            build: |iterations| {
                Box::new(InvertingGradients {
                    settings: adam(iterations),
                })
            },
        },
        AttackEntry {
            name: "dia",
            summary:
                "Dropout Inversion Attack: Inverting Gradients that also recovers the dropout masks",
            iterations: 1000,
            batches: true,
            fedavg: false,
            build: |iterations| {
                Box::new(DropoutInversion {
                    settings: adam(iterations),
                })
            },
        },
    ]
}

/// Looks up an attack by its name.
pub fn find(name: &str) -> Option<AttackEntry> {
    attacks().into_iter().find(|e| e.name == name)
}

/// The names of all attacks, for error messages.
pub fn names() -> Vec<&'static str> {
    attacks().iter().map(|e| e.name).collect()
}

fn lbfgs(iterations: usize) -> Lbfgs {
    Lbfgs {
        iterations,
        ..Lbfgs::default()
    }
}

fn adam(iterations: usize) -> inverting_gradients::Settings {
    inverting_gradients::Settings {
        iterations,
        ..inverting_gradients::Settings::default()
    }
}
