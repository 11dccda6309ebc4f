//! The model as text another solver reads: free MPS and CPLEX LP.
//!
//! Both exports name columns and rows after the model, sanitised for the
//! formats (letters, digits, `_` and `.`; a leading `_` when a name would
//! start with a digit, a period or an `e`; a numeric suffix when two names
//! would collide), so anyone can load the programme into HiGHS, CBC, SCIP or
//! Gurobi and check the optimum.

use std::collections::HashSet;
use std::fmt::Write;

use crate::model::{Model, Sense};

/// Names for the objective, the columns and the rows, valid in MPS and LP.
struct Names {
    objective: String,
    columns: Vec<String>,
    rows: Vec<String>,
}

fn sanitise(raw: &str, fallback: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        s = fallback.to_string();
    }
    let first = s.chars().next().unwrap_or('_');
    if !first.is_ascii_alphabetic() && first != '_' || first == 'e' || first == 'E' {
        s.insert(0, '_');
    }
    // LP keywords cannot name anything.
    const KEYWORDS: [&str; 16] = [
        "max", "maximize", "maximise", "min", "minimize", "minimise", "st", "subject", "bounds",
        "bound", "free", "inf", "infinity", "general", "binary", "end",
    ];
    if KEYWORDS.contains(&s.to_ascii_lowercase().as_str()) {
        s.insert(0, '_');
    }
    // Keep lines readable and under the formats' limits.
    s.truncate(200);
    s
}

fn unique(name: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    (2..)
        .map(|k| format!("{name}_{k}"))
        .find(|candidate| taken.insert(candidate.clone()))
        .unwrap_or(name)
}

impl Names {
    fn of(model: &Model) -> Names {
        let mut taken = HashSet::new();
        let objective = unique("OBJ".to_string(), &mut taken);
        let columns = model
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| unique(sanitise(&c.name, &format!("c{j}")), &mut taken))
            .collect();
        let rows = model
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| unique(sanitise(&r.name, &format!("r{i}")), &mut taken))
            .collect();
        Names {
            objective,
            columns,
            rows,
        }
    }
}

/// A number both formats read back exactly (shortest round-trip form).
fn num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v}")
    }
}

/// The model in free MPS format: `OBJSENSE MAX` when maximising, integer
/// columns between `MARKER INTORG`/`INTEND`, ranged rows in `RANGES`, and
/// every bound that differs from MPS's default `[0, +inf)` in `BOUNDS`
/// (integer columns always get both bounds written, since readers disagree
/// on their defaults).
pub fn to_mps(model: &Model) -> String {
    let names = Names::of(model);
    let mut out = String::new();
    out.push_str("NAME portfolio\n");
    if model.sense == Sense::Maximise {
        out.push_str("OBJSENSE\n    MAX\n");
    }
    out.push_str("ROWS\n");
    let _ = writeln!(out, " N  {}", names.objective);
    // (kind, rhs, range) per row.
    let kinds: Vec<(&str, Option<f64>, Option<f64>)> = model
        .rows
        .iter()
        .map(|r| {
            let (lo, up) = (r.lower, r.upper);
            match (lo.is_finite(), up.is_finite()) {
                (true, true) if lo == up => ("E", Some(lo), None),
                (true, true) => ("L", Some(up), Some(up - lo)),
                (false, true) => ("L", Some(up), None),
                (true, false) => ("G", Some(lo), None),
                (false, false) => ("N", None, None),
            }
        })
        .collect();
    for (name, (kind, _, _)) in names.rows.iter().zip(&kinds) {
        let _ = writeln!(out, " {kind}  {name}");
    }
    // Column-wise coefficients.
    let mut by_col: Vec<Vec<(usize, f64)>> = vec![Vec::new(); model.columns.len()];
    for (i, r) in model.rows.iter().enumerate() {
        for &(j, a) in &r.terms {
            if let Some(col) = by_col.get_mut(j) {
                col.push((i, a));
            }
        }
    }
    out.push_str("COLUMNS\n");
    let mut in_integers = false;
    let mut marker = 0;
    for (j, c) in model.columns.iter().enumerate() {
        if c.integer != in_integers {
            let kind = if c.integer { "INTORG" } else { "INTEND" };
            let _ = writeln!(out, "    MARKER{marker:<4} 'MARKER' '{kind}'");
            marker += 1;
            in_integers = c.integer;
        }
        let name = &names.columns[j];
        // Every column appears at least once, so readers know it.
        let _ = writeln!(out, "    {name}  {}  {}", names.objective, num(c.cost));
        for &(i, a) in &by_col[j] {
            let _ = writeln!(out, "    {name}  {}  {}", names.rows[i], num(a));
        }
    }
    if in_integers {
        let _ = writeln!(out, "    MARKER{marker:<4} 'MARKER' 'INTEND'");
    }
    out.push_str("RHS\n");
    for (name, (_, rhs, _)) in names.rows.iter().zip(&kinds) {
        if let Some(rhs) = rhs.filter(|v| *v != 0.0) {
            let _ = writeln!(out, "    RHS  {name}  {}", num(rhs));
        }
    }
    if kinds.iter().any(|k| k.2.is_some()) {
        out.push_str("RANGES\n");
        for (name, (_, _, range)) in names.rows.iter().zip(&kinds) {
            if let Some(range) = range {
                let _ = writeln!(out, "    RNG  {name}  {}", num(*range));
            }
        }
    }
    let mut bounds = String::new();
    for (j, c) in model.columns.iter().enumerate() {
        let name = &names.columns[j];
        let (lo, up) = (c.lower, c.upper);
        let mut line = |kind: &str, v: Option<f64>| {
            let _ = match v {
                Some(v) => writeln!(bounds, " {kind} BND  {name}  {}", num(v)),
                None => writeln!(bounds, " {kind} BND  {name}"),
            };
        };
        if c.integer && lo == 0.0 && up == 1.0 {
            line("BV", Some(1.0));
        } else if lo == up {
            line("FX", Some(lo));
        } else {
            match (lo.is_finite(), up.is_finite()) {
                (false, false) => line("FR", None),
                (false, true) => {
                    line("MI", None);
                    line("UP", Some(up));
                }
                (true, up_finite) => {
                    if lo != 0.0 || c.integer || (up_finite && up < 0.0) {
                        line("LO", Some(lo));
                    }
                    if up_finite {
                        line("UP", Some(up));
                    } else if c.integer {
                        line("PL", None);
                    }
                }
            }
        }
    }
    if !bounds.is_empty() {
        out.push_str("BOUNDS\n");
        out.push_str(&bounds);
    }
    out.push_str("ENDATA\n");
    out
}

