//! The learned components as one call each: the pretrained denoisers, and diffusion inversion of a
//! Fashion-MNIST image (EDICT, BDIA, SPDInv, ... as `inversa invert` runs them) and editing it
//! into another class (`inversa edit`).

use crate::{arrays, errors};
use candle_core::DType;
use inversa_lab::fashion_inversion::{self, Picture};
use inversa_lab::outcome::{Artifact, Outcome};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Denoises `image` (float32, `[channels, height, width]`, values in [0, 1]) at noise level
/// `sigma` (on the [0, 1] scale) with `model`: `"ffdnet"` (pretrained colour FFDNet; grey images go
/// through as three equal channels), `"dncnn"` (the bundled grey DnCNN) or a path to weights from
/// `inversa train denoiser`.
#[pyfunction]
#[pyo3(signature = (image, sigma, model = "ffdnet"))]
pub fn denoise(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    sigma: f64,
    model: &str,
) -> PyResult<Py<PyAny>> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(errors::value(
            "sigma",
            format!("expected a number >= 0, found {sigma}"),
        ));
    }
    let array = arrays::borrow::<f32>(image, "image")?;
    let shape = arrays::shape_of(&array);
    if shape.len() != 3 || shape.contains(&0) {
        return Err(errors::value(
            "image",
            format!("expected shape (channels, height, width), found {shape:?}"),
        ));
    }
    inversa::memory::check_array("image", &shape, 4, 8).map_err(errors::core)?;
    let data = arrays::slice(&array, "image")?;
    let denoiser =
        inversa_learn::models::bundled::denoiser(model, Path::new(".")).map_err(errors::learn)?;
    let mut out = vec![0.0f32; data.len()];
    py.detach(|| denoiser.denoise(data, &shape, sigma as f32, &mut out));
    arrays::check_finite(&out, "the denoised image")?;
    arrays::owned(py, &shape, out)
}

/// Inverts a 28×28 grey garment to the diffusion noise that regenerates it, with `method` on the
/// bundled `model`, and regenerates it (`inversa invert`). `image`: a bundled test image's index,
/// the path of a PNG, or float64 pixels in [0, 1] (784 of them, C-contiguous). Returns
/// `{"metrics": ..., "arrays": {"reconstruction.png": ..., "latent.npy": ...}}`.
#[pyfunction]
#[pyo3(signature = (image, method = None, class_ = None, steps = 50, guidance = 3.0, model = "unet", dtype = "float32", seed = 0))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
pub fn invert<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    method: Option<String>,
    class_: Option<usize>,
    steps: usize,
    guidance: f64,
    model: &str,
    dtype: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let settings = fashion_inversion::invert::Settings {
        common: common_settings(image, method, steps, guidance, model, dtype, seed)?,
        class: class_,
    };
    let outcome = py
        .detach(|| fashion_inversion::invert::run(&settings, &mut |_| {}))
        .map_err(errors::lab)?;
    outcome_dict(py, outcome)
}

/// Inverts a garment with its class `source_class` and regenerates it as class `target_class`
/// (`inversa edit`); `image` and the rest as for [`invert`]. Returns `{"metrics": ..., "arrays":
/// {"edit.png": ...}}`.
#[pyfunction]
#[pyo3(signature = (image, target_class, method = None, source_class = None, steps = 50, guidance = 3.0, model = "unet", dtype = "float32", seed = 0))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
pub fn edit<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    target_class: usize,
    method: Option<String>,
    source_class: Option<usize>,
    steps: usize,
    guidance: f64,
    model: &str,
    dtype: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let settings = fashion_inversion::edit::Settings {
        common: common_settings(image, method, steps, guidance, model, dtype, seed)?,
        source_class,
        target_class,
    };
    let outcome = py
        .detach(|| fashion_inversion::edit::run(&settings, &mut |_| {}))
        .map_err(errors::lab)?;
    outcome_dict(py, outcome)
}

