//! Cycle spinning: the wavelet-ℓ1 prox applied at a fresh circular shift of the image on every call,
//! `prox(v) = S₋ₛ prox_{τR}(Sₛ v)` with `s` drawn in `[0, 2^levels)²` (Coifman & Donoho,
//! "Translation-invariant de-noising", 1995; used inside iterative reconstruction by Figueiredo &
//! Nowak, and by BART's `pics`, whose random wavelet shifts `-n` turns off). An orthogonal wavelet
//! basis is not translation invariant, so a fixed one leaves blocky artefacts aligned with its grid;
//! averaging over shifts across the iterations removes them.
//!
//! Each call is the exact prox of a shifted penalty `R(Sₛ ·)`, so the iteration minimises no single
//! objective: FISTA and ISTA with it are heuristics, as in BART. The value reported is the unshifted
//! `R`. The shifts come from a counter hashed with the task's seed, so runs are reproducible.

use super::Prior;
use crate::real::Real;
use std::sync::atomic::{AtomicU64, Ordering};

/// A prior (the wavelet-ℓ1 of [`super::wavelet`]) with a new circular shift at every prox.
pub struct CycleSpinning<T: Real> {
    inner: Box<dyn Prior<T>>,
    /// `[C, H, W]`.
    shape: [usize; 3],
    /// Shifts are drawn in `[0, period)` along each axis (`2^levels`: one full cycle of the
    /// coarsest level's grid).
    period: usize,
    seed: u64,
    calls: AtomicU64,
}

impl<T: Real> CycleSpinning<T> {
    /// Spins `inner` on `[C, H, W]` images with shifts in `[0, period)²`.
    pub fn new(inner: Box<dyn Prior<T>>, shape: [usize; 3], period: usize, seed: u64) -> Self {
        Self {
            inner,
            shape,
            period: period.max(1),
            seed,
            calls: AtomicU64::new(0),
        }
    }

    /// The shift of the `call`-th prox (a SplitMix64 hash of the call and the seed).
    pub fn shift(&self, call: u64) -> (usize, usize) {
        let mut z = call
            .wrapping_add(self.seed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let p = self.period as u64;
        ((z % p) as usize, ((z / p) % p) as usize)
    }

    /// `out = x` circularly shifted by `(dy, dx)` in every channel.
    fn roll(&self, x: &[T], (dy, dx): (usize, usize), out: &mut [T]) {
        let [_, h, w] = self.shape;
        for (src, dst) in x.chunks(h * w).zip(out.chunks_mut(h * w)) {
            for (p, v) in src.iter().enumerate() {
                dst[((p / w + dy) % h) * w + (p % w + dx) % w] = *v;
            }
        }
    }
}

impl<T: Real> Prior<T> for CycleSpinning<T> {
    fn value(&self, x: &[T]) -> f64 {
        self.inner.value(x)
    }

    fn prox(&self, v: &[T], tau: T, out: &mut [T]) {
        let [_, h, w] = self.shape;
        let (dy, dx) = self.shift(self.calls.fetch_add(1, Ordering::Relaxed));
        let mut shifted = v.to_vec();
        self.roll(v, (dy % h, dx % w), &mut shifted);
        let mut result = vec![T::zero(); v.len()];
        self.inner.prox(&shifted, tau, &mut result);
        self.roll(&result, ((h - dy % h) % h, (w - dx % w) % w), out);
    }
}
