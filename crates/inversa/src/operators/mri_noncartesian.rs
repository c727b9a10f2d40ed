//! Non-Cartesian multi-coil MRI: radial, spiral or measured k-space trajectories. For each image
//! channel and coil `c`,
//!
//! `y_c = N (S_c x)`,
//!
//! with `x` the real image, `S_c` the coil's complex sensitivity and `N` the [`super::nufft`] at the
//! trajectory's points (the encoding model of Pruessmann, Weiger, Börnert, Boesiger, "Advances in
//! sensitivity encoding with arbitrary k-space trajectories", MRM 2001). As for the Cartesian
//! [`super::mri`] model, `A* y = Re Σ_c S̄_c N* y_c` is the exact adjoint for the real inner
//! product, and the coil maps, synthetic or read from a file, are the same.
//!
//! **Shapes.** `x` is `[C, H, W]`; `y` is `[C, coils, M, 2]` for `M` trajectory points,
//! interleaved complex.
//!
//! **Trajectories** (`k` in cycles per pixel, `[−½, ½)` per axis):
//! - `radial`: `spokes` lines through the centre at angles `πs/spokes`, `samples` points each at
//!   `r = (i − samples/2)/samples`;
//! - `spiral`: `interleaves` Archimedean arms `k(τ) = ½τ·e^{i(2π turns τ + 2πj/interleaves)}`,
//!   `τ = i/samples`, with `turns = max(H, W)/(2·interleaves)` (the radial spacing of Nyquist);
//! - `trajectory_file`: a `.npy` of shape `[M, 2]`, rows `(k_y, k_x)`.

use super::coil_sensitivity::{low_resolution, DEFAULT_CALIBRATION};
use super::espirit::{align_phase, calibration_from_images, espirit, Params};
use super::mri::synthetic_coil_maps;
use super::nufft::{Nufft, DEFAULT_KERNEL_WIDTH};
use super::physics::{BuildContext, MeasurementDisplay, Physics};
use super::raw_kspace::RawKspace;
use super::trajectory::{radial, spiral};
use super::{checked_image_dims, LinearOperator, EXAMPLE_SHAPE};
use crate::config::Section;
use crate::error::{Error, Result};
use crate::real::{as_complex, as_complex_mut, lit, Real};
use num_complex::Complex;
use std::path::Path;

/// Multi-coil MRI on arbitrary k-space points.
pub struct NonCartesianMri<T: Real> {
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
    nufft: Nufft<T>,
    /// `[coils, H, W]` sensitivities.
    coil_maps: Vec<Complex<T>>,
}

impl<T: Real> NonCartesianMri<T> {
    /// The model for `[C, H, W]` images, `[coils, H, W]` sensitivities and trajectory `points`.
    pub fn new(
        image_shape: &[usize],
        coil_maps: Vec<Complex<T>>,
        points: Vec<[f64; 2]>,
        kernel_width: usize,
    ) -> Result<Self> {
        let (c, h, w) = checked_image_dims(image_shape)?;
        if coil_maps.is_empty() || coil_maps.len() % (h * w) != 0 || points.is_empty() {
            return Err(Error::Shape(format!(
                "an {h}×{w} non-Cartesian MRI needs [coils, {h}, {w}] coil maps and at least one \
                 k-space point, got {} map values and {} points",
                coil_maps.len(),
                points.len()
            )));
        }
        let coils = coil_maps.len() / (h * w);
        let m = points.len();
        Ok(Self {
            input_shape: vec![c, h, w],
            output_shape: vec![c, coils, m, 2],
            nufft: Nufft::new(h, w, points, kernel_width)?,
            coil_maps,
        })
    }

    fn coils(&self) -> usize {
        self.output_shape[1]
    }
}

