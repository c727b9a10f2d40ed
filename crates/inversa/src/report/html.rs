//! `report.html`: one self-contained page (images inlined as base64 PNG) with ground truth,
//! measurement and reconstruction side by side, the convergence plot, the metrics and the task file.

use base64::Engine;

/// One picture on the page.
pub struct Figure {
    pub caption: String,
    pub png: Vec<u8>,
}

/// Everything the page shows.
pub struct Page<'a> {
    pub title: &'a str,
    pub figures: &'a [Figure],
    pub plot_png: Option<&'a [u8]>,
    /// `(name, value)` rows of the metrics table.
    pub metrics: &'a [(String, String)],
    pub task_toml: &'a str,
}

/// Escapes text for HTML element content.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// Renders the page.
pub fn render(page: &Page) -> String {
    let figures: String = page
        .figures
        .iter()
        .map(|f| {
            format!(
                "<figure><img src=\"{}\" alt=\"{c}\"><figcaption>{c}</figcaption></figure>\n",
                data_url(&f.png),
                c = escape(&f.caption)
            )
        })
        .collect();
    let rows: String = page
        .metrics
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v)))
        .collect();
    let plot = page
        .plot_png
        .map(|png| {
            format!(
                "<h2>Convergence</h2>\n<img class=\"plot\" src=\"{}\" alt=\"convergence plot\">\n",
                data_url(png)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 1em; }}
figure {{ margin: 0; }}
figure img {{ width: 320px; image-rendering: pixelated; border: 1px solid #ccc; }}
figcaption {{ text-align: center; font-size: 0.9em; }}
img.plot {{ max-width: 100%; }}
table {{ border-collapse: collapse; }}
th, td {{ text-align: left; padding: 0.2em 1em 0.2em 0; }}
pre {{ background: #f4f4f4; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>{title}</h1>
<div class="figures">
{figures}</div>
{plot}<h2>Metrics</h2>
<table>
{rows}</table>
<h2>Task</h2>
<pre>{task}</pre>
</body></html>
"#,
        title = escape(page.title),
        task = escape(page.task_toml)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_escapes_text_and_inlines_images() {
        let figures = [Figure {
            caption: "a <b>".into(),
            png: vec![1, 2, 3],
        }];
        let html = render(&Page {
            title: "t & u",
            figures: &figures,
            plot_png: None,
            metrics: &[("psnr".into(), "30.0".into())],
            task_toml: "[data]\nimage = \"<x>\"",
        });
        assert!(html.contains("t &amp; u"));
        assert!(html.contains("a &lt;b&gt;"));
        assert!(html.contains("data:image/png;base64,AQID"));
        assert!(html.contains("image = &quot;&lt;x&gt;&quot;"));
        assert!(!html.contains("<x>"));
    }
}
