//! Inpainting: `y = M ⊙ x`, the image with a set of pixels erased (set to zero). `M` is a 0/1 mask of
//! the image's shape, so `A = A* = A*A = diag(M)` and `(A*A + ρI)⁻¹ r = r / (M + ρ)` entrywise.
//!
//! The mask is either random, with exactly `round(missing · H · W)` pixels missing in every channel
//! (the same pixels, chosen uniformly without replacement), a centred box of missing pixels (the
//! box inpainting of Chung et al., "Diffusion Posterior Sampling for General Noisy Inverse
//! Problems", ICLR 2023), or read from a file where 1 marks an observed pixel. This is the
//! measurement model of the inpainting experiments in e.g. Venkatakrishnan, Bouman, Wohlberg,
//! "Plug-and-play priors for model based reconstruction", GlobalSIP 2013.
//!
//! ```
//! use inversa::operators::{inpaint::Inpaint, LinearOperator};
//! let op = Inpaint::<f64>::random(&[1, 4, 5], 0.25, 7).unwrap();
//! let y = op.apply_new(&vec![1.0; 20]);
//! // A quarter of the 20 pixels (5) are missing.
//! assert_eq!(y.iter().filter(|v| **v == 0.0).count(), 5);
//! ```

use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Multiplication by a 0/1 mask.
pub struct Inpaint<T: Real> {
    shape: Vec<usize>,
    /// 1 for an observed entry, 0 for a missing one; full `[C, H, W]`.
    mask: Vec<T>,
}

impl<T: Real> Inpaint<T> {
    /// A mask of `image_shape` from booleans (`true` = observed); `observed` has either one
    /// `H × W` plane, shared by all channels, or the full `C × H × W` entries.
    pub fn new(image_shape: &[usize], observed: &[bool]) -> Result<Self> {
        let (c, h, w) = checked_image_dims(image_shape)?;
        let plane: Vec<T> = observed
            .iter()
            .map(|&o| if o { T::one() } else { T::zero() })
            .collect();
        let mask = if plane.len() == h * w {
            plane.repeat(c)
        } else if plane.len() == c * h * w {
            plane
        } else {
            return Err(Error::Shape(format!(
                "an inpainting mask for a {c}×{h}×{w} image needs {} or {} entries, got {}",
                h * w,
                c * h * w,
                observed.len()
            )));
        };
        Ok(Self {
            shape: image_shape.to_vec(),
            mask,
        })
    }

    /// A random mask with exactly `round(missing · H · W)` missing pixels, the same in every channel;
    /// `missing` must lie in [0, 1).
    pub fn random(image_shape: &[usize], missing: f64, seed: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&missing) {
            return Err(Error::config(
                "missing",
                format!("expected a fraction in [0, 1), found {missing}"),
            ));
        }
        let (_, h, w) = checked_image_dims(image_shape)?;
        let n = h * w;
        let erased = ((missing * n as f64).round() as usize).min(n);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut observed = vec![true; n];
        for k in rand::seq::index::sample(&mut rng, n, erased) {
            observed[k] = false;
        }
        Self::new(image_shape, &observed)
    }

    /// A mask missing the `height × width` box in the centre of every channel (rounded up and
    /// left when the margins are odd); the box must leave at least one pixel observed.
    pub fn centred_box(image_shape: &[usize], height: usize, width: usize) -> Result<Self> {
        let (_, h, w) = checked_image_dims(image_shape)?;
        if height == 0 || width == 0 || height > h || width > w || height * width == h * w {
            return Err(Error::config(
                "box",
                format!(
                    "expected [height, width] of at least 1 pixel within the {h}×{w} image, \
                     leaving some pixel observed, found [{height}, {width}]"
                ),
            ));
        }
        let (top, left) = ((h - height) / 2, (w - width) / 2);
        let observed: Vec<bool> = (0..h * w)
            .map(|p| {
                let (row, column) = (p / w, p % w);
                !((top..top + height).contains(&row) && (left..left + width).contains(&column))
            })
            .collect();
        Self::new(image_shape, &observed)
    }

    /// The mask, 1 where a pixel is observed, shaped like the image.
    pub fn mask(&self) -> &[T] {
        &self.mask
    }
}

