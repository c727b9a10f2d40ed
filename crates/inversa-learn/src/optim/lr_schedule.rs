//! Learning-rate schedules: a linear warm-up to the peak rate, then cosine annealing to zero
//! (Loshchilov, Hutter, "SGDR: Stochastic gradient descent with warm restarts", ICLR 2017,
//! arXiv:1608.03983, eq. (5) with one cycle and `η_min = 0`) or step decay.
//!
//! The rate is a pure function of the step, so a resumed run follows the same schedule.

/// What happens after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decay {
    /// `η_t = η · ½(1 + cos(π p))`, `p` the fraction of post-warm-up steps done.
    Cosine,
    /// `η_t = η · factorᵏ` after `k·every` post-warm-up steps.
    Step { every: usize, factor: f64 },
}

/// The learning rate of every step of a run of `steps` steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    pub peak: f64,
    pub warmup: usize,
    pub decay: Decay,
    pub steps: usize,
}

impl Schedule {
    /// The rate at `step` (0-based): `peak·(step+1)/warmup` during the warm-up, then the decay.
    ///
    /// ```
    /// use inversa_learn::optim::lr_schedule::{Decay, Schedule};
    /// let s = Schedule { peak: 1e-3, warmup: 10, decay: Decay::Cosine, steps: 110 };
    /// assert_eq!(s.rate(4), 5e-4);
    /// assert!((s.rate(60) - 5e-4).abs() < 1e-12); // half-way through the cosine
    /// ```
    pub fn rate(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.peak * (step + 1) as f64 / self.warmup as f64;
        }
        let done = step - self.warmup;
        match self.decay {
            Decay::Cosine => {
                // Float division: an integer ratio would jump from 1 to 0 in one step.
                let p = done as f64 / self.steps.saturating_sub(self.warmup).max(1) as f64;
                self.peak * 0.5 * (1.0 + (std::f64::consts::PI * p.min(1.0)).cos())
            }
            Decay::Step { every, factor } => {
                self.peak * factor.powi((done / every.max(1)).min(i32::MAX as usize) as i32)
            }
        }
    }
}
