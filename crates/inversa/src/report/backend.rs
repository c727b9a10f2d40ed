//! plotters' in-memory bitmap backend with text set by ab_glyph at each glyph's own position.
//!
//! plotters 0.3.7 draws every glyph's outline from the glyph's pen position, dropping its left
//! side bearing, so letters sit unevenly ("ob jective", "lone point") and the baseline wanders
//! with each glyph's top. Everything else is the bitmap backend's own; text keeps plotters' layout
//! box (the sum of advances, `size / 1.24` high), so labels stay where plotters measured them.

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::sync::OnceLock;

/// DejaVu Sans, the one face every chart is set in (bundled by the `dejavu` crate).
pub(super) fn face() -> &'static [u8] {
    dejavu::sans::regular()
}

#[allow(clippy::expect_used, reason = "the bundled DejaVu Sans parses")]
fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(face()).expect("the bundled DejaVu Sans parses"))
}

/// A bitmap over an RGB buffer whose text is placed glyph by glyph.
pub(super) struct Canvas<'a>(pub BitMapBackend<'a>);

type Outcome = Result<(), DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

impl DrawingBackend for Canvas<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Outcome {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Outcome {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, colour: BackendColor) -> Outcome {
        self.0.draw_pixel(point, colour)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        s: &S,
    ) -> Outcome {
        self.0.draw_line(from, to, s)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Outcome {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Outcome {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        centre: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Outcome {
        self.0.draw_circle(centre, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Outcome {
        self.0.fill_polygon(vertices, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Outcome {
        self.0.blit_bitmap(pos, size, src)
    }

    /// Sets `text` in plotters' layout box, anchored at `pos`: the capitals centred in the box's
    /// height, each glyph at its pen position plus its bearing, kerned, anti-aliased.
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Outcome {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let ((x0, y0), (x1, y1)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (x1 - x0, y1 - y0);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let font = font().as_scaled(style.size() as f32);
        let cap = font
            .outline_glyph(font.scaled_glyph('H'))
            .map_or(0.7 * font.ascent(), |h| h.px_bounds().height());
        let baseline = (height as f32 + cap) / 2.0;
        let transform = style.transform();
        let mut caret = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(before) = previous {
                caret += font.kern(before, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), point(caret, baseline));
            caret += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let corner = outline.px_bounds().min;
            let mut coverage = Vec::new();
            outline.draw(|x, y, c| coverage.push((x, y, c)));
            for (x, y, c) in coverage {
                let x = corner.x as i32 + x as i32 + dx;
                let y = corner.y as i32 + y as i32 + dy;
                let (x, y) = transform.transform(x, y);
                let ink = BackendColor {
                    alpha: colour.alpha * f64::from(c.min(1.0)),
                    rgb: colour.rgb,
                };
                self.0.draw_pixel((pos.0 + x, pos.1 + y), ink)?;
            }
        }
        Ok(())
    }
}
