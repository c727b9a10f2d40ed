//! The `[data]` table of a task file: the ground-truth image (read, checked, optionally made grey
//! and downscaled) and/or a measurement file, and the shape of the unknown they imply.

use crate::config::Section;
use crate::data::{builtin_image, BUILTIN_PREFIX};
use crate::error::{Error, Result};
use crate::io::image::{box_downscale, to_grey};
use crate::io::{read_image_or_array, read_npy, Array};
use crate::operators::cartesian_kspace::CartesianKspace;
use crate::operators::physics::MeasuredScan;
use crate::operators::raw_kspace::RawKspace;
use crate::real::{lit, Real};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) struct LoadedData {
    pub image_shape: Vec<usize>,
    pub ground_truth: Option<Array>,
    pub measurement: Option<(PathBuf, Array)>,
    /// The raw scan behind an ISMRMRD measurement, for the physics.
    pub raw: Option<Arc<MeasuredScan>>,
}

/// Reads `[data]`: `image` (file or `builtin:NAME`), `grey`, `downscale`, `measurement`, `shape`,
/// `readout_stride` (of an ISMRMRD measurement).
pub(super) fn load_data(data: &mut Section, inputs: &mut Vec<PathBuf>) -> Result<LoadedData> {
    let image = data.str_opt("image")?;
    let grey = data.bool_or("grey", false)?;
    let downscale = data.positive_usize_or("downscale", 1)?;
    let measurement_path = data.path_opt("measurement")?;
    let shape = data.usize_list_opt("shape")?;
    let stride = data.positive_usize_or("readout_stride", 1)?;
    let is_raw = measurement_path.as_deref().is_some_and(is_ismrmrd);
    if data.has("readout_stride") && !is_raw {
        return Err(Error::config(
            data.key("readout_stride"),
            "keeps every n-th readout of a raw scan; it needs measurement = \"scan.h5\" (ISMRMRD)",
        ));
    }
    if image.is_none() {
        // These shape the ground truth only; with a measurement alone they would be ignored.
        if let Some(key) = ["grey", "downscale"].into_iter().find(|k| data.has(k)) {
            return Err(Error::config(
                data.key(key),
                "applies to data.image, and this task has no image; remove it",
            ));
        }
    }
    let ground_truth = match image {
        Some(name) => {
            let (array, origin) = match name.strip_prefix(BUILTIN_PREFIX) {
                Some(builtin) => (builtin_image(builtin)?, PathBuf::from(name)),
                None => {
                    let path = data.base_dir().join(name);
                    inputs.push(path.clone());
                    (read_image_or_array(&path)?, path)
                }
            };
            let array = as_image(array, &origin)?;
            let array = if grey { to_grey(array) } else { array };
            let (h, w) = (array.shape[1], array.shape[2]);
            Some(box_downscale(array, downscale).ok_or_else(|| {
                Error::config(
                    data.key("downscale"),
                    format!("factor {downscale} leaves nothing of a {h}×{w} image"),
                )
            })?)
        }
        None => None,
    };
    let (measurement, raw) = match measurement_path {
        Some(path) if is_raw || is_twix(&path) => {
            inputs.push(path.clone());
            let scan = if is_raw {
                let scan = crate::io::ismrmrd::read_ismrmrd(&path)?;
                MeasuredScan::NonCartesian(RawKspace::from_scan(&path, &scan, stride)?)
            } else {
                let scan = crate::io::twix::read_twix(&path)?;
                MeasuredScan::Cartesian(CartesianKspace::from_twix(&path, &scan)?)
            };
            let (h, w) = image_size(&scan);
            if let Some(s) = shape.as_ref().filter(|s| image_dims_of(s) != [1, h, w]) {
                return Err(Error::config(
                    data.key("shape"),
                    format!(
                        "{s:?}, but {} encodes a {h}×{w} image (its header's matrix); remove shape",
                        path.display()
                    ),
                ));
            }
            let array = scan_array(&scan)?;
            check_finite(&array, &path)?;
            (Some((path, array)), Some(Arc::new(scan)))
        }
        Some(path) => {
            inputs.push(path.clone());
            let array = read_measurement(&path)?;
            check_finite(&array, &path)?;
            (Some((path, array)), None)
        }
        None => (None, None),
    };
    let shape = match (&raw, shape) {
        (Some(raw), None) => {
            let (h, w) = image_size(raw);
            Some(vec![h, w])
        }
        (_, shape) => shape,
    };
    let image_shape = match (&ground_truth, &shape) {
        (Some(truth), Some(s)) if image_dims_of(s) != truth.shape => {
            return Err(Error::config(
                data.key("shape"),
                format!("{s:?} does not match the image's shape {:?}", truth.shape),
            ))
        }
        (Some(truth), _) => truth.shape.clone(),
        (None, Some(s)) if s.len() == 2 || s.len() == 3 => image_dims_of(s),
        (None, Some(s)) => return Err(Error::config(data.key("shape"), format!("expected [height, width] or [channels, height, width], found {s:?}"))),
        (None, None) if measurement.is_some() => {
            return Err(Error::config(data.key("shape"), "a measurement needs the unknown image's shape, e.g. shape = [256, 256]"))
        }
        (None, None) => {
            return Err(Error::config(
                "data",
                "give image = \"file.png\" (the ground truth to simulate from) or measurement = \"y.npy\" with shape = [h, w]",
            ))
        }
    };
    // A solver keeps several arrays of the image's size (iterate, extrapolation, duals, gradient).
    crate::memory::check_array(&data.key("shape"), &image_shape, 8, 8)?;
    if ground_truth.is_none() && measurement.is_none() {
        return Err(Error::config(
            data.key("shape"),
            "describes the unknown of a measurement, and this task has none: add measurement = \"y.npy\" (or image = \"...\" instead)",
        ));
    }
    Ok(LoadedData {
        image_shape,
        ground_truth,
        measurement,
        raw,
    })
}

