//! The floating-point types Inversa computes in (`f32` and `f64`) and small vector helpers.
//!
//! Complex data (MRI k-space) is stored interleaved as `[re, im, re, im, ...]` in a real slice, so every
//! operator maps real vectors to real vectors and the adjoint is taken for the real inner product
//! `<a, b> = Σ aᵢ bᵢ`. For a complex-linear map this real adjoint is exactly the Hermitian adjoint.

use num_complex::Complex;

/// A float type the whole toolkit is generic over.
pub trait Real:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::Signed
    + rustfft::FftNum
    + realfft::FftNum
    + rustdct::DctNum
    + std::iter::Sum
    + Default
    + Send
    + Sync
    + std::fmt::Debug
    + std::fmt::Display
    + 'static
{
    /// Relative adjoint mismatch `|<Ax,y> - <x,A*y>| / max(|<Ax,y>|, |<x,A*y>|)` that a correct operator stays under.
    const ADJOINT_TOLERANCE: f64;
    /// Name used in messages ("f32" / "f64").
    const NAME: &'static str;
}

impl Real for f32 {
    const ADJOINT_TOLERANCE: f64 = 1e-4;
    const NAME: &'static str = "f32";
}

impl Real for f64 {
    const ADJOINT_TOLERANCE: f64 = 1e-10;
    const NAME: &'static str = "f64";
}

/// Converts an `f64` constant into `T`.
#[inline]
#[allow(clippy::expect_used, reason = "every f64 converts to f32 or f64")]
pub fn lit<T: Real>(x: f64) -> T {
    T::from_f64(x).expect("every f64 converts to f32/f64")
}

/// Inner product, accumulated in `f64` so long `f32` vectors keep their accuracy.
pub fn dot<T: Real>(a: &[T], b: &[T]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| x.to_f64().unwrap_or(f64::NAN) * y.to_f64().unwrap_or(f64::NAN))
        .sum()
}

/// Squared Euclidean norm, accumulated in `f64`.
pub fn norm_squared<T: Real>(a: &[T]) -> f64 {
    dot(a, a)
}

/// Euclidean norm, accumulated in `f64`.
pub fn norm<T: Real>(a: &[T]) -> f64 {
    norm_squared(a).sqrt()
}

/// `true` when every entry is finite.
pub fn all_finite<T: Real>(a: &[T]) -> bool {
    a.iter().all(|v| v.is_finite())
}

/// Views an interleaved `[re, im, ...]` slice as complex numbers.
pub fn as_complex<T: Real>(data: &[T]) -> &[Complex<T>] {
    assert!(
        data.len() % 2 == 0,
        "interleaved complex data has even length"
    );
    // SAFETY: `Complex<T>` is `#[repr(C)]` with fields `re, im` of type `T`, so it has the size and
    // alignment of `[T; 2]`; the length is halved and the lifetime kept.
    unsafe { std::slice::from_raw_parts(data.as_ptr().cast(), data.len() / 2) }
}

/// Mutable view of an interleaved `[re, im, ...]` slice as complex numbers.
pub fn as_complex_mut<T: Real>(data: &mut [T]) -> &mut [Complex<T>] {
    assert!(
        data.len() % 2 == 0,
        "interleaved complex data has even length"
    );
    // SAFETY: as in `as_complex`; the exclusive borrow is carried over.
    unsafe { std::slice::from_raw_parts_mut(data.as_mut_ptr().cast(), data.len() / 2) }
}
