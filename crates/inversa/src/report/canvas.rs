//! An 8-bit RGB raster with the primitives the charts need: filled rectangles and thick straight
//! lines. Lines are rasterised with Bresenham's integer algorithm (J. E. Bresenham, "Algorithm for
//! computer control of a digital plotter", IBM Systems Journal 4(1), 1965), stamping a square brush
//! at every step. Everything drawn is clipped to a rectangle (by default the whole image), so no
//! coordinate can index outside the pixel buffer.

/// An RGB colour.
pub type Rgb = [u8; 3];

/// A half-open pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Rect {
    /// `true` when `(x, y)` lies inside.
    pub fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    /// The overlap of two rectangles (empty, `x1 ≤ x0` or `y1 ≤ y0`, when they do not meet).
    pub fn intersect(&self, other: &Rect) -> Rect {
        Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        }
    }

    /// The rectangle grown by `margin` pixels on every side.
    pub fn grow(&self, margin: i64) -> Rect {
        Rect {
            x0: self.x0 - margin,
            y0: self.y0 - margin,
            x1: self.x1 + margin,
            y1: self.y1 + margin,
        }
    }
}

/// A `width × height` RGB image, row-major, three bytes per pixel.
///
/// ```
/// use inversa::report::canvas::{RgbImage, Rect};
/// let mut image = RgbImage::new(8, 4, [255, 255, 255]);
/// image.line((0, 0), (7, 3), 1, [255, 0, 0], image.bounds());
/// assert_eq!(image.get(0, 0), Some([255, 0, 0]));
/// assert_eq!(image.get(7, 3), Some([255, 0, 0]));
/// assert_eq!(image.get(7, 0), Some([255, 255, 255]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl RgbImage {
    /// An image filled with `background`.
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        Self {
            width,
            height,
            pixels: background.repeat(width * height),
        }
    }

    /// The whole image as a clipping rectangle.
    pub fn bounds(&self) -> Rect {
        Rect {
            x0: 0,
            y0: 0,
            x1: self.width as i64,
            y1: self.height as i64,
        }
    }

    /// The colour at `(x, y)`, or `None` outside the image.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let k = 3 * (y * self.width + x);
            [self.pixels[k], self.pixels[k + 1], self.pixels[k + 2]]
        })
    }

    /// Sets `(x, y)` to `colour` when it lies inside both the image and `clip`.
    pub fn put(&mut self, x: i64, y: i64, colour: Rgb, clip: Rect) {
        if clip.contains(x, y) && self.bounds().contains(x, y) {
            let k = 3 * (y as usize * self.width + x as usize);
            self.pixels[k..k + 3].copy_from_slice(&colour);
        }
    }

    /// Fills `rect` (clipped to the image).
    pub fn fill(&mut self, rect: Rect, colour: Rgb) {
        let bounds = self.bounds();
        for y in rect.y0.max(0)..rect.y1.min(bounds.y1) {
            for x in rect.x0.max(0)..rect.x1.min(bounds.x1) {
                self.put(x, y, colour, bounds);
            }
        }
    }

    /// Draws the one-pixel border just inside `rect`.
    pub fn outline(&mut self, rect: Rect, colour: Rgb) {
        let (right, bottom, clip) = (rect.x1 - 1, rect.y1 - 1, self.bounds());
        self.line((rect.x0, rect.y0), (right, rect.y0), 1, colour, clip);
        self.line((rect.x0, bottom), (right, bottom), 1, colour, clip);
        self.line((rect.x0, rect.y0), (rect.x0, bottom), 1, colour, clip);
        self.line((right, rect.y0), (right, bottom), 1, colour, clip);
    }

    /// Draws the segment `from → to` with a square brush `thickness` pixels wide, clipped to `clip`.
    pub fn line(
        &mut self,
        from: (i64, i64),
        to: (i64, i64),
        thickness: i64,
        colour: Rgb,
        clip: Rect,
    ) {
        let (dx, dy) = ((to.0 - from.0).abs(), -(to.1 - from.1).abs());
        let (sx, sy) = ((to.0 - from.0).signum(), (to.1 - from.1).signum());
        let (mut x, mut y, mut error) = (from.0, from.1, dx + dy);
        let lower = (thickness.max(1) - 1) / 2;
        loop {
            self.fill_clipped(x - lower, y - lower, thickness.max(1), colour, clip);
            if (x, y) == to {
                break;
            }
            let twice = 2 * error;
            if twice >= dy {
                error += dy;
                x += sx;
            }
            if twice <= dx {
                error += dx;
                y += sy;
            }
        }
    }

    fn fill_clipped(&mut self, x0: i64, y0: i64, size: i64, colour: Rgb, clip: Rect) {
        for y in y0..y0 + size {
            for x in x0..x0 + size {
                self.put(x, y, colour, clip);
            }
        }
    }
}
