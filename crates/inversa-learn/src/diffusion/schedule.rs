//! Noise schedules of a variance-preserving diffusion, `x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε`,
//! `ᾱ_t = Π_{s≤t} (1 − β_s)` for `t = 0 … T−1`, and the grid of timesteps a sampler visits.
//!
//! - linear (Ho, Jain, Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020,
//!   arXiv:2006.11239): `β` evenly spaced from `10⁻⁴` to `0.02`;
//! - scaled-linear (the Stable Diffusion schedule; Rombach et al., "High-Resolution Image
//!   Synthesis with Latent Diffusion Models", CVPR 2022, arXiv:2112.10752): `√β` evenly spaced
//!   from `√0.00085` to `√0.012`;
//! - cosine (Nichol, Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML 2021,
//!   arXiv:2102.09672, eq. 17): `f(u) = cos²(π/2 · (u + s)/(1 + s))`, `s = 0.008`,
//!   `β_t = min(1 − f((t+1)/T) / f(t/T), 0.999)`, so `ᾱ_t = f((t+1)/T) / f(0)` until the clip.
//!
//! A sampler with `S` steps visits the "leading" timesteps `τ_i = i·⌊T/S⌋ + offset`
//! (`i = 0 … S−1`, as diffusers' `timestep_spacing = "leading"`), and finally a clean level. The
//! [`Grid`] numbers these levels `k = 0 … S`: level 0 is clean (`ᾱ = 1`, or `ᾱ_0` as Stable
//! Diffusion's `set_alpha_to_one = false`), level `k ≥ 1` is timestep `τ_{k−1}`.

use super::bad;
use crate::Result;

/// `ᾱ_t` for `t = 0 … T−1`.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseSchedule {
    alpha_bars: Vec<f64>,
}

impl NoiseSchedule {
    /// The schedule of the given `β_t`, each in `(0, 1)`.
    pub fn from_betas(betas: &[f64]) -> Result<Self> {
        if betas.len() < 2 {
            return Err(bad("schedule.steps", "needs at least 2 timesteps"));
        }
        if let Some(b) = betas.iter().find(|b| !(**b > 0.0 && **b < 1.0)) {
            return Err(bad("schedule.beta", format!("{b} is not in (0, 1)")));
        }
        let mut product = 1.0;
        let alpha_bars = betas
            .iter()
            .map(|b| {
                product *= 1.0 - b;
                product
            })
            .collect();
        Ok(Self { alpha_bars })
    }

    /// DDPM's linear schedule over `steps` timesteps.
    ///
    /// ```
    /// use inversa_learn::diffusion::NoiseSchedule;
    /// let s = NoiseSchedule::linear(1000).unwrap();
    /// assert!((s.alpha_bars()[0] - (1.0 - 1e-4)).abs() < 1e-15);
    /// ```
    pub fn linear(steps: usize) -> Result<Self> {
        Self::from_betas(&evenly_spaced(1e-4, 0.02, steps))
    }

    /// Stable Diffusion's scaled-linear schedule over `steps` timesteps.
    pub fn scaled_linear(steps: usize) -> Result<Self> {
        let roots = evenly_spaced(0.00085f64.sqrt(), 0.012f64.sqrt(), steps);
        Self::from_betas(&roots.iter().map(|r| r * r).collect::<Vec<_>>())
    }

    /// The cosine schedule over `steps` timesteps, `β` clipped at 0.999.
    pub fn cosine(steps: usize) -> Result<Self> {
        let f = |t: usize| cosine_signal(t as f64 / steps as f64);
        let betas: Vec<f64> = (0..steps)
            .map(|t| (1.0 - f(t + 1) / f(t)).min(0.999))
            .collect();
        Self::from_betas(&betas)
    }

    /// `T`, the number of training timesteps.
    pub fn len(&self) -> usize {
        self.alpha_bars.len()
    }

    /// Never true: a schedule has at least two timesteps.
    pub fn is_empty(&self) -> bool {
        self.alpha_bars.is_empty()
    }