/// Writes `sum a_j x_j` in LP syntax, wrapping long expressions.
fn lp_expression(out: &mut String, terms: &[(usize, f64)], names: &[String]) {
    let mut written = 0;
    for &(j, a) in terms {
        let Some(name) = names.get(j) else { continue };
        if a == 0.0 {
            continue;
        }
        if written > 0 && written % 8 == 0 {
            out.push_str("\n   ");
        }
        let sign = if a < 0.0 { "-" } else { "+" };
        if written == 0 && a > 0.0 {
            let _ = write!(out, " {} {name}", num(a));
        } else {
            let _ = write!(out, " {sign} {} {name}", num(a.abs()));
        }
        written += 1;
    }
    if written == 0 {
        // An empty expression still needs a variable in LP syntax.
        let _ = write!(out, " 0 {}", names.first().map_or("_none", |s| s.as_str()));
    }
}

/// The model in CPLEX LP format. A row with both bounds finite and different
/// is written as two constraints, `NAME_lo` (>=) and `NAME_hi` (<=), which
/// every LP reader accepts; free rows are left out.
pub fn to_lp(model: &Model) -> String {
    let names = Names::of(model);
    let mut out = String::new();
    out.push_str("\\ Portfolio model\n");
    out.push_str(match model.sense {
        Sense::Maximise => "Maximize\n",
        Sense::Minimise => "Minimize\n",
    });
    let _ = write!(out, " {}:", names.objective);
    let costs: Vec<(usize, f64)> = model
        .columns
        .iter()
        .enumerate()
        .map(|(j, c)| (j, c.cost))
        .collect();
    lp_expression(&mut out, &costs, &names.columns);
    out.push_str("\nSubject To\n");
    if !model.columns.is_empty() {
        for (r, name) in model.rows.iter().zip(&names.rows) {
            let mut write_row = |label: &str, op: &str, rhs: f64| {
                let _ = write!(out, " {label}:");
                lp_expression(&mut out, &r.terms, &names.columns);
                let _ = writeln!(out, " {op} {}", num(rhs));
            };
            match (r.lower.is_finite(), r.upper.is_finite()) {
                (true, true) if r.lower == r.upper => write_row(name, "=", r.lower),
                (true, true) => {
                    write_row(&format!("{name}_lo"), ">=", r.lower);
                    write_row(&format!("{name}_hi"), "<=", r.upper);
                }
                (false, true) => write_row(name, "<=", r.upper),
                (true, false) => write_row(name, ">=", r.lower),
                (false, false) => {}
            }
        }
    }
    out.push_str("Bounds\n");
    let bound = |v: f64| -> String {
        if v == f64::INFINITY {
            "+inf".to_string()
        } else if v == f64::NEG_INFINITY {
            "-inf".to_string()
        } else {
            num(v)
        }
    };
    for (c, name) in model.columns.iter().zip(&names.columns) {
        if c.integer && c.lower == 0.0 && c.upper == 1.0 {
            continue;
        }
        if c.lower == c.upper {
            let _ = writeln!(out, " {name} = {}", num(c.lower));
        } else if c.lower == f64::NEG_INFINITY && c.upper == f64::INFINITY {
            let _ = writeln!(out, " {name} free");
        } else if c.lower != 0.0 || c.upper != f64::INFINITY || c.integer {
            let _ = writeln!(out, " {} <= {name} <= {}", bound(c.lower), bound(c.upper));
        }
    }
    let generals: Vec<&String> = model
        .columns
        .iter()
        .zip(&names.columns)
        .filter(|(c, _)| c.integer && !(c.lower == 0.0 && c.upper == 1.0))
        .map(|(_, n)| n)
        .collect();
    if !generals.is_empty() {
        out.push_str("Generals\n");
        for n in generals {
            let _ = writeln!(out, " {n}");
        }
    }
    let binaries: Vec<&String> = model
        .columns
        .iter()
        .zip(&names.columns)
        .filter(|(c, _)| c.integer && c.lower == 0.0 && c.upper == 1.0)
        .map(|(_, n)| n)
        .collect();
    if !binaries.is_empty() {
        out.push_str("Binaries\n");
        for n in binaries {
            let _ = writeln!(out, " {n}");
        }
    }
    out.push_str("End\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let mut m = Model::new(Sense::Maximise);
        let a = m.add_binary("x DP-001 2027Q1", 3.0);
        let b = m.add_binary("x DP-001 2027Q1", 2.0);
        let c = m.add_continuous("2spend", -0.5, 1.0, 10.0);
        m.add_row(
            "budget 2027/28",
            f64::NEG_INFINITY,
            4.0,
            vec![(a, 2.0), (b, 3.0)],
        );
        m.add_row("band", 1.0, 5.0, vec![(a, 1.0), (c, -1.0)]);
        m.add_row("st", 2.0, 2.0, vec![(b, 1.0), (c, 1.0)]);
        m
    }

    #[test]
    fn mps_text_of_a_tiny_model() {
        let expected = "\
NAME portfolio
OBJSENSE
    MAX
ROWS
 N  OBJ
 L  budget_2027_28
 L  band
 E  _st
COLUMNS
    MARKER0    'MARKER' 'INTORG'
    x_DP_001_2027Q1  OBJ  3
    x_DP_001_2027Q1  budget_2027_28  2
    x_DP_001_2027Q1  band  1
    x_DP_001_2027Q1_2  OBJ  2
    x_DP_001_2027Q1_2  budget_2027_28  3
    x_DP_001_2027Q1_2  _st  1
    MARKER1    'MARKER' 'INTEND'
    _2spend  OBJ  -0.5
    _2spend  band  -1
    _2spend  _st  1
RHS
    RHS  budget_2027_28  4
    RHS  band  5
    RHS  _st  2
RANGES
    RNG  band  4
BOUNDS
 BV BND  x_DP_001_2027Q1  1
 BV BND  x_DP_001_2027Q1_2  1
 LO BND  _2spend  1
 UP BND  _2spend  10
ENDATA
";
        assert_eq!(to_mps(&tiny()), expected);
    }

    #[test]
    fn lp_text_of_a_tiny_model() {
        let expected = "\
\\ Portfolio model
Maximize
 OBJ: 3 x_DP_001_2027Q1 + 2 x_DP_001_2027Q1_2 - 0.5 _2spend
Subject To
 budget_2027_28: 2 x_DP_001_2027Q1 + 3 x_DP_001_2027Q1_2 <= 4
 band_lo: 1 x_DP_001_2027Q1 - 1 _2spend >= 1
 band_hi: 1 x_DP_001_2027Q1 - 1 _2spend <= 5
 _st: 1 x_DP_001_2027Q1_2 + 1 _2spend = 2
Bounds
 1 <= _2spend <= 10
Binaries
 x_DP_001_2027Q1
 x_DP_001_2027Q1_2
End
";
        assert_eq!(to_lp(&tiny()), expected);
    }

    #[test]
    fn minimising_general_integers_and_free_columns() {
        let mut m = Model::new(Sense::Minimise);
        m.columns.push(crate::model::Column {
            name: "n".into(),
            cost: 1.0,
            lower: 0.0,
            upper: f64::INFINITY,
            integer: true,
        });
        let f = m.add_continuous("f", 1.0, f64::NEG_INFINITY, f64::INFINITY);
        m.add_row("cover", 3.0, f64::INFINITY, vec![(0, 2.0), (f, 1.0)]);
        let mps = to_mps(&m);
        assert!(!mps.contains("OBJSENSE"), "{mps}");
        assert!(mps.contains(" G  cover\n"), "{mps}");
        assert!(
            mps.contains(" LO BND  n  0\n PL BND  n\n FR BND  f\n"),
            "{mps}"
        );
        let lp = to_lp(&m);
        assert!(lp.starts_with("\\ Portfolio model\nMinimize\n"), "{lp}");
        assert!(
            lp.contains(" 0 <= n <= +inf\n f free\nGenerals\n n\nEnd\n"),
            "{lp}"
        );
    }
}
