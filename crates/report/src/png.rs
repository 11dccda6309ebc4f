//! Charts as PNG for documents: the same SVG the web page shows, rendered
//! with resvg in the bundled Liberation Sans (no system font lookup).

use std::sync::{Arc, OnceLock};

use portfolio_domain::report::Chart;

use crate::svg::chart_svg;
use crate::RenderError;

pub(crate) static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
pub(crate) static BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// Pixels per SVG unit: 2× for print.
pub const SCALE: f32 = 2.0;

pub(crate) fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        usvg::Options {
            font_family: "Liberation Sans".into(),
            fontdb: Arc::new(db),
            ..Default::default()
        }
    })
}

/// A rendered chart: PNG bytes and its size in SVG units.
pub struct ChartPng {
    pub png: Vec<u8>,
    pub width: f32,
    pub height: f32,
}

/// Renders a chart to PNG at [`SCALE`].
pub fn chart_png(chart: &Chart) -> Result<ChartPng, RenderError> {
    let svg = chart_svg(chart, "chart");
    let tree = usvg::Tree::from_str(&svg, options())
        .map_err(|e| RenderError::Chart(chart.title.clone(), e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * SCALE).ceil() as u32,
        (size.height() * SCALE).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))
        .ok_or_else(|| RenderError::Chart(chart.title.clone(), "too large to draw".into()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| RenderError::Chart(chart.title.clone(), e.to_string()))?;
    Ok(ChartPng {
        png,
        width: size.width(),
        height: size.height(),
    })
}