    /// `ᾱ_t` for `t = 0 … T−1`.
    pub fn alpha_bars(&self) -> &[f64] {
        &self.alpha_bars
    }

    /// The `steps` leading timesteps `i·⌊T/steps⌋ + offset`, largest first.
    ///
    /// ```
    /// use inversa_learn::diffusion::NoiseSchedule;
    /// let s = NoiseSchedule::linear(1000).unwrap();
    /// assert_eq!(s.leading_timesteps(4, 1).unwrap(), vec![751, 501, 251, 1]);
    /// ```
    pub fn leading_timesteps(&self, steps: usize, offset: usize) -> Result<Vec<usize>> {
        let total = self.len();
        if steps == 0 || steps > total {
            return Err(bad("steps", format!("{steps} is not in 1 … {total}")));
        }
        let ratio = total / steps;
        if (steps - 1) * ratio + offset >= total {
            return Err(bad(
                "offset",
                format!("{offset} puts the last timestep past {total}"),
            ));
        }
        Ok((0..steps).rev().map(|i| i * ratio + offset).collect())
    }

    /// The grid of `steps` leading timesteps (offset 0) ending at a clean level (`ᾱ = 1`).
    pub fn grid(&self, steps: usize) -> Result<Grid> {
        Grid::new(self, &self.leading_timesteps(steps, 0)?, 1.0)
    }
}

/// `f(u) = cos²(π/2 · (u + s)/(1 + s))` with `s = 0.008`.
fn cosine_signal(u: f64) -> f64 {
    let s = 0.008;
    ((u + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2)
        .cos()
        .powi(2)
}

/// `n` values evenly spaced from `first` to `last` inclusive.
fn evenly_spaced(first: f64, last: f64, n: usize) -> Vec<f64> {
    let step = (last - first) / (n.max(2) - 1) as f64;
    (0..n).map(|i| first + step * i as f64).collect()
}

/// The levels a sampler visits: level 0 clean, level `k ≥ 1` at a model timestep.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// `timesteps[k−1]` is the model timestep of level `k` (increasing with `k`).
    timesteps: Vec<usize>,
    /// `ᾱ` of levels `0 … S`.
    alpha_bars: Vec<f64>,
}

