//! Blur: circular convolution `y = k ⊛ x` of each channel with a kernel, computed as a product in
//! the Fourier domain, `ŷ = k̂ · x̂`. Boundary condition: **periodic** (the image wraps around), which
//! makes `A` diagonal in Fourier, its adjoint the product with `conj(k̂)`, and `(A*A + ρI)⁻¹` the
//! division by `|k̂|² + ρ`.

use super::fft2::Fft2;
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::rfft2::RealFft2;
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{lit, Real};
use num_complex::Complex;

/// A convolution kernel: `height × width` weights, centred on `(height/2, width/2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    pub height: usize,
    pub width: usize,
    pub weights: Vec<f64>,
}

impl Kernel {
    /// Wraps `weights` (row-major) and rescales them to sum to one.
    pub fn normalized(height: usize, width: usize, weights: Vec<f64>) -> Result<Self> {
        let sum: f64 = weights.iter().sum();
        if height.checked_mul(width) != Some(weights.len()) || weights.is_empty() {
            return Err(Error::Shape(format!(
                "a {height}×{width} kernel needs {height}·{width} weights, got {}",
                weights.len()
            )));
        }
        if !(sum.is_finite() && sum > 0.0) || weights.iter().any(|w| !w.is_finite()) {
            return Err(Error::Shape(
                "kernel weights must be finite with a positive sum".into(),
            ));
        }
        Ok(Self {
            height,
            width,
            weights: weights.into_iter().map(|w| w / sum).collect(),
        })
    }
}

/// The side of [`gaussian_kernel`]'s square support, in `f64` so that no `sigma` overflows it.
pub fn gaussian_side(sigma: f64) -> f64 {
    2.0 * (3.0 * sigma).ceil().max(1.0) + 1.0
}

/// The side of [`motion_kernel`]'s square support, in `f64` so that no `length` overflows it.
fn motion_side(length: f64) -> f64 {
    2.0 * ((length / 2.0).ceil() + 1.0) + 1.0
}

/// Refuses a kernel of `side` pixels that would not fit the `h`×`w` image, before it is built (a
/// huge σ or length would otherwise allocate its support first).
fn check_side(key: String, side: f64, (h, w): (usize, usize)) -> Result<()> {
    if side > h.min(w) as f64 {
        return Err(Error::config(
            key,
            format!("gives a kernel {side} pixels wide, larger than the {h}×{w} image"),
        ));
    }
    Ok(())
}