/// `true` for ISMRMRD files (`.h5`, `.mrd`).
fn is_ismrmrd(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("h5" | "mrd")
    )
}

/// `true` for Siemens twix files (`.dat`).
fn is_twix(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("dat")
}

/// The image size a raw scan encodes.
fn image_size(scan: &MeasuredScan) -> (usize, usize) {
    match scan {
        MeasuredScan::NonCartesian(raw) => raw.image_size,
        MeasuredScan::Cartesian(scan) => scan.image_size,
    }
}

/// The raw scan's samples as its model's measurement: `[1, coils, M, 2]` non-Cartesian, the
/// `[1, coils, H, W, 2]` k-space of every acquired line Cartesian (the physics then keeps part of
/// it).
fn scan_array(scan: &MeasuredScan) -> Result<Array> {
    let (shape, values) = match scan {
        MeasuredScan::NonCartesian(raw) => {
            (vec![1, raw.coils, raw.points.len(), 2], raw.data.clone())
        }
        MeasuredScan::Cartesian(scan) => {
            let (h, w) = scan.image_size;
            (vec![1, scan.coils, h, w, 2], scan.kspace())
        }
    };
    Array::new(shape, values.iter().flat_map(|z| [z.re, z.im]).collect())
}

/// A ground-truth image given in memory, checked as a file's would be.
pub(super) fn in_memory(image: Array) -> Result<LoadedData> {
    let image = as_image(image, Path::new("the image given in memory"))?;
    crate::memory::check_array("data.shape", &image.shape, 8, 8)?;
    Ok(LoadedData {
        image_shape: image.shape.clone(),
        ground_truth: Some(image),
        measurement: None,
        raw: None,
    })
}

fn image_dims_of(shape: &[usize]) -> Vec<usize> {
    if shape.len() == 2 {
        vec![1, shape[0], shape[1]]
    } else {
        shape.to_vec()
    }
}

/// Checks an image array, rank first: 2 or 3 dimensions, none of them zero, finite values.
fn as_image(array: Array, origin: &Path) -> Result<Array> {
    if !matches!(array.shape.len(), 2 | 3) {
        return Err(Error::format(
            origin,
            format!(
                "an image needs shape [height, width] or [channels, height, width], found {:?}",
                array.shape
            ),
        ));
    }
    if array.data.is_empty() {
        return Err(Error::format(
            origin,
            format!("the image is empty (shape {:?})", array.shape),
        ));
    }
    check_finite(&array, origin)?;
    Array::new(image_dims_of(&array.shape), array.data)
}

/// A measurement file: `.npy`, or BART's `.cfl`/`.hdr` pair (complex, dimensions reversed).
fn read_measurement(path: &Path) -> Result<Array> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("cfl" | "hdr") => crate::io::cfl::read_cfl(path),
        _ => read_npy(path),
    }
}

fn check_finite(array: &Array, origin: &Path) -> Result<()> {
    match array.data.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::format(
            origin,
            format!("value {} at flat index {i} is not finite", array.data[i]),
        )),
        None => Ok(()),
    }
}

/// Converts a loaded measurement to the operator's output shape, or explains the mismatch.
pub(super) fn check_measurement<T: Real>(
    path: &Path,
    array: Array,
    expected: &[usize],
) -> Result<Vec<T>> {
    let fits = array.shape == expected
        || (array.shape.iter().product::<usize>() == expected.iter().product::<usize>()
            && array
                .shape
                .iter()
                .filter(|d| **d != 1)
                .eq(expected.iter().filter(|d| **d != 1)));
    if !fits {
        return Err(Error::format(
            path,
            format!(
                "the measurement has shape {:?}, but this physics produces {expected:?}",
                array.shape
            ),
        ));
    }
    Ok(array.data.iter().map(|v| lit(*v)).collect())
}
