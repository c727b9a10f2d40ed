//! What a protocol hands back: its report (written as `metrics.json`), the files it draws, and the
//! lines it has to say. [`Outcome::write`] writes them into a folder, each file atomically, so the
//! CLI and a Rust caller produce the same files from the same call. Nothing is written when the
//! report or a file holds a NaN or an infinity ([`inversa::report::finite`]): that is a failed
//! run, named by the metric or file, never a number or a `null` in `metrics.json`.

use crate::Result;
use inversa::io::{npy::write_npy_f32, png_image::write_png_u8, write_atomically};
use inversa::report::finite;
use inversa::report::plot::RgbImage;
use inversa::report::plot::{render_panels, write_png, Panel};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One file of an outcome.
pub enum Artifact {
    /// Line plots side by side, each panel 560×440 pixels.
    Plot(Vec<Panel>),
    /// A picture already drawn at its own size.
    Picture(RgbImage),
    /// An 8-bit PNG of pixels in [0, 1], shaped `[C, H, W]`.
    Image { shape: Vec<usize>, pixels: Vec<f32> },
    /// A float32 `.npy` array.
    Array { shape: Vec<usize>, data: Vec<f32> },
    /// A page of text, written as it is (see [`report_page`]).
    Html(String),
}

/// A report with its files.
pub struct Outcome<R> {
    /// Written as `metrics.json`.
    pub report: R,
    /// File name and content.
    pub files: Vec<(String, Artifact)>,
}

impl<R: Serialize> Outcome<R> {
    /// A report with no files yet.
    pub fn new(report: R) -> Self {
        Self {
            report,
            files: Vec::new(),
        }
    }

    /// Adds a file named `name`.
    pub fn with(mut self, name: &str, artifact: Artifact) -> Self {
        self.files.push((name.to_string(), artifact));
        self
    }

    /// The names of the files (without `metrics.json`).
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(name, _)| name.as_str())
    }

    /// Fails naming the metric or file that holds the first NaN or infinity.
    pub fn check_finite(&self) -> Result<()> {
        finite::check(&self.report, "metrics.json")?;
        for (name, artifact) in &self.files {
            match artifact {
                Artifact::Plot(panels) => {
                    for panel in panels {
                        for series in &panel.series {
                            let values: Vec<f64> =
                                series.values.iter().flat_map(|&(x, y)| [x, y]).collect();
                            let what = format!("{name} ({}: {})", panel.title, series.label);
                            finite::check_array(&values, &what)?;
                        }
                    }
                }
                Artifact::Picture(_) | Artifact::Html(_) => {}
                Artifact::Image { pixels: data, .. } | Artifact::Array { data, .. } => {
                    finite::check_array(data, name)?
                }
            }
        }
        Ok(())
    }

    /// Writes `metrics.json` and every file into `out` (created if missing); the paths written.
    /// Nothing is written when [`Self::check_finite`] fails.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        self.check_finite()?;
        std::fs::create_dir_all(out).map_err(|e| inversa::Error::io(out, e))?;
        let metrics = out.join("metrics.json");
        let text = serde_json::to_string_pretty(&self.report)
            .map_err(|e| inversa::Error::format(&metrics, e.to_string()))?
            + "\n";
        write_atomically(&metrics, text.as_bytes())?;
        let mut written = vec![metrics];
        written.extend(self.write_files(out)?);
        Ok(written)
    }

    /// Writes the files alone into `out` (created if missing), for a command whose report is
    /// only printed; the paths written. Nothing is written when [`Self::check_finite`] fails.
    pub fn write_files(&self, out: &Path) -> Result<Vec<PathBuf>> {
        self.check_finite()?;
        std::fs::create_dir_all(out).map_err(|e| inversa::Error::io(out, e))?;
        let mut written = Vec::new();
        for (name, artifact) in &self.files {
            let path = out.join(name);
            match artifact {
                Artifact::Plot(panels) => {
                    write_png(&path, &render_panels(panels, 560 * panels.len(), 440))?
                }
                Artifact::Picture(image) => write_png(&path, image)?,
                Artifact::Image { shape, pixels } => write_png_u8(&path, shape, pixels)?,
                Artifact::Array { shape, data } => write_npy_f32(&path, shape, data)?,
                Artifact::Html(text) => write_atomically(&path, text.as_bytes())?,
            }
            written.push(path);
        }
        Ok(written)
    }
}

/// `report.html` for an experiment: its title, a few paragraphs (the claim and the verdict), the
/// figures it writes beside the page (linked by file name, so the page is read from the output
/// folder) and the report as pretty-printed JSON.
pub fn report_page<R: Serialize>(
    title: &str,
    paragraphs: &[String],
    figures: &[&str],
    report: &R,
) -> Result<Artifact> {
    report_page_with_table(title, paragraphs, &[], figures, report)
}

/// [`report_page`] with a table after the paragraphs: its first row is the header.
pub fn report_page_with_table<R: Serialize>(
    title: &str,
    paragraphs: &[String],
    table: &[Vec<String>],
    figures: &[&str],
    report: &R,
) -> Result<Artifact> {
    use inversa::report::html::escape;
    let cells = |row: &Vec<String>, tag: &str| -> String {
        let inner: String = row
            .iter()
            .map(|c| format!("<{tag}>{}</{tag}>", escape(c)))
            .collect();
        format!("<tr>{inner}</tr>\n")
    };
    let table = match table.split_first() {
        Some((header, rows)) => format!(
            "<table>\n{}{}</table>\n",
            cells(header, "th"),
            rows.iter().map(|r| cells(r, "td")).collect::<String>()
        ),
        None => String::new(),
    };
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| inversa::Error::format(Path::new("report.html"), e.to_string()))?;
    let text: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", escape(p)))
        .collect();
    let images: String = figures
        .iter()
        .map(|f| format!("<img src=\"{0}\" alt=\"{0}\">\n", escape(f)))
        .collect();
    Ok(Artifact::Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n\
         <style>body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1800px; }} \
         img {{ max-width: 100%; }} pre {{ background: #f4f4f4; padding: 1em; }} \
         td, th {{ padding: 0.2em 0.6em; text-align: right; }}</style>\n\
         </head><body>\n<h1>{t}</h1>\n{text}{table}{images}<h2>metrics.json</h2>\n<pre>{j}</pre>\n\
         </body></html>\n",
        t = escape(title),
        j = escape(&json)
    )))
}