/// An isotropic Gaussian kernel of standard deviation `sigma` pixels, truncated at `3·sigma`.
#[allow(clippy::expect_used, reason = "gaussian weights are positive")]
pub fn gaussian_kernel(sigma: f64) -> Kernel {
    let radius = (3.0 * sigma).ceil().max(1.0) as usize;
    let size = 2 * radius + 1;
    let weights = (0..size * size)
        .map(|k| {
            let (di, dj) = (
                (k / size) as f64 - radius as f64,
                (k % size) as f64 - radius as f64,
            );
            (-(di * di + dj * dj) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    Kernel::normalized(size, size, weights).expect("gaussian weights are positive")
}

/// A `size × size` uniform kernel.
#[allow(clippy::expect_used, reason = "box weights are positive")]
pub fn box_kernel(size: usize) -> Kernel {
    Kernel::normalized(size, size, vec![1.0; size * size]).expect("box weights are positive")
}

/// A linear motion blur of `length` pixels at `angle_degrees` (0 = horizontal), rasterised by
/// sampling the segment finely and spreading each sample bilinearly.
#[allow(clippy::expect_used, reason = "motion weights are positive")]
pub fn motion_kernel(length: f64, angle_degrees: f64) -> Kernel {
    let radius = (length / 2.0).ceil() as usize + 1;
    let size = 2 * radius + 1;
    let mut weights = vec![0.0; size * size];
    let (s, c) = angle_degrees.to_radians().sin_cos();
    let samples = (length * 8.0).ceil().max(1.0) as usize;
    for n in 0..=samples {
        let t = (n as f64 / samples as f64 - 0.5) * length;
        let (ri, rj) = (radius as f64 - t * s, radius as f64 + t * c);
        let (i0, j0) = (ri.floor(), rj.floor());
        let (fi, fj) = (ri - i0, rj - j0);
        for (di, wi) in [(0, 1.0 - fi), (1, fi)] {
            for (dj, wj) in [(0, 1.0 - fj), (1, fj)] {
                let (i, j) = (i0 as usize + di, j0 as usize + dj);
                if i < size && j < size {
                    weights[i * size + j] += wi * wj;
                }
            }
        }
    }
    Kernel::normalized(size, size, weights).expect("motion weights are positive")
}

/// Circular convolution of every channel with one kernel.
pub struct Blur<T: Real> {
    shape: Vec<usize>,
    fft: RealFft2<T>,
    /// Transfer function `k̂` on the half spectrum, transposed like [`RealFft2`]'s output, and
    /// scaled by `1/(h·w)` so that one forward and one inverse FFT apply `A`.
    transfer: Vec<Complex<T>>,
    /// `h · w`, to undo that scaling where the true spectrum is needed.
    pixels: usize,
}

impl<T: Real> Blur<T> {
    /// Convolution of `[C, H, W]` images with `kernel`, which must fit inside one image.
    pub fn new(image_shape: &[usize], kernel: &Kernel) -> Result<Self> {
        let (_, h, w) = checked_image_dims(image_shape)?;
        if kernel.height > h || kernel.width > w {
            return Err(Error::Shape(format!(
                "the {}×{} blur kernel is larger than the {h}×{w} image",
                kernel.height, kernel.width
            )));
        }
        let full_fft = Fft2::new(h, w);
        let mut transfer = vec![Complex::new(T::zero(), T::zero()); h * w];
        let (ci, cj) = (kernel.height / 2, kernel.width / 2);
        for ki in 0..kernel.height {
            for kj in 0..kernel.width {
                // Put the kernel centre at pixel (0, 0), wrapping the rest around.
                let i = (ki + h - ci) % h;
                let j = (kj + w - cj) % w;
                transfer[i * w + j].re =
                    transfer[i * w + j].re + lit::<T>(kernel.weights[ki * kernel.width + kj]);
            }
        }
        full_fft.forward(&mut transfer);
        let fft = RealFft2::new(h, w);
        let scale = lit::<T>(1.0 / (h * w) as f64);
        let half: Vec<Complex<T>> = (0..fft.spectrum_len())
            .map(|k| transfer[(k % h) * w + k / h] * scale)
            .collect();
        Ok(Self {
            shape: image_shape.to_vec(),
            fft,
            transfer: half,
            pixels: h * w,
        })
    }

    /// For each channel: real FFT, multiply by `filter(k̂)`, inverse real FFT.
    fn filter(&self, input: &[T], output: &mut [T], filter: impl Fn(Complex<T>) -> Complex<T>) {
        let mut spectrum = vec![Complex::new(T::zero(), T::zero()); self.fft.spectrum_len()];
        for (src, dst) in input
            .chunks(self.pixels)
            .zip(output.chunks_mut(self.pixels))
        {
            self.fft.forward(src, &mut spectrum);
            spectrum
                .iter_mut()
                .zip(&self.transfer)
                .for_each(|(b, k)| *b = *b * filter(*k));
            self.fft.inverse(&mut spectrum, dst);
        }
    }
}

impl<T: Real> LinearOperator<T> for Blur<T> {
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        self.filter(x, y, |k| k);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        self.filter(y, x, |k| k.conj());
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        // `transfer` carries 1/(hw); undo it inside |k̂|² so the division sees the true spectrum.
        let n = lit::<T>(self.pixels as f64);
        let unit = lit::<T>(1.0 / self.pixels as f64);
        self.filter(rhs, out, |k| {
            let kk = k * n;
            Complex::new(unit / (kk.norm_sqr() + rho), T::zero())
        });
        true
    }
}

/// Reads `physics.kernel` (`gaussian` with `sigma`, `box` with `size`, `motion` with `length` and
/// `angle` in degrees, or `file` with `path` to a `.npy` or `.png`) for images of `image_shape`,
/// which the kernel must fit.
pub fn kernel_from_config(section: &mut Section, image_shape: &[usize]) -> Result<Kernel> {
    let Some(mut spec) = section.table_opt("kernel")? else {
        return Ok(gaussian_kernel(2.0));
    };
    let (_, h, w) = checked_image_dims(image_shape)?;
    let kind = spec.choice_or("kind", "gaussian", &["gaussian", "box", "motion", "file"])?;
    let kernel = match kind.as_str() {
        "gaussian" => {
            let sigma = spec.positive_or("sigma", 2.0)?;
            check_side(spec.key("sigma"), gaussian_side(sigma), (h, w))?;
            gaussian_kernel(sigma)
        }
        "box" => {
            let size = spec.positive_usize_or("size", 5)?;
            check_side(spec.key("size"), size as f64, (h, w))?;
            box_kernel(size)
        }
        "motion" => {
            let length = spec.positive_or("length", 9.0)?;
            check_side(spec.key("length"), motion_side(length), (h, w))?;
            motion_kernel(length, spec.f64_or("angle", 0.0)?)
        }
        _ => {
            let key = spec.key("path");
            let path = spec
                .path_opt("path")?
                .ok_or_else(|| Error::config(&key, "a file kernel needs a path"))?;
            let array = crate::io::read_image_or_array(&path)?;
            let (h, w) = match array.shape[..] {
                [h, w] | [1, h, w] => (h, w),
                _ => {
                    return Err(Error::format(
                        &path,
                        format!(
                            "a blur kernel needs shape [height, width] or [1, height, width] \
                             (one channel), found {:?}",
                            array.shape
                        ),
                    ))
                }
            };
            Kernel::normalized(h, w, array.data).map_err(|e| Error::format(&path, e.to_string()))?
        }
    };
    spec.finish()?;
    Ok(kernel)
}

/// Builds the blur of `physics.kind = "blur"`.
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let kernel = kernel_from_config(section, &ctx.image_shape)?;
    let blur = Blur::new(&ctx.image_shape, &kernel)
        .map_err(|e| Error::config(section.key("kernel"), e.to_string()))?;
    Ok(Physics {
        operator: Box::new(blur),
        display: MeasurementDisplay::Image,
        retrospective: None,
    })
}

/// A random non-symmetric 3×5 kernel on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    let weights: Vec<f64> = super::random_vector::<f64>(15, seed)
        .iter()
        .map(|v| v.abs() + 0.1)
        .collect();
    let kernel = Kernel::normalized(3, 5, weights).expect("positive weights");
    Box::new(Blur::new(&EXAMPLE_SHAPE, &kernel).expect("kernel fits"))
}
