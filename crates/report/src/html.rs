//! The report as HTML with GOV.UK classes: the web view's body, and a
//! standalone page for `--format html`. Charts are inline SVG with their
//! text alternative, and the data as a table beside each.

use std::fmt::Write;

use portfolio_domain::report::{Block, Report, Table};

use crate::svg::{chart_svg, esc};

fn table_html(out: &mut String, t: &Table) {
    let _ = write!(
        out,
        "<table class=\"govuk-table\"><caption class=\"govuk-table__caption govuk-table__caption--s\">{}</caption><thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">",
        esc(&t.caption)
    );
    let class = |i: usize, head: bool| {
        let base = if head {
            "govuk-table__header"
        } else {
            "govuk-table__cell"
        };
        if t.numeric.contains(&i) {
            format!("{base} {base}--numeric")
        } else {
            base.to_string()
        }
    };
    for (i, h) in t.header.iter().enumerate() {
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"{}\">{}</th>",
            class(i, true),
            esc(h)
        );
    }
    out.push_str("</tr></thead><tbody class=\"govuk-table__body\">");
    for row in &t.rows {
        out.push_str("<tr class=\"govuk-table__row\">");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(
                    out,
                    "<th scope=\"row\" class=\"govuk-table__header\">{}</th>",
                    esc(cell)
                );
            } else {
                let _ = write!(out, "<td class=\"{}\">{}</td>", class(i, false), esc(cell));
            }
        }
        out.push_str("</tr>");
    }
    if let Some(footer) = &t.footer {
        out.push_str("<tr class=\"govuk-table__row app-report-total\">");
        for (i, cell) in footer.iter().enumerate() {
            if i == 0 {
                let _ = write!(
                    out,
                    "<th scope=\"row\" class=\"govuk-table__header\">{}</th>",
                    esc(cell)
                );
            } else {
                let _ = write!(
                    out,
                    "<td class=\"{} govuk-!-font-weight-bold\">{}</td>",
                    class(i, false),
                    esc(cell)
                );
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// The report's sections as HTML (no page around them).
pub fn body(report: &Report) -> String {
    let mut out = String::new();
    let mut chart_no = 0;
    for section in &report.sections {
        let _ = write!(
            out,
            "<section class=\"app-report-section\" id=\"{}\" aria-labelledby=\"{}-heading\"><h2 class=\"govuk-heading-l\" id=\"{}-heading\">{}</h2>",
            esc(&section.id),
            esc(&section.id),
            esc(&section.id),
            esc(&section.heading)
        );
        for block in &section.blocks {
            match block {
                Block::Subheading { text } => {
                    let _ = write!(out, "<h3 class=\"govuk-heading-m\">{}</h3>", esc(text));
                }
                Block::Paragraph { text } => {
                    let _ = write!(
                        out,
                        "<p class=\"govuk-body\">{}</p>",
                        esc(text).replace('\n', "<br>")
                    );
                }
                Block::Figures { figures } => {
                    out.push_str("<ul class=\"govuk-list app-report-figures\">");
                    for f in figures {
                        let _ = write!(
                            out,
                            "<li><span class=\"govuk-heading-xl govuk-!-margin-bottom-0\">{}</span> <span class=\"govuk-body\">{}</span></li>",
                            esc(&f.value),
                            esc(&f.label)
                        );
                    }
                    out.push_str("</ul>");
                }
                Block::Table { table } => table_html(&mut out, table),
                Block::Chart { chart } => {
                    chart_no += 1;
                    let id = format!("chart-{chart_no}");
                    let _ = write!(
                        out,
                        "<figure class=\"app-report-chart\"><h3 class=\"govuk-heading-m\">{}</h3><div class=\"app-report-chart__image\">{}</div><figcaption class=\"govuk-body\">{}</figcaption><details class=\"govuk-details\" open><summary class=\"govuk-details__summary\"><span class=\"govuk-details__summary-text\">Data for {}</span></summary><div class=\"govuk-details__text\">",
                        esc(&chart.title),
                        chart_svg(chart, &id),
                        esc(&chart.description),
                        esc(&chart.title.to_lowercase())
                    );
                    table_html(&mut out, &chart.table);
                    out.push_str("</div></details></figure>");
                }
            }
        }
        out.push_str("</section>");
    }
    out
}

/// A standalone HTML document (for `--format html`), styled inline.
pub fn document(report: &Report, logo: Option<(&str, &[u8])>) -> String {
    use base64::Engine;
    let logo = logo
        .map(|(mime, bytes)| {
            format!(
                "<img class=\"app-report-logo\" src=\"data:{};base64,{}\" alt=\"{}\">",
                esc(mime),
                base64::engine::general_purpose::STANDARD.encode(bytes),
                esc(&format!("{} logo", report.organisation))
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
body{{font-family:'Liberation Sans',Arial,sans-serif;color:#0b0c0c;max-width:960px;margin:2em auto;padding:0 1em}}\
table{{border-collapse:collapse;margin:1em 0;width:100%}}th,td{{border-bottom:1px solid #b1b4b6;padding:.4em;text-align:left}}\
.govuk-table__cell--numeric,.govuk-table__header--numeric{{text-align:right}}caption{{text-align:left;font-weight:bold}}\
.app-report-figures{{display:flex;gap:2em;list-style:none;padding:0}}.app-report-logo{{max-height:80px}}\
</style></head><body>{logo}<p>{org}</p><h1>{title}</h1><p>As at {as_at}</p>{body}</body></html>",
        title = esc(&report.title),
        org = esc(&report.organisation),
        as_at = report.as_at.format("%-d %B %Y"),
        body = body(report)
    )
}
