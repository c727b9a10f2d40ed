//! What a run shows a person: the convergence plot, the HTML report, and the output folder.
//!
//! Figures are rendered without any font or plotting dependency: a raster with line drawing
//! ([`canvas`]), a built-in bitmap font ([`font`]), axis tick choice ([`ticks`]) and line charts
//! with a legend, written as PNG ([`plot`]).

pub mod canvas;
pub mod finite;
pub mod font;
pub mod html;
mod legend;
pub mod outputs;
pub mod palette;
pub mod plot;
pub mod ticks;
