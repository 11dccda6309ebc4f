//! Portfolio's report writers: the charts of a report as SVG (and PNG for
//! documents), the web view as HTML, Word (DOCX) and PDF documents — all
//! drawn from one checked [`Report`](portfolio_domain::report::Report).
//!
//! Heavy dependencies (the SVG renderer, the Word and PDF writers) live here
//! so the rest of the workspace never builds them twice.

pub mod docx;
pub mod html;
pub mod pdf;
pub mod png;
pub mod svg;

use portfolio_domain::branding::Logo;

/// What a writer could not do.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the chart '{0}' could not be drawn: {1}")]
    Chart(String, String),
    #[error("the Word document could not be written: {0}")]
    Docx(String),
    #[error("the PDF document could not be written: {0}")]
    Pdf(String),
}

/// The organisation's name and logo on a document's title block.
#[derive(Debug, Clone, Default)]
pub struct Branding {
    pub name: String,
    pub logo: Option<Logo>,
}
