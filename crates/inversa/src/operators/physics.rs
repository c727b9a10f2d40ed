//! What the task-file parser builds for a `[physics]` table: the operator and how to show its
//! measurement. Kept apart from [`super::registry`] so the operator files that return it do not
//! import the list that names them.

use super::LinearOperator;
use crate::real::Real;

/// What the task runner needs to build a physics from its `[physics]` table.
pub struct BuildContext {
    /// Shape of the unknown image, `[channels, height, width]`.
    pub image_shape: Vec<usize>,
    /// Seed for every random choice the physics makes (masks, matrices, coil maps).
    pub seed: u64,
    /// A measured raw scan (`data.measurement` an ISMRMRD or twix file): its sampling and coil
    /// count fix the MRI physics.
    pub raw: Option<std::sync::Arc<MeasuredScan>>,
}

/// A raw scan read from a scanner's file.
pub enum MeasuredScan {
    /// Readouts along a non-Cartesian trajectory (ISMRMRD).
    NonCartesian(super::raw_kspace::RawKspace),
    /// Lines of a Cartesian grid (Siemens twix).
    Cartesian(super::cartesian_kspace::CartesianKspace),
}

/// How a measurement is shown as a picture in the outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MeasurementDisplay {
    /// `[channels, h, w]` on the image's own scale, clipped to [0, 1].
    Image,
    /// `[channels, h, w]` (e.g. a sinogram) rescaled from its own min/max to [0, 1].
    Normalized,
    /// Complex k-space `[.., h, w, 2]`: log-magnitude of the first `h × w` slice.
    LogMagnitude,
    /// Not an image (e.g. compressed-sensing coefficients).
    None,
}

impl MeasurementDisplay {
    /// `true` for complex (k-space) measurements.
    pub fn is_complex(&self) -> bool {
        *self == MeasurementDisplay::LogMagnitude
    }
}

/// A forward operator built from a task file, with how to show its measurement.
pub struct Physics<T: Real> {
    pub operator: Box<dyn LinearOperator<T>>,
    pub display: MeasurementDisplay,
    /// Set when the physics undersampled a measured scan itself.
    pub retrospective: Option<Retrospective<T>>,
}

/// A fully sampled measured scan undersampled by the physics: the measurement it keeps, and the
/// full scan's reconstruction to score against.
pub struct Retrospective<T: Real> {
    /// The kept samples, in the operator's output layout.
    pub measurement: Vec<T>,
    /// The fully sampled reconstruction, `None` when the scan itself skipped samples.
    pub reference: Option<Vec<T>>,
}
