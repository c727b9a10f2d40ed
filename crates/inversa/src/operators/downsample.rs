//! Downsampling (the super-resolution forward model): `y = S (g ⊛ x)`, a Gaussian anti-aliasing blur
//! `g` (periodic boundary, see [`super::blur`]) followed by `S`, which keeps every `f`-th pixel in
//! each direction starting at pixel 0: `y[c, i, j] = (g ⊛ x)[c, f·i, f·j]`. Its adjoint is
//! `A* y = g̃ ⊛ (Sᵀ y)`, zero-filled upsampling followed by the flipped blur (the Fourier
//! conjugate). This is the classical single-image super-resolution model, e.g. Zhao, Wang,
//! Dobigeon, Basarab, Kouamé, Tourneret, "Fast single image super-resolution using a new analytical
//! solution for ℓ2–ℓ2 problems", IEEE Trans. Image Processing, 2016 (their model `y = SHx + n`).
//!
//! **Default filter width** `σ = f/2`. A sampled Gaussian of width `σ` passes the new Nyquist
//! frequency `1/(2f)` with gain `exp(−2π²σ²/(4f²))`: `exp(−π²/8) ≈ 0.29` for `σ = f/2`. It is a middle
//! way between scikit-image's `pyramid_reduce` (`σ = 2f/6`, gain 0.58 at Nyquist: more aliasing)
//! and deepinv's `Downsampling(filter="gaussian")` (`σ = f`, gain 0.29 already at half the Nyquist
//! frequency: most of the pass band lost). `sigma = 0` gives plain decimation without a filter.
//!
//! ```
//! use inversa::operators::{downsample::Downsample, LinearOperator};
//! let op = Downsample::<f64>::new(&[1, 8, 10], 2, 1.0).unwrap();
//! assert_eq!(op.output_shape(), &[1, 4, 5]);
//! // The blur is normalised, so a constant image stays the same constant.
//! assert!(op.apply_new(&vec![0.3; 80]).iter().all(|v| (v - 0.3).abs() < 1e-12));
//! ```

use super::blur::{gaussian_kernel, gaussian_side, Blur};
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::{checked_image_dims, image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::Real;

/// Gaussian anti-aliasing blur followed by keeping every `factor`-th pixel.
pub struct Downsample<T: Real> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    factor: usize,
    /// `None` for `sigma = 0` (decimation only).
    filter: Option<Blur<T>>,
}

impl<T: Real> Downsample<T> {
    /// Downsampling of `[C, H, W]` images by `factor` (which must divide `H` and `W`) after a
    /// periodic Gaussian blur of standard deviation `sigma` pixels (`0` for none).
    pub fn new(image_shape: &[usize], factor: usize, sigma: f64) -> Result<Self> {
        let (c, h, w) = checked_image_dims(image_shape)?;
        if factor == 0 || h % factor != 0 || w % factor != 0 {
            return Err(Error::Shape(format!(
                "the factor {factor} does not divide the {h}×{w} image"
            )));
        }
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(Error::Shape(format!(
                "the filter width must be finite and >= 0, got {sigma}"
            )));
        }
        if gaussian_side(sigma) > h.min(w) as f64 {
            return Err(Error::Shape(format!(
                "a filter of width {sigma} gives a kernel larger than the {h}×{w} image"
            )));
        }
        let filter = if sigma > 0.0 {
            Some(Blur::new(&[c, h, w], &gaussian_kernel(sigma))?)
        } else {
            None
        };
        Ok(Self {
            input_shape: image_shape.to_vec(),
            output_shape: vec![c, h / factor, w / factor],
            factor,
            filter,
        })
    }

    /// The downsampling factor `f`.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// `[C, H, W]` of the input.
    fn dims(&self) -> (usize, usize, usize) {
        image_dims(&self.input_shape)
    }
}

impl<T: Real> LinearOperator<T> for Downsample<T> {
    fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let blurred;
        let source = match &self.filter {
            Some(blur) => {
                blurred = blur.apply_new(x);
                &blurred
            }
            None => x,
        };
        let (_, h, w) = self.dims();
        let f = self.factor;
        let (ho, wo) = (h / f, w / f);
        for (src, dst) in source.chunks(h * w).zip(y.chunks_mut(ho * wo)) {
            for (i, row) in dst.chunks_mut(wo).enumerate() {
                let line = &src[f * i * w..];
                row.iter_mut()
                    .enumerate()
                    .for_each(|(j, v)| *v = line[f * j]);
            }
        }
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let (_, h, w) = self.dims();
        let f = self.factor;
        let (ho, wo) = (h / f, w / f);
        let mut upsampled = vec![T::zero(); x.len()];
        for (src, dst) in y.chunks(ho * wo).zip(upsampled.chunks_mut(h * w)) {
            for (i, row) in src.chunks(wo).enumerate() {
                let line = &mut dst[f * i * w..];
                row.iter().enumerate().for_each(|(j, v)| line[f * j] = *v);
            }
        }
        match &self.filter {
            Some(blur) => blur.adjoint(&upsampled, x),
            None => x.copy_from_slice(&upsampled),
        }
    }
}

/// Builds the downsampling of `physics.kind = "downsample"`: `factor` (integer ≥ 2, default 2,
/// dividing the image height and width) and `sigma` (filter width in pixels, default `factor/2`,
/// 0 for none).
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let factor = section.usize_or("factor", 2)?;
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    if factor < 2 || h % factor != 0 || w % factor != 0 {
        return Err(Error::config(
            section.key("factor"),
            format!(
                "expected an integer >= 2 that divides the image height and width {h}×{w} \
                 (image shape {:?}), found {factor}",
                ctx.image_shape
            ),
        ));
    }
    let sigma = section.non_negative_or("sigma", factor as f64 / 2.0)?;
    let operator = Downsample::new(&ctx.image_shape, factor, sigma)
        .map_err(|e| Error::config(section.key("sigma"), e.to_string()))?;
    Ok(Physics {
        operator: Box::new(operator),
        display: MeasurementDisplay::Image,
        retrospective: None,
    })
}

/// Factor 2 with the default filter on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Downsample::new(&EXAMPLE_SHAPE, 2, 1.0).expect("2 divides 12×10"))
}
