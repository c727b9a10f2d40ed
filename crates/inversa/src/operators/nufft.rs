//! The non-uniform FFT of a complex `h × w` image at arbitrary k-space points, by Kaiser–Bessel
//! gridding on a twice-oversampled grid (Fessler, Sutton, "Nonuniform fast Fourier transforms using
//! min-max interpolation", IEEE TSP 2003, for the framework; Beatty, Nishimura, Pauly, "Rapid
//! gridding reconstruction with a minimal oversampling ratio", IEEE TMI 2005, for the kernel's `β`).
//!
//! The transform it approximates, for points `k_m = (k_y, k_x)` in cycles per pixel, `[−½, ½)²`,
//! and pixels `t = (n_y − ⌊h/2⌋, n_x − ⌊w/2⌋)` counted from the image centre:
//!
//! ```text
//! y_m = (1/√(hw)) Σ_n x_n exp(−2πi k_m · t_n)
//! ```
//!
//! (unitary scaling, as the Cartesian [`super::mri`] model). Three steps, each with an exact
//! transpose, so the adjoint (spread, inverse FFT, crop and weigh) is exact to round-off:
//!
//! ```text
//! 1. x̃_t = x_t / (φ̂(t_y/G_y) φ̂(t_x/G_x)),  placed at t mod G on the G_y × G_x = 2h × 2w grid
//! 2. X_j = Σ_t x̃_t exp(−2πi j·t/G)          (unnormalised FFT of the grid)
//! 3. y_m = Σ_j φ(u_y − j_y) φ(u_x − j_x) X_{j mod G},  u = k_m G, over the W × W nearest j
//! ```
//!
//! with the Kaiser–Bessel kernel `φ(s) = I₀(β√(1 − (2s/W)²))/I₀(β)` on `|s| ≤ W/2`,
//! `β = π√(W²/α²·(α − ½)² − 0.8)` at oversampling `α = 2`, and its Fourier transform
//! `φ̂(ν) = W sinh(√(β² − (πWν)²))/(√(β² − (πWν)²) I₀(β))`. By Poisson summation step 3 is the
//! exact transform times `φ̂(t/G)` plus aliases that the kernel suppresses, so step 1 divides it
//! out. The error falls about tenfold per extra tap: against the direct sum ([`Nufft::direct`]) at
//! 300 random points of a random complex 32 × 28 image, the relative error is 6.3e-2, 6.4e-4,
//! 7.3e-6 and 7.9e-8 for `W` = 2, 4, 6 and 8 (tests).

use super::fft2::Fft2;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use num_complex::Complex;
use rayon::prelude::*;
use std::f64::consts::PI;

/// The kernel widths accepted, in grid cells, and the default.
pub const KERNEL_WIDTHS: std::ops::RangeInclusive<usize> = 2..=8;

/// The default kernel width: relative error near 1e-5 (the module's table).
pub const DEFAULT_KERNEL_WIDTH: usize = 6;

/// Grid oversampling: `G = 2h × 2w`.
const OVERSAMPLING: usize = 2;

/// The W interpolation weights of one point along one axis, from grid index `start`.
#[derive(Clone, Debug)]
struct Taps {
    start: i64,
    weights: Vec<f64>,
}

/// A planned NUFFT for one image size and one set of points.
pub struct Nufft<T: Real> {
    height: usize,
    width: usize,
    grid: (usize, usize),
    fft: Fft2<T>,
    /// Per point, the taps along y and along x.
    taps: Vec<(Taps, Taps)>,
    /// Per image pixel, `1/(φ̂ φ̂ √(hw))`: step 1's weight and the unitary scale.
    weight: Vec<T>,
    points: Vec<[f64; 2]>,
}