impl Grid {
    /// The grid of `timesteps` (largest first, strictly decreasing, each `< T`), preceded by a
    /// clean level of `final_alpha_bar` (`1`, or `ᾱ_0` as Stable Diffusion).
    pub fn new(
        schedule: &NoiseSchedule,
        timesteps: &[usize],
        final_alpha_bar: f64,
    ) -> Result<Self> {
        let mut timesteps = timesteps.to_vec();
        timesteps.reverse();
        if timesteps.is_empty() || timesteps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad(
                "timesteps",
                "must be non-empty and strictly decreasing",
            ));
        }
        if *timesteps.last().unwrap_or(&0) >= schedule.len() {
            return Err(bad(
                "timesteps",
                format!("must be below {}", schedule.len()),
            ));
        }
        if !(final_alpha_bar > 0.0 && final_alpha_bar <= 1.0) {
            return Err(bad(
                "final_alpha_bar",
                format!("{final_alpha_bar} is not in (0, 1]"),
            ));
        }
        let alpha_bars = std::iter::once(final_alpha_bar)
            .chain(timesteps.iter().map(|&t| schedule.alpha_bars[t]))
            .collect();
        Ok(Self {
            timesteps,
            alpha_bars,
        })
    }

    /// `S`, the number of steps between the noisiest level and the clean one.
    pub fn steps(&self) -> usize {
        self.timesteps.len()
    }

    /// `ᾱ` of level `k` (`0 … S`).
    pub fn alpha_bar(&self, k: usize) -> f64 {
        self.alpha_bars[k]
    }

    /// The model timestep of level `k` (`1 … S`).
    pub fn timestep(&self, k: usize) -> usize {
        self.timesteps[k - 1]
    }

    /// `(a, b)` of the DDIM move from level `from` to level `to` with noise estimate `ε`:
    /// `z_to = a z_from + b ε`, `a = √(ᾱ_to/ᾱ_from)`, `b = √(1−ᾱ_to) − a √(1−ᾱ_from)`
    /// (Song, Meng, Ermon, "Denoising Diffusion Implicit Models", ICLR 2021, eq. 12, η = 0).
    pub fn ddim_coefficients(&self, from: usize, to: usize) -> (f64, f64) {
        let (from, to) = (self.alpha_bars[from], self.alpha_bars[to]);
        let a = (to / from).sqrt();
        (a, (1.0 - to).sqrt() - a * (1.0 - from).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ends_are_direct_products() {
        let s = NoiseSchedule::linear(1000).unwrap();
        let beta = |t: usize| 1e-4 + (0.02 - 1e-4) * t as f64 / 999.0;
        let last: f64 = (0..1000).map(|t| 1.0 - beta(t)).product();
        assert!((s.alpha_bars()[0] - (1.0 - 1e-4)).abs() < 1e-15);
        assert!((s.alpha_bars()[999] / last - 1.0).abs() < 1e-10);
        // ln ᾱ_{T−1} ≈ −Σβ − Σβ²/2 ≈ −10.05 − 0.13: ᾱ_{T−1} ≈ 4.0e-5.
        assert!((s.alpha_bars()[999] - 4.0358e-5).abs() < 1e-8);
    }

    #[test]
    fn scaled_linear_ends() {
        let s = NoiseSchedule::scaled_linear(1000).unwrap();
        assert!((s.alpha_bars()[0] - (1.0 - 0.00085)).abs() < 1e-15);
        let root =
            |t: usize| 0.00085f64.sqrt() + (0.012f64.sqrt() - 0.00085f64.sqrt()) * t as f64 / 999.0;
        let last: f64 = (0..1000).map(|t| 1.0 - root(t).powi(2)).product();
        assert!((s.alpha_bars()[999] / last - 1.0).abs() < 1e-10);
    }

    #[test]
    fn cosine_matches_its_closed_form_until_the_clip() {
        let total = 1000;
        let s = NoiseSchedule::cosine(total).unwrap();
        let f = |u: f64| {
            ((u + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        for t in [0, 1, 100, 500, 900, 990] {
            let closed = f((t + 1) as f64 / total as f64) / f(0.0);
            assert!((s.alpha_bars()[t] / closed - 1.0).abs() < 1e-9, "t = {t}");
        }
        // f(1) = 0 makes the last β one; the clip keeps it at 0.999.
        let last = s.alpha_bars()[total - 1] / s.alpha_bars()[total - 2];
        assert!((last - 0.001).abs() < 1e-12);
    }

    #[test]
    fn schedules_decrease_strictly() {
        for s in [
            NoiseSchedule::linear(1000).unwrap(),
            NoiseSchedule::scaled_linear(1000).unwrap(),
            NoiseSchedule::cosine(1000).unwrap(),
        ] {
            let a = s.alpha_bars();
            assert!(a[0] < 1.0 && a.windows(2).all(|w| w[1] < w[0]) && a[999] > 0.0);
        }
    }

    #[test]
    fn grid_levels_and_coefficients() {
        let s = NoiseSchedule::linear(1000).unwrap();
        let g = s.grid(10).unwrap();
        assert_eq!(g.steps(), 10);
        assert_eq!((g.timestep(1), g.timestep(10)), (0, 900));
        assert_eq!(g.alpha_bar(0), 1.0);
        assert_eq!(g.alpha_bar(3), s.alpha_bars()[200]);
        // The DDIM move and its reverse compose to the identity on the (x̂₀, ε) pair.
        let (a, b) = g.ddim_coefficients(5, 2);
        let (c, d) = g.ddim_coefficients(2, 5);
        assert!((a * c - 1.0).abs() < 1e-14 && (c * b + d).abs() < 1e-14);
        assert!(s.leading_timesteps(0, 0).is_err() && s.leading_timesteps(1001, 0).is_err());
        assert!(s.leading_timesteps(10, 100).is_err());
        assert!(Grid::new(&s, &[5, 5], 1.0).is_err() && Grid::new(&s, &[1000], 1.0).is_err());
    }
}