impl<T: Real> LinearOperator<T> for Inpaint<T> {
    fn input_shape(&self) -> &[usize] {
        &self.shape
    }
    fn output_shape(&self) -> &[usize] {
        &self.shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        y.iter_mut()
            .zip(x.iter().zip(&self.mask))
            .for_each(|(o, (v, m))| *o = *v * *m);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        self.apply(y, x);
    }
    fn solve_regularized_normal(&self, rhs: &[T], rho: T, out: &mut [T]) -> bool {
        out.iter_mut()
            .zip(rhs.iter().zip(&self.mask))
            .for_each(|(o, (r, m))| *o = *r / (*m + rho));
        true
    }
}

/// Reads a 0/1 mask file (`.png` or `.npy`, 1 = observed) for an image of `image_shape`: one `H × W`
/// plane or the full `[C, H, W]`, values in [0, 1] thresholded at 0.5.
pub fn read_mask(path: &Path, image_shape: &[usize]) -> Result<Vec<bool>> {
    let array = crate::io::read_image_or_array(path)?;
    let (c, h, w) = checked_image_dims(image_shape)?;
    let fits = match array.shape.as_slice() {
        [mh, mw] | [1, mh, mw] => (*mh, *mw) == (h, w),
        [mc, mh, mw] => (*mc, *mh, *mw) == (c, h, w),
        _ => false,
    };
    if !fits {
        return Err(Error::format(
            path,
            format!(
                "the mask has shape {:?}; the {c}×{h}×{w} image needs [{h}, {w}] or [{c}, {h}, {w}]",
                array.shape
            ),
        ));
    }
    if let Some(bad) = array
        .data
        .iter()
        .find(|v| !(v.is_finite() && (0.0..=1.0).contains(*v)))
    {
        return Err(Error::format(
            path,
            format!("mask values must lie in [0, 1] (1 = observed), found {bad}"),
        ));
    }
    let observed: Vec<bool> = array.data.iter().map(|v| *v >= 0.5).collect();
    if !observed.contains(&true) {
        return Err(Error::format(path, "the mask observes no pixel"));
    }
    Ok(observed)
}

/// Builds the inpainting of `physics.kind = "inpaint"` from one of `missing` (fraction in [0, 1),
/// the default 0.5), `box` (`[height, width]` of a centred missing box) or `mask` (a file).
pub fn from_config<T: Real>(section: &mut Section, ctx: &BuildContext) -> Result<Physics<T>> {
    let mask_file = section.path_opt("mask")?;
    let centred = section.usize_list_opt("box")?;
    let given: Vec<&str> = [
        ("missing", section.has("missing")),
        ("box", centred.is_some()),
        ("mask", mask_file.is_some()),
    ]
    .iter()
    .filter_map(|&(key, present)| present.then_some(key))
    .collect();
    if let [first, _, ..] = given[..] {
        return Err(Error::config(
            section.key(first),
            format!(
                "give one of `missing`, `box` or `mask`, not {}",
                given.join(" and ")
            ),
        ));
    }
    let operator = match (mask_file, centred) {
        (Some(path), _) => Inpaint::new(&ctx.image_shape, &read_mask(&path, &ctx.image_shape)?)?,
        (None, Some(size)) => {
            let [height, width] = size[..] else {
                return Err(Error::config(
                    section.key("box"),
                    format!("expected [height, width], found {size:?}"),
                ));
            };
            Inpaint::centred_box(&ctx.image_shape, height, width).map_err(|e| match e {
                Error::Config { message, .. } => Error::config(section.key("box"), message),
                other => other,
            })?
        }
        (None, None) => {
            let missing = section.f64_in("missing", 0.5, 0.0, 1.0, true)?;
            Inpaint::random(&ctx.image_shape, missing, ctx.seed)?
        }
    };
    Ok(Physics {
        operator: Box::new(operator),
        display: MeasurementDisplay::Image,
        retrospective: None,
    })
}

/// Half of the pixels missing on the self-test shape.
#[allow(clippy::expect_used, reason = "a fixed self-test example")]
pub fn example<T: Real>(seed: u64) -> Box<dyn LinearOperator<T>> {
    Box::new(Inpaint::random(&EXAMPLE_SHAPE, 0.5, seed).expect("0.5 is a valid fraction"))
}
