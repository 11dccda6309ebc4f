//! Charts as SVG: each with a `<title>` and a `<desc>` (the chart's text
//! alternative), drawn in Liberation Sans so the web page and the PNG the
//! documents embed look the same.

use std::fmt::Write;

use portfolio_domain::report::{Chart, ChartData, TimelineItem};

/// Width of every chart, in SVG units (pixels at 1×).
pub const WIDTH: f64 = 680.0;
const FONT: &str = "Liberation Sans, Arial, sans-serif";
/// GOV.UK colours, one per series.
const COLOURS: [&str; 8] = [
    "#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d4351c", "#28a197", "#912b88", "#505a5f",
];

/// Escapes text for SVG (XML) content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts a label to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A value as a bar's label: "£1.2m", "£350k", "12".
fn short(value: i64, unit: &str) -> String {
    if unit == "£" {
        let pounds = value as f64 / 100.0;
        if pounds.abs() >= 1_000_000.0 {
            format!("£{:.1}m", pounds / 1_000_000.0)
        } else if pounds.abs() >= 1_000.0 {
            format!("£{:.0}k", pounds / 1_000.0)
        } else {
            format!("£{pounds:.0}")
        }
    } else {
        value.to_string()
    }
}

/// The chart as a standalone SVG document.
pub fn chart_svg(chart: &Chart, id: &str) -> String {
    let (height, body) = match &chart.data {
        ChartData::Bars {
            categories,
            series,
            stacked,
            unit,
        } => bars(categories, series, *stacked, unit),
        ChartData::Matrix {
            rows,
            row_labels,
            column_labels,
        } => matrix(rows, row_labels, column_labels),
        ChartData::Timeline { items } => timeline(items),
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"{FONT}\" font-size=\"13\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>{body}</svg>",
        esc(&chart.title),
        esc(&chart.description)
    )
}

fn legend(out: &mut String, names: &[&str], y: f64) {
    let mut x = 10.0;
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" fill=\"#0b0c0c\">{}</text>",
            y - 10.0,
            COLOURS[i % COLOURS.len()],
            x + 16.0,
            y,
            esc(name)
        );
        x += 28.0 + 7.0 * name.chars().count() as f64;
    }
}

/// Horizontal bars, one row per category; series stacked or side by side.
fn bars(
    categories: &[String],
    series: &[portfolio_domain::report::Series],
    stacked: bool,
    unit: &str,
) -> (f64, String) {
    let label_w = 190.0;
    let left = label_w + 10.0;
    let right = WIDTH - 70.0;
    let top = 34.0;
    let per = if stacked || series.len() == 1 {
        1
    } else {
        series.len()
    };
    let bar_h = 16.0;
    let row_h = bar_h * per as f64 + 10.0;
    let height = top + row_h * categories.len().max(1) as f64 + 24.0;
    let max = (0..categories.len())
        .map(|c| {
            if stacked {
                series.iter().map(|s| s.values[c].max(0)).sum::<i64>()
            } else {
                series.iter().map(|s| s.values[c]).max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let scale = (right - left) / max;
    let mut out = String::new();
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut out, &names, 18.0);
    for (c, cat) in categories.iter().enumerate() {
        let y0 = top + row_h * c as f64;
        let _ = write!(
            out,
            "<text x=\"{label_w}\" y=\"{}\" text-anchor=\"end\" fill=\"#0b0c0c\">{}</text>",
            y0 + row_h / 2.0,
            esc(&clip(cat, 28))
        );
        if stacked {
            let mut x = left;
            let mut total = 0;
            for (i, s) in series.iter().enumerate() {
                let v = s.values[c].max(0);
                total += v;
                let w = v as f64 * scale;
                if w > 0.0 {
                    let _ = write!(
                        out,
                        "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"{}\"/>",
                        COLOURS[i % COLOURS.len()]
                    );
                }
                x += w;
            }
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#0b0c0c\">{}</text>",
                x + 4.0,
                y0 + 12.5,
                short(total, unit)
            );
        } else {
            for (i, s) in series.iter().enumerate() {
                let y = y0 + bar_h * i as f64;
                let v = s.values[c];
                let w = v.max(0) as f64 * scale;
                if w > 0.0 {
                    let _ = write!(
                        out,
                        "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>",
                        bar_h - 2.0,
                        COLOURS[i % COLOURS.len()]
                    );
                }
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#0b0c0c\">{}</text>",
                    left + w + 4.0,
                    y + 12.0,
                    short(v, unit)
                );
            }
        }
    }
    let axis_y = top + row_h * categories.len().max(1) as f64;
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{axis_y}\" stroke=\"#0b0c0c\"/><text x=\"{left}\" y=\"{}\" fill=\"#505a5f\">0</text><text x=\"{right}\" y=\"{}\" text-anchor=\"end\" fill=\"#505a5f\">{}</text>",
        axis_y + 16.0,
        axis_y + 16.0,
        short(max as i64, unit)
    );
    (height, out)
}