impl<T: Real> LinearOperator<T> for NonCartesianMri<T> {
    fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }

    fn apply(&self, x: &[T], y: &mut [T]) {
        let pixels = self.input_shape[1] * self.input_shape[2];
        let m = self.nufft.points();
        let mut coil_image = vec![Complex::new(T::zero(), T::zero()); pixels];
        let per_channel = self.coils() * m;
        for (image, kspaces) in x
            .chunks(pixels)
            .zip(as_complex_mut(y).chunks_mut(per_channel))
        {
            for (kspace, map) in kspaces.chunks_mut(m).zip(self.coil_maps.chunks(pixels)) {
                coil_image
                    .iter_mut()
                    .zip(map.iter().zip(image))
                    .for_each(|(z, (s, v))| *z = *s * *v);
                self.nufft.forward(&coil_image, kspace);
            }
        }
    }

    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let pixels = self.input_shape[1] * self.input_shape[2];
        let m = self.nufft.points();
        let mut coil_image = vec![Complex::new(T::zero(), T::zero()); pixels];
        let per_channel = self.coils() * m;
        for (kspaces, image) in as_complex(y).chunks(per_channel).zip(x.chunks_mut(pixels)) {
            image.fill(T::zero());
            for (kspace, map) in kspaces.chunks(m).zip(self.coil_maps.chunks(pixels)) {
                self.nufft.adjoint(kspace, &mut coil_image);
                image
                    .iter_mut()
                    .zip(map.iter().zip(&coil_image))
                    .for_each(|(v, (s, z))| *v = *v + (s.conj() * *z).re);
            }
        }
    }
}

/// Builds `physics.kind = "mri"` for `trajectory = "radial" | "spiral"` (`kind`), or for
/// `trajectory_file` (`kind` `None`): `spokes` [max(H, W)/2] or `interleaves` [16], `samples` per
/// spoke or arm [2·max(H, W) radial, 2HW/interleaves spiral], `kernel_width` [6], `coils` [1],
/// `coil_maps` (as the Cartesian model).
pub fn from_config<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
    kind: Option<&str>,
) -> Result<Physics<T>> {
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    let points = match (kind, section.path_opt("trajectory_file")?) {
        (_, Some(path)) => trajectory_from_file(&path)?,
        (Some(kind), None) => generated(section, kind, h, w)?,
        (None, None) => {
            return Err(Error::config(
                section.key("trajectory"),
                "name a trajectory",
            ))
        }
    };
    let kernel_width = section.positive_usize_or("kernel_width", DEFAULT_KERNEL_WIDTH)?;
    let coils = section.positive_usize_or("coils", 1)?;
    let key = section.key("samples");
    crate::memory::check_array(&key, &[coils, points.len()], 16, 3)?;
    let maps = match section.path_opt("coil_maps")? {
        Some(path) => super::mri::coil_maps_from_file(&path, h, w)?,
        None => synthetic_coil_maps(coils, h, w),
    };
    let operator = NonCartesianMri::new(&ctx.image_shape, maps, points, kernel_width).map_err(
        |e| match e {
            Error::Config { key, message } => Error::config(section.key(&key), message),
            other => other,
        },
    )?;
    Ok(Physics {
        operator: Box::new(operator),
        display: MeasurementDisplay::None,
        retrospective: None,
    })
}

fn generated(section: &mut Section, kind: &str, h: usize, w: usize) -> Result<Vec<[f64; 2]>> {
    let side = h.max(w);
    let (lines, samples) = if kind == "radial" {
        let spokes = section.positive_usize_or("spokes", (side / 2).max(1))?;
        (spokes, section.positive_usize_or("samples", 2 * side)?)
    } else {
        let interleaves = section.positive_usize_or("interleaves", 16)?;
        let default = (2 * h * w).div_ceil(interleaves);
        (interleaves, section.positive_usize_or("samples", default)?)
    };
    let key = section.key("samples");
    crate::memory::check_array(&key, &[lines, samples, 2], 8, 1)?;
    Ok(if kind == "radial" {
        radial(lines, samples)
    } else {
        spiral(lines, samples, side as f64 / (2.0 * lines as f64))
    })
}

/// `[M, 2]` points `(k_y, k_x)` from a `.npy`.
fn trajectory_from_file(path: &Path) -> Result<Vec<[f64; 2]>> {
    let array = crate::io::read_npy(path)?;
    if array.shape.len() != 2 || array.shape[1] != 2 || array.shape[0] == 0 {
        return Err(Error::format(
            path,
            format!(
                "a trajectory is [points, 2] (k_y, k_x in cycles per pixel), got shape {:?}",
                array.shape
            ),
        ));
    }
    let points: Vec<[f64; 2]> = array.data.chunks_exact(2).map(|k| [k[0], k[1]]).collect();
    match super::trajectory::first_outside(&points) {
        Some(message) => Err(Error::format(path, message)),
        None => Ok(points),
    }
}