impl<T: Real> Nufft<T> {
    /// Plans the transform of `height × width` images at `points` (`[k_y, k_x]`, cycles per
    /// pixel, each in `[−½, ½)`) with a kernel `kernel_width` cells wide.
    pub fn new(
        height: usize,
        width: usize,
        points: Vec<[f64; 2]>,
        kernel_width: usize,
    ) -> Result<Self> {
        if !KERNEL_WIDTHS.contains(&kernel_width) {
            return Err(Error::config(
                "kernel_width",
                format!("must be in {KERNEL_WIDTHS:?} grid cells, got {kernel_width}"),
            ));
        }
        if let Some(message) = super::trajectory::first_outside(&points) {
            return Err(Error::config("trajectory", message));
        }
        let grid = (OVERSAMPLING * height, OVERSAMPLING * width);
        // The taps (W weights, a start and a vector header per point and axis) and the grids that
        // `forward` and each of `adjoint`'s threads fill.
        crate::memory::check_array("trajectory", &[points.len(), 2 * kernel_width + 8], 8, 1)?;
        let threads = rayon::current_num_threads() + 1;
        crate::memory::check_array("shape", &[grid.0, grid.1], 2 * size_of::<T>(), threads)?;
        let kernel = Kernel::new(kernel_width);
        let taps = points
            .iter()
            .map(|k| {
                (
                    kernel.taps(k[0] * grid.0 as f64),
                    kernel.taps(k[1] * grid.1 as f64),
                )
            })
            .collect();
        let scale = 1.0 / ((height * width) as f64).sqrt();
        let along = |n: usize, g: usize| -> Vec<f64> {
            (0..n)
                .map(|i| kernel.transform((i as f64 - (n / 2) as f64) / g as f64))
                .collect()
        };
        let (wy, wx) = (along(height, grid.0), along(width, grid.1));
        let weight = wy
            .iter()
            .flat_map(|a| wx.iter().map(move |b| lit(scale / (a * b))))
            .collect();
        Ok(Self {
            height,
            width,
            grid,
            fft: Fft2::new(grid.0, grid.1),
            taps,
            weight,
            points,
        })
    }

    /// The number of k-space points.
    pub fn points(&self) -> usize {
        self.taps.len()
    }

    /// `y = N x` for a complex `h × w` image `x`, one value per point.
    pub fn forward(&self, image: &[Complex<T>], out: &mut [Complex<T>]) {
        let mut grid = vec![Complex::new(T::zero(), T::zero()); self.grid.0 * self.grid.1];
        self.for_each_pixel(|pixel, cell| grid[cell] = image[pixel] * self.weight[pixel]);
        self.fft.forward(&mut grid);
        out.par_iter_mut()
            .zip(&self.taps)
            .for_each(|(y, (ty, tx))| *y = self.interpolate(&grid, ty, tx));
    }

    /// `x = N* y`, the exact adjoint of [`Nufft::forward`].
    pub fn adjoint(&self, values: &[Complex<T>], image: &mut [Complex<T>]) {
        let cells = self.grid.0 * self.grid.1;
        let zero = vec![Complex::new(T::zero(), T::zero()); cells];
        // Points spread onto overlapping cells: each thread sums into a grid of its own.
        let mut grid = values
            .par_iter()
            .zip(&self.taps)
            .fold(
                || zero.clone(),
                |mut grid, (y, (ty, tx))| {
                    self.spread(&mut grid, *y, ty, tx);
                    grid
                },
            )
            .reduce(
                || zero.clone(),
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(a, b)| *a = *a + *b);
                    a
                },
            );
        self.fft.inverse(&mut grid);
        self.for_each_pixel(|pixel, cell| image[pixel] = grid[cell] * self.weight[pixel]);
    }

    /// `C w`: the real `weights` spread onto the oversampled grid with the kernel and
    /// interpolated back at the points, the positive, compact convolution of the samples' density
    /// that Pipe–Menon density compensation divides by ([`super::density_compensation`]).
    pub fn density_convolution(&self, weights: &[T]) -> Vec<T> {
        let mut grid = vec![Complex::new(T::zero(), T::zero()); self.grid.0 * self.grid.1];
        for (w, (ty, tx)) in weights.iter().zip(&self.taps) {
            self.spread(&mut grid, Complex::new(*w, T::zero()), ty, tx);
        }
        self.taps
            .par_iter()
            .map(|(ty, tx)| self.interpolate(&grid, ty, tx).re)
            .collect()
    }

    /// The sum the transform approximates, `O(M h w)`: the reference for the tests.
    pub fn direct(&self, image: &[Complex<T>]) -> Vec<Complex<f64>> {
        let scale = 1.0 / ((self.height * self.width) as f64).sqrt();
        let (cy, cx) = ((self.height / 2) as f64, (self.width / 2) as f64);
        self.points
            .par_iter()
            .map(|k| {
                let mut sum = Complex::new(0.0, 0.0);
                for (pixel, x) in image.iter().enumerate() {
                    let t_y = (pixel / self.width) as f64 - cy;
                    let t_x = (pixel % self.width) as f64 - cx;
                    let phase = -2.0 * PI * (k[0] * t_y + k[1] * t_x);
                    let x = Complex::new(
                        x.re.to_f64().unwrap_or(f64::NAN),
                        x.im.to_f64().unwrap_or(f64::NAN),
                    );
                    sum += x * Complex::from_polar(scale, phase);
                }
                sum
            })
            .collect()
    }

    /// Calls `f(pixel, cell)` for each image pixel and the grid cell `t mod G` it sits on.
    fn for_each_pixel(&self, mut f: impl FnMut(usize, usize)) {
        let (gy, gx) = self.grid;
        let wrap = |n: usize, size: usize, g: usize| (n + g - size / 2) % g;
        for ny in 0..self.height {
            let row = wrap(ny, self.height, gy) * gx;
            for nx in 0..self.width {
                f(ny * self.width + nx, row + wrap(nx, self.width, gx));
            }
        }
    }

    fn interpolate(&self, grid: &[Complex<T>], ty: &Taps, tx: &Taps) -> Complex<T> {
        let (gy, gx) = (self.grid.0 as i64, self.grid.1 as i64);
        let mut sum = Complex::new(T::zero(), T::zero());
        for (a, wy) in ty.weights.iter().enumerate() {
            let row = (ty.start + a as i64).rem_euclid(gy) as usize * gx as usize;
            let mut line = Complex::new(T::zero(), T::zero());
            for (b, wx) in tx.weights.iter().enumerate() {
                let col = (tx.start + b as i64).rem_euclid(gx) as usize;
                line = line + grid[row + col] * lit::<T>(*wx);
            }
            sum = sum + line * lit::<T>(*wy);
        }
        sum
    }

    fn spread(&self, grid: &mut [Complex<T>], value: Complex<T>, ty: &Taps, tx: &Taps) {
        let (gy, gx) = (self.grid.0 as i64, self.grid.1 as i64);
        for (a, wy) in ty.weights.iter().enumerate() {
            let row = (ty.start + a as i64).rem_euclid(gy) as usize * gx as usize;
            let scaled = value * lit::<T>(*wy);
            for (b, wx) in tx.weights.iter().enumerate() {
                let col = (tx.start + b as i64).rem_euclid(gx) as usize;
                grid[row + col] = grid[row + col] + scaled * lit::<T>(*wx);
            }
        }
    }
}

