//! A chart legend: one row per labelled series (a short stroke of its colour, then its label) in a
//! white box with a border, placed in whichever corner of the plot has the fewest series pixels
//! under or next to it, so that it hides as little of the curves as it can.

use super::canvas::{Rect, Rgb, RgbImage};
use super::font::{draw_text, text_width, CAP_HEIGHT};
use super::palette::{BACKGROUND, FRAME, INK, PALETTE};

/// Draws the legend of `entries` (colour, label) inside `plot`; nothing when there are none.
pub(super) fn draw_legend(image: &mut RgbImage, entries: &[(Rgb, &str)], plot: Rect, scale: usize) {
    if entries.is_empty() {
        return;
    }
    let s = scale as i64;
    let (pad, swatch, row, inset) = (4 * s, 14 * s, 12 * s, 5 * s);
    let text = entries
        .iter()
        .map(|(_, l)| text_width(l, scale))
        .max()
        .unwrap_or(0) as i64;
    let (w, h) = (
        2 * pad + swatch + 4 * s + text,
        2 * pad + row * entries.len() as i64 - 3 * s,
    );
    let corners = [
        (plot.x1 - inset - w, plot.y0 + inset),
        (plot.x0 + inset, plot.y0 + inset),
        (plot.x1 - inset - w, plot.y1 - inset - h),
        (plot.x0 + inset, plot.y1 - inset - h),
    ];
    let boxes = corners.map(|(x, y)| Rect {
        x0: x,
        y0: y,
        x1: x + w,
        y1: y + h,
    });
    // The first corner (top right, top left, bottom right, bottom left) with the fewest series pixels.
    let chosen = *boxes
        .iter()
        .min_by_key(|r| series_pixels(image, &r.grow(inset)))
        .unwrap_or(&boxes[0]);
    image.fill(chosen, BACKGROUND);
    image.outline(chosen, FRAME);
    let bounds = image.bounds();
    for (n, (colour, label)) in entries.iter().enumerate() {
        let top = chosen.y0 + pad + n as i64 * row;
        let middle = top + CAP_HEIGHT as i64 * s / 2;
        let x = chosen.x0 + pad;
        image.line((x, middle), (x + swatch, middle), s + 1, *colour, bounds);
        draw_text(image, label, x + swatch + 4 * s, top, scale, INK);
    }
}

/// How many pixels of `rect` (clipped to the image) have a series colour.
fn series_pixels(image: &RgbImage, rect: &Rect) -> usize {
    let r = rect.intersect(&image.bounds());
    (r.y0..r.y1)
        .flat_map(|y| (r.x0..r.x1).map(move |x| (x as usize, y as usize)))
        .filter(|&(x, y)| image.get(x, y).is_some_and(|c| PALETTE.contains(&c)))
        .count()
}