/// The settings `invert` and `edit` share, as `inversa invert|edit` reads them from its flags.
fn common_settings(
    image: &Bound<'_, PyAny>,
    method: Option<String>,
    steps: usize,
    guidance: f64,
    model: &str,
    dtype: &str,
    seed: u64,
) -> PyResult<fashion_inversion::Settings> {
    let dtype = match dtype {
        "float32" => DType::F32,
        "float64" => DType::F64,
        other => {
            return Err(errors::value(
                "dtype",
                format!("expected \"float32\" or \"float64\", found \"{other}\""),
            ))
        }
    };
    Ok(fashion_inversion::Settings {
        model: model.to_string(),
        method,
        image: picture(image)?,
        steps,
        guidance,
        dtype,
        seed,
    })
}

/// A bundled test image's index, a PNG's path, or the pixels themselves.
fn picture(image: &Bound<'_, PyAny>) -> PyResult<Picture> {
    // A bool is an int to Python; `True` must not quietly mean test image 1.
    if !image.is_instance_of::<PyBool>() {
        if let Ok(index) = image.extract::<usize>() {
            return Ok(Picture::Bundled(index));
        }
        if let Ok(path) = image.extract::<PathBuf>() {
            return Ok(Picture::Png(path));
        }
    }
    if !image.hasattr("dtype")? {
        let found = image.get_type().name()?;
        return Err(errors::value(
            "image",
            format!("expected a bundled test image's index, a PNG's path or a NumPy array of pixels, found {found}"),
        ));
    }
    let array = arrays::borrow::<f64>(image, "image")?;
    Ok(Picture::Pixels(arrays::slice(&array, "image")?.to_vec()))
}

/// An experiment's outcome as `{"metrics": dict, "arrays": {file name: array}}`; an error when a
/// metric or array is not finite.
pub fn outcome_dict<R: Serialize>(
    py: Python<'_>,
    outcome: Outcome<R>,
) -> PyResult<Bound<'_, PyDict>> {
    outcome.check_finite().map_err(errors::lab)?;
    let text = serde_json::to_string(&outcome.report).map_err(|e| errors::value("metrics", e))?;
    let result = PyDict::new(py);
    result.set_item(
        "metrics",
        py.import("json")?.call_method1("loads", (text,))?,
    )?;
    let arrays_dict = PyDict::new(py);
    for (name, artifact) in outcome.files {
        match artifact {
            Artifact::Image { shape, pixels } => {
                arrays_dict.set_item(name, arrays::owned(py, &shape, pixels)?)?
            }
            Artifact::Array { shape, data } => {
                arrays_dict.set_item(name, arrays::owned(py, &shape, data)?)?
            }
            Artifact::Plot(_) | Artifact::Picture(_) | Artifact::Html(_) => {}
        }
    }
    result.set_item("arrays", arrays_dict)?;
    Ok(result)
}

/// The built-in image `name` (camera, chelsea, brick, phantom) as float32 `[channels, height,
/// width]` in [0, 1].
#[pyfunction]
pub fn builtin_image(py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
    let image = inversa::data::builtin_image(name).map_err(errors::core)?;
    let pixels: Vec<f32> = image.data.iter().map(|v| *v as f32).collect();
    arrays::owned(py, &image.shape, pixels)
}

/// The bundled Fashion-MNIST test images (those the diffusion model never saw) as float32
/// `[count, 28, 28]` in [0, 1], and their labels.
#[pyfunction]
pub fn fashion_test_images(py: Python<'_>) -> PyResult<(Py<PyAny>, Vec<usize>)> {
    let images = inversa_learn::models::bundled::test_images().map_err(errors::core)?;
    let (rows, cols) = images.size();
    let pixels: Vec<f32> = (0..images.len())
        .flat_map(|i| images.pixels(i).iter().map(|&p| f32::from(p) / 255.0))
        .collect();
    let array = arrays::owned(py, &[images.len(), rows, cols], pixels)?;
    let labels = images.labels().iter().map(|&l| usize::from(l)).collect();
    Ok((array, labels))
}
