//! The learned components as one call each: the pretrained denoisers, and diffusion inversion of a
//! Fashion-MNIST image (EDICT, BDIA, SPDInv, ... as `inversa invert` runs them).

use crate::{arrays, errors};
use candle_core::DType;
use inversa_lab::fashion_inversion::{self, invert as inversion};
use inversa_lab::outcome::{Artifact, Outcome};
use pyo3::prelude::*;
use pyo3::types::PyDict;
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

/// Inverts a 28×28 grey garment (a PNG at `image`, or bundled test image `test_image`) to the
/// diffusion noise that regenerates it, with `method` on the bundled `model`, and regenerates it.
/// Returns `{"metrics": ..., "arrays": {"reconstruction.png": ..., "latent.npy": ...}}`.
#[pyfunction]
#[pyo3(signature = (method = None, image = None, test_image = None, class_ = None, steps = 50, guidance = 3.0, model = "unet", dtype = "float32", seed = 0))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
pub fn invert<'py>(
    py: Python<'py>,
    method: Option<String>,
    image: Option<PathBuf>,
    test_image: Option<usize>,
    class_: Option<usize>,
    steps: usize,
    guidance: f64,
    model: &str,
    dtype: &str,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
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
    let settings = inversion::Settings {
        common: fashion_inversion::Settings {
            model: model.to_string(),
            method,
            image,
            test_image,
            steps,
            guidance,
            dtype,
            seed,
        },
        class: class_,
    };
    let outcome = py
        .detach(|| inversion::run(&settings, &mut |_| {}))
        .map_err(errors::lab)?;
    outcome_dict(py, outcome)
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