/// The Kaiser–Bessel kernel of one width at oversampling 2.
struct Kernel {
    width: usize,
    beta: f64,
    /// `I₀(β)`, the kernel's value at 0 before normalising.
    peak: f64,
}

impl Kernel {
    fn new(width: usize) -> Self {
        let (w, alpha) = (width as f64, OVERSAMPLING as f64);
        let beta = PI * (w * w / (alpha * alpha) * (alpha - 0.5).powi(2) - 0.8).sqrt();
        Self {
            width,
            beta,
            peak: bessel_i0(beta),
        }
    }

    /// The `W` weights `φ(u − j)` for the grid indices `j` within `W/2` of `u`.
    fn taps(&self, u: f64) -> Taps {
        let half = self.width as f64 / 2.0;
        let start = (u - half).floor() as i64 + 1;
        let weights = (0..self.width as i64)
            .map(|a| self.value(u - (start + a) as f64))
            .collect();
        Taps { start, weights }
    }

    fn value(&self, s: f64) -> f64 {
        let r = 2.0 * s / self.width as f64;
        if r.abs() > 1.0 {
            return 0.0;
        }
        bessel_i0(self.beta * (1.0 - r * r).sqrt()) / self.peak
    }

    /// `φ̂(ν) = ∫ φ(s) e^{2πi s ν} ds`, in closed form.
    fn transform(&self, nu: f64) -> f64 {
        let w = self.width as f64;
        let z2 = self.beta * self.beta - (PI * w * nu).powi(2);
        let ratio = if z2 > 1e-12 {
            z2.sqrt().sinh() / z2.sqrt()
        } else if z2 < -1e-12 {
            (-z2).sqrt().sin() / (-z2).sqrt()
        } else {
            1.0
        };
        w * ratio / self.peak
    }
}

