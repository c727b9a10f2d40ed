//! Complex images, coil maps and multi-coil k-space as candle tensors, with the SENSE expansion
//! `E x = (F S_c x)_c` and reduction `E* w = Σ_c S̄_c F⁻¹ w_c` differentiable in the image, the
//! k-space and the maps alike (the Recurrent Variational Network refines its maps).
//!
//! Layouts: a complex image is `[B, 2, H, W]` (real, imaginary channel); maps are a pair of
//! `[B, coils, H, W]` tensors (real and imaginary parts); k-space is `[B, coils, H, W, 2]`
//! (interleaved, as the core MRI operator writes its measurement).
//!
//! The only Fourier transform is the core's unitary 2-D DFT of a *real* image, `D x = F x`
//! (a one-coil, fully sampled [`Mri`] with `S = 1`), through the operator bridge, whose adjoint
//! `D* k = Re F⁻¹ k` is exact. A complex image and an inverse transform follow from linearity:
//!
//! ```text
//! F(a + i b) = D a + i D b,        F⁻¹ k = D* k + i D*(−i k)
//! ```
//!
//! (`Im F⁻¹ k = Re(−i F⁻¹ k) = Re F⁻¹(−i k)`), where `i·` and `−i·` swap the interleaved parts.

use crate::nn::operator_bridge::{LinearOperatorExt, SharedOperator};
use candle_core::{Result, Tensor};
use inversa::operators::mri::Mri;
use num_complex::Complex;
use std::sync::Arc;

/// A pair of real tensors `(re, im)`.
pub type Complex2 = (Tensor, Tensor);

/// The unitary DFT of real `h × w` images, `[N, 1, h, w] → [N, 1, 1, h, w, 2]` in the bridge.
pub fn dft(h: usize, w: usize) -> Result<SharedOperator> {
    let unit = vec![Complex::new(1.0f32, 0.0); h * w];
    let mri = Mri::new(&[1, h, w], unit, vec![true; w]).map_err(candle_core::Error::wrap)?;
    Ok(Arc::new(mri))
}

/// `i k` for interleaved k-space `[…, 2]`: `(re, im) ↦ (−im, re)`.
fn times_i(k: &Tensor) -> Result<Tensor> {
    let last = k.rank() - 1;
    Tensor::cat(
        &[&k.narrow(last, 1, 1)?.neg()?, &k.narrow(last, 0, 1)?],
        last,
    )
}

/// `−i k`: `(re, im) ↦ (im, −re)`.
fn times_minus_i(k: &Tensor) -> Result<Tensor> {
    let last = k.rank() - 1;
    Tensor::cat(
        &[&k.narrow(last, 1, 1)?, &k.narrow(last, 0, 1)?.neg()?],
        last,
    )
}

/// `F z` of `N` complex images `z = (re, im)`, each `[N, h, w]`, as `[N, h, w, 2]`.
pub fn forward((re, im): (&Tensor, &Tensor), dft: &SharedOperator) -> Result<Tensor> {
    let (n, h, w) = re.dims3()?;
    let transform = |x: &Tensor| x.reshape((n, 1, h, w))?.apply_operator(dft);
    (transform(re)? + times_i(&transform(im)?)?)?.reshape((n, h, w, 2))
}

/// `F⁻¹ k` of `N` k-spaces `[N, h, w, 2]`, as `(re, im)` each `[N, h, w]`.
pub fn inverse(k: &Tensor, dft: &SharedOperator) -> Result<Complex2> {
    let (n, h, w, _) = k.dims4()?;
    let back = |k: &Tensor| {
        k.reshape((n, 1, 1, h, w, 2))?
            .apply_adjoint(dft)?
            .reshape((n, h, w))
    };
    Ok((back(k)?, back(&times_minus_i(k)?)?))
}

/// `(a + ib)(c + id)`, broadcasting.
fn multiply((a, b): (&Tensor, &Tensor), (c, d): (&Tensor, &Tensor)) -> Result<Complex2> {
    Ok((
        (a.broadcast_mul(c)? - b.broadcast_mul(d)?)?,
        (a.broadcast_mul(d)? + b.broadcast_mul(c)?)?,
    ))
}

/// `E x = (F S_c x)_c`: the complex image `[B, 2, H, W]` to coil k-space `[B, coils, H, W, 2]`.
pub fn expand(image: &Tensor, maps: &Complex2, dft: &SharedOperator) -> Result<Tensor> {
    let (b, coils, h, w) = maps.0.dims4()?;
    let (x_re, x_im) = (image.narrow(1, 0, 1)?, image.narrow(1, 1, 1)?);
    let (re, im) = multiply((&maps.0, &maps.1), (&x_re, &x_im))?;
    let flat = |t: Tensor| t.reshape((b * coils, h, w));
    forward((&flat(re)?, &flat(im)?), dft)?.reshape((b, coils, h, w, 2))
}

/// `E* w = Σ_c S̄_c F⁻¹ w_c`: coil k-space `[B, coils, H, W, 2]` to the complex image
/// `[B, 2, H, W]`.
pub fn reduce(kspace: &Tensor, maps: &Complex2, dft: &SharedOperator) -> Result<Tensor> {
    let (b, coils, h, w, _) = kspace.dims5()?;
    let (re, im) = inverse(&kspace.reshape((b * coils, h, w, 2))?, dft)?;
    let shape = (b, coils, h, w);
    let conj = (maps.0.clone(), maps.1.neg()?);
    let (re, im) = multiply(
        (&conj.0, &conj.1),
        (&re.reshape(shape)?, &im.reshape(shape)?),
    )?;
    Tensor::cat(&[re.sum_keepdim(1)?, im.sum_keepdim(1)?], 1)
}

/// Maps divided by their root-sum-of-squares over the coils, `S_c / √(Σ_c |S_c|² + ε)`, so that
/// `E* E = I` where the maps have support (ESPIRiT's and SENSE's convention).
pub fn normalise(maps: &Complex2) -> Result<Complex2> {
    let rss = (maps.0.sqr()? + maps.1.sqr()?)?
        .sum_keepdim(1)?
        .affine(1.0, 1e-6)?
        .sqrt()?;
    Ok((maps.0.broadcast_div(&rss)?, maps.1.broadcast_div(&rss)?))
}