/// The 5×5 risk matrix coloured by rating, counts in the cells.
fn matrix(rows: &[Vec<i64>], row_labels: &[String], column_labels: &[String]) -> (f64, String) {
    let left = 150.0;
    let top = 10.0;
    let cell_w = (WIDTH - left - 10.0) / 5.0;
    let cell_h = 44.0;
    let height = top + cell_h * 5.0 + 60.0;
    let mut out = String::new();
    for (l, row) in rows.iter().enumerate().take(5) {
        let likelihood = 5 - l as i64;
        let y = top + cell_h * l as f64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#0b0c0c\">{}</text>",
            left - 8.0,
            y + cell_h / 2.0 + 4.0,
            esc(&clip(row_labels.get(l).map_or("", |s| s), 20))
        );
        for (i, n) in row.iter().enumerate().take(5) {
            let score = likelihood * (i as i64 + 1);
            let fill = match score {
                20.. => "#d4351c",
                12..=19 => "#f47738",
                5..=11 => "#ffdd00",
                _ => "#85994b",
            };
            let x = left + cell_w * i as f64;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
            );
            if *n > 0 {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\" fill=\"#0b0c0c\">{n}</text>",
                    x + cell_w / 2.0,
                    y + cell_h / 2.0 + 6.0
                );
            }
        }
    }
    for (i, label) in column_labels.iter().enumerate().take(5) {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#0b0c0c\">{}</text>",
            left + cell_w * (i as f64 + 0.5),
            top + cell_h * 5.0 + 18.0,
            esc(&clip(label, 18))
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#505a5f\">Impact</text><text x=\"10\" y=\"{:.1}\" fill=\"#505a5f\">Likelihood</text>",
        left + cell_w * 2.5,
        top + cell_h * 5.0 + 40.0,
        top + cell_h * 5.0 + 40.0
    );
    (height, out)
}

/// One bar per project from its start to its end, years marked.
fn timeline(items: &[TimelineItem]) -> (f64, String) {
    let label_w = 250.0;
    let left = label_w + 10.0;
    let right = WIDTH - 10.0;
    let top = 34.0;
    let row_h = 18.0;
    let height = top + row_h * items.len().max(1) as f64 + 26.0;
    let mut out = String::new();
    let Some(first) = items.iter().map(|i| i.start).min() else {
        return (height, out);
    };
    let last = items.iter().map(|i| i.end).max().unwrap_or(first);
    let span = ((last - first).num_days().max(1)) as f64;
    let x_of = |d: chrono::NaiveDate| left + (d - first).num_days() as f64 / span * (right - left);
    let mut groups: Vec<&str> = Vec::new();
    for i in items {
        if !groups.contains(&i.group.as_str()) {
            groups.push(&i.group);
        }
    }
    legend(&mut out, &groups, 18.0);
    let axis_y = top + row_h * items.len() as f64;
    use chrono::Datelike;
    for year in first.year()..=last.year() + 1 {
        if let Some(d) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) {
            if d >= first && d <= last {
                let x = x_of(d);
                let _ = write!(
                    out,
                    "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{axis_y}\" stroke=\"#b1b4b6\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#505a5f\">{year}</text>",
                    axis_y + 16.0
                );
            }
        }
    }
    for (n, item) in items.iter().enumerate() {
        let y = top + row_h * n as f64;
        let g = groups.iter().position(|g| *g == item.group).unwrap_or(0);
        let x = x_of(item.start);
        let w = (x_of(item.end) - x).max(2.0);
        let _ = write!(
            out,
            "<text x=\"{label_w}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#0b0c0c\">{}</text><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>",
            y + 13.0,
            esc(&clip(&item.label, 38)),
            y + 3.0,
            row_h - 5.0,
            COLOURS[g % COLOURS.len()]
        );
    }
    (height, out)
}
