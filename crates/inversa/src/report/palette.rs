//! The colours every chart shares, apart from [`super::plot`] so that the legend it draws can use
//! them without importing the plot.

use super::canvas::Rgb;

/// Series colours, in order (then repeated): the Tableau 10 palette without its grey.
pub const PALETTE: [Rgb; 9] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [188, 189, 34],
    [23, 190, 207],
];

pub(super) const BACKGROUND: Rgb = [255, 255, 255];
pub(super) const INK: Rgb = [20, 20, 20];
pub(super) const FRAME: Rgb = [90, 90, 90];
