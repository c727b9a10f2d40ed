//! Adam (Kingma, Ba, "Adam: A method for stochastic optimization", ICLR 2015, arXiv:1412.6980,
//! Algorithm 1) without weight decay, with its moments open for checkpoints.
//!
//! With gradient `g` at step `t` and learning rate `α_t`:
//! `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − α_t · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`.
//!
//! candle-nn's `AdamW` computes the same update (with weight decay 0) but keeps `m`, `v` private,
//! so a run resumed from its checkpoint would restart them from zero and drift from the
//! uninterrupted run. Here [`Adam::state`] and [`Adam::restore`] save and reload them, and a resumed
//! run reproduces the uninterrupted one exactly.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use std::collections::HashMap;

/// `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, the paper's defaults.
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-8;

/// One optimised variable and its moment estimates.
struct Slot {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
}

/// Adam over named variables.
pub struct Adam {
    slots: Vec<Slot>,
    step: usize,
    beta1: f64,
}

impl Adam {
    /// Adam over `vars` (name, variable), with zero moments at step 0.
    pub fn new(vars: Vec<(String, Var)>) -> Result<Self> {
        Self::with_beta1(vars, BETA1)
    }

    /// Adam with first-moment decay `beta1` instead of 0.9 (GANs train with 0.5: Radford et al.,
    /// ICLR 2016, §4).
    pub fn with_beta1(mut vars: Vec<(String, Var)>, beta1: f64) -> Result<Self> {
        // A fixed order makes the checkpoint's key order, and any error, reproducible.
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                let zeros = var.as_tensor().zeros_like()?;
                Ok(Slot {
                    name,
                    m: zeros.clone(),
                    v: zeros,
                    var,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            slots,
            step: 0,
            beta1,
        })
    }

    /// One update of every variable that has a gradient in `grads`, at learning rate `rate`.
    pub fn step(&mut self, grads: &GradStore, rate: f64) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let beta1 = self.beta1;
        let m_scale = 1.0 / (1.0 - beta1.powi(t));
        let v_scale = 1.0 / (1.0 - BETA2.powi(t));
        for slot in &mut self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            slot.m = ((&slot.m * beta1)? + (g * (1.0 - beta1))?)?;
            slot.v = ((&slot.v * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
            let denominator = ((&slot.v * v_scale)?.sqrt()? + EPSILON)?;
            let update = ((&slot.m * (m_scale * rate))? / denominator)?;
            slot.var.set(&(slot.var.as_tensor() - update)?)?;
        }
        Ok(())
    }

    /// The moments as `m.<name>` and `v.<name>` tensors, for a checkpoint.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        self.slots
            .iter()
            .flat_map(|s| {
                [
                    (format!("m.{}", s.name), s.m.clone()),
                    (format!("v.{}", s.name), s.v.clone()),
                ]
            })
            .collect()
    }

    /// Reloads the moments written by [`Adam::state`] after `step` steps.
    pub fn restore(&mut self, state: &HashMap<String, Tensor>, step: usize) -> Result<()> {
        for slot in &mut self.slots {
            for (prefix, moment) in [("m", &mut slot.m), ("v", &mut slot.v)] {
                let key = format!("{prefix}.{}", slot.name);
                let Some(saved) = state.get(&key) else {
                    candle_core::bail!("the optimizer state has no tensor {key:?}");
                };
                if saved.dims() != moment.dims() {
                    candle_core::bail!(
                        "the optimizer state's {key:?} has shape {:?}, the network needs {:?}",
                        saved.dims(),
                        moment.dims()
                    );
                }
                *moment = saved.clone();
            }
        }
        self.step = step;
        Ok(())
    }
}

/// Adam's moments for one tensor outside any checkpoint (the attacks' images and masks, Null-text's
/// null condition): [`TensorAdam::step`] returns the update to add.
pub struct TensorAdam {
    first: Tensor,
    second: Tensor,
}

impl TensorAdam {
    /// Zero moments shaped like `like`.
    pub fn new(like: &Tensor) -> Result<Self> {
        Ok(Self {
            first: like.zeros_like()?,
            second: like.zeros_like()?,
        })
    }

    /// The update `−rate · m̂/(√v̂ + ε)` for gradient `g` at step `n` (from 1).
    pub fn step(&mut self, g: &Tensor, n: i32, rate: f64) -> Result<Tensor> {
        self.first = ((&self.first * BETA1)? + (g * (1.0 - BETA1))?)?;
        self.second = ((&self.second * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
        let corrected = (&self.first / (1.0 - BETA1.powi(n)))?;
        let scale = ((&self.second / (1.0 - BETA2.powi(n)))?.sqrt()? + EPSILON)?;
        (corrected / scale)? * (-rate)
    }
}