/// Builds `physics.kind = "mri"` on a measured raw scan (`data.measurement` an ISMRMRD file): the
/// trajectory, coils and samples are the file's; `coil_maps` is `"lowres"` [default: estimated
/// from the data's centre, [`super::coil_sensitivity`]], `"espirit"` ([`super::espirit`]) or a
/// `.npy` file, `calibration` [24] the estimate's region in samples across, `kernel_width` [6].
pub fn from_raw<T: Real>(
    section: &mut Section,
    ctx: &BuildContext,
    raw: &RawKspace,
) -> Result<Physics<T>> {
    let (_, h, w) = checked_image_dims(&ctx.image_shape)?;
    if let Some(key) = [
        "trajectory",
        "trajectory_file",
        "spokes",
        "interleaves",
        "samples",
        "coils",
    ]
    .into_iter()
    .find(|k| section.has(k))
    {
        return Err(Error::config(
            section.key(key),
            format!(
                "the raw scan {} fixes the trajectory and coils; remove it",
                raw.origin.display()
            ),
        ));
    }
    let kernel_width = section.positive_usize_or("kernel_width", DEFAULT_KERNEL_WIDTH)?;
    let calibration = section.positive_usize_or("calibration", DEFAULT_CALIBRATION)?;
    if calibration > h.min(w) || calibration < Params::default().kernel {
        return Err(Error::config(
            section.key("calibration"),
            format!("{calibration} samples across: the region must fit the {h}×{w} grid and hold ESPIRiT's 6×6 kernel"),
        ));
    }
    let maps: Vec<Complex<T>> = match section.str_opt("coil_maps")? {
        None => estimated_maps(raw, "lowres", kernel_width, calibration)?,
        Some(kind @ ("lowres" | "espirit")) => {
            estimated_maps(raw, kind, kernel_width, calibration)?
        }
        Some(file) => super::mri::coil_maps_from_file(&section.base_dir().join(file), h, w)?,
    };
    if maps.len() != raw.coils * h * w {
        return Err(Error::config(
            section.key("coil_maps"),
            format!(
                "{} maps for the scan's {} coils",
                maps.len() / (h * w),
                raw.coils
            ),
        ));
    }
    let operator = NonCartesianMri::new(&ctx.image_shape, maps, raw.points.clone(), kernel_width)?;
    Ok(Physics {
        operator: Box::new(operator),
        display: MeasurementDisplay::None,
        retrospective: None,
    })
}

/// Coil maps of `kind` (`"lowres"` or `"espirit"`) estimated from the raw scan, their phase
/// that of the low-resolution coil images (see [`super::coil_sensitivity`]).
fn estimated_maps<T: Real>(
    raw: &RawKspace,
    kind: &str,
    kernel_width: usize,
    calibration: usize,
) -> Result<Vec<Complex<T>>> {
    let (h, w) = raw.image_size;
    let nufft = Nufft::<f64>::new(h, w, raw.points.clone(), kernel_width)?;
    let low = low_resolution(
        &nufft,
        &raw.points,
        &raw.data,
        &raw.weights,
        (h, w),
        calibration,
    );
    let maps = if kind == "espirit" {
        let images = raw.gridded_coils(&nufft);
        let region = calibration_from_images(&images, raw.coils, (h, w), calibration);
        let (mut maps, _) = espirit(&region, raw.coils, calibration, (h, w), Params::default())?;
        align_phase(&mut maps, &low, h * w);
        maps
    } else {
        low
    };
    Ok(maps
        .into_iter()
        .map(|z| Complex::new(lit(z.re), lit(z.im)))
        .collect())
}

/// A small radial instance with three coils, for the registry's self-tests.
#[allow(clippy::expect_used, reason = "fixed, valid sizes")]
pub fn example<T: Real>(_seed: u64) -> Box<dyn LinearOperator<T>> {
    let [_, h, w] = EXAMPLE_SHAPE;
    let maps = synthetic_coil_maps(3, h, w);
    Box::new(
        NonCartesianMri::new(&EXAMPLE_SHAPE, maps, radial(5, 2 * w), 4).expect("a valid example"),
    )
}