/// The modified Bessel function `I₀(x) = Σ ((x/2)^k / k!)²`, summed to round-off (all terms
/// positive, so no cancellation).
fn bessel_i0(x: f64) -> f64 {
    let quarter = x * x / 4.0;
    let (mut term, mut sum, mut k) = (1.0, 1.0, 0.0);
    while term > 1e-17 * sum {
        k += 1.0;
        term *= quarter / (k * k);
        sum += term;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_points(m: usize, seed: u64) -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..m)
            .map(|_| [rng.gen_range(-0.5..0.5), rng.gen_range(-0.5..0.5)])
            .collect()
    }

    fn random_image(n: usize, seed: u64) -> Vec<Complex<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| Complex::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)))
            .collect()
    }

    fn relative_error(nufft: &Nufft<f64>, image: &[Complex<f64>]) -> f64 {
        let exact = nufft.direct(image);
        let mut fast = vec![Complex::new(0.0, 0.0); nufft.points()];
        nufft.forward(image, &mut fast);
        let gap: f64 = fast
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).norm_sqr())
            .sum();
        let size: f64 = exact.iter().map(Complex::norm_sqr).sum();
        (gap / size).sqrt()
    }

    #[test]
    fn bessel_i0_matches_tabulated_values() {
        // Abramowitz & Stegun, table 9.8: I₀(1) = 1.266065878, e^{−10} I₀(10) = 0.1278333372.
        assert!((bessel_i0(1.0) - 1.266_065_878).abs() < 1e-9);
        assert!((bessel_i0(10.0) * (-10f64).exp() - 0.127_833_337_2).abs() < 1e-10);
    }

    #[test]
    fn the_kernel_transform_is_its_integral() {
        // φ̂ in closed form against the trapezoid rule on the kernel itself.
        let kernel = Kernel::new(6);
        for nu in [0.0, 0.1, 0.2, 0.25] {
            let steps = 20_000;
            let h = kernel.width as f64 / steps as f64;
            let integral: f64 = (0..=steps)
                .map(|i| {
                    let s = -(kernel.width as f64) / 2.0 + i as f64 * h;
                    let end = if i == 0 || i == steps { 0.5 } else { 1.0 };
                    end * kernel.value(s) * (2.0 * PI * s * nu).cos() * h
                })
                .sum();
            assert!((integral - kernel.transform(nu)).abs() < 1e-8, "{nu}");
        }
    }

    #[test]
    fn it_approximates_the_direct_transform_better_with_wider_kernels() {
        let image = random_image(32 * 28, 1);
        let errors: Vec<f64> = [2, 4, 6, 8]
            .iter()
            .map(|&w| {
                relative_error(
                    &Nufft::new(32, 28, random_points(300, 2), w).unwrap(),
                    &image,
                )
            })
            .collect();
        // Measured: 6.3e-2, 6.4e-4, 7.3e-6, 7.9e-8.
        assert!(errors[0] < 1e-1 && errors[1] < 1e-3, "{errors:?}");
        assert!(errors[2] < 2e-5 && errors[3] < 3e-7, "{errors:?}");
        assert!(errors.windows(2).all(|e| e[1] < e[0] / 10.0), "{errors:?}");
    }

    #[test]
    fn points_on_the_cartesian_grid_give_the_dft() {
        // k = (p/h, q/w) is the unitary DFT of the centred image: Σ_t x_t e^{−2πi(p t_y/h + q t_x/w)}.
        let (h, w) = (8, 6);
        let points: Vec<[f64; 2]> = (0..h)
            .flat_map(|p| {
                (0..w).map(move |q| [p as f64 / h as f64 - 0.5, q as f64 / w as f64 - 0.5])
            })
            .collect();
        let image = random_image(h * w, 3);
        let nufft = Nufft::new(h, w, points, 8).unwrap();
        assert!(relative_error(&nufft, &image) < 1e-6);
    }

    #[test]
    fn the_adjoint_is_exact() {
        let nufft = Nufft::<f64>::new(12, 10, random_points(150, 4), 4).unwrap();
        let x = random_image(120, 5);
        let y = random_image(150, 6);
        let mut nx = vec![Complex::new(0.0, 0.0); 150];
        let mut nty = vec![Complex::new(0.0, 0.0); 120];
        nufft.forward(&x, &mut nx);
        nufft.adjoint(&y, &mut nty);
        let left: Complex<f64> = nx.iter().zip(&y).map(|(a, b)| a * b.conj()).sum();
        let right: Complex<f64> = x.iter().zip(&nty).map(|(a, b)| a * b.conj()).sum();
        assert!(
            (left - right).norm() < 1e-12 * left.norm(),
            "{left} vs {right}"
        );
    }

    #[test]
    fn points_outside_the_band_and_wide_kernels_are_refused() {
        let error = Nufft::<f64>::new(4, 4, vec![[0.0, 0.5]], 4).err().unwrap();
        assert!(error.to_string().contains("trajectory"), "{error}");
        let error = Nufft::<f64>::new(4, 4, vec![[0.0, 0.1]], 12).err().unwrap();
        assert!(error.to_string().contains("kernel_width"), "{error}");
    }
}
