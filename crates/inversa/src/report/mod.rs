//! What a run shows a person: the convergence plot, the HTML report, and the output folder.
//!
//! Figures are line charts drawn by plotters into memory, with DejaVu Sans (bundled, so no
//! system font is needed), and written as PNG ([`plot`]); [`axis`] picks their ranges and tick
//! labels, and a thin backend sets their text glyph by glyph.

pub mod axis;
mod backend;
pub mod finite;
pub mod html;
mod legend;
pub mod outputs;
pub mod plot;
