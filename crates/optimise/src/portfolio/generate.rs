//! A generated, realistic portfolio for benchmarks and tests: deterministic
//! for a seed.

use super::{BudgetLimit, Candidate, Decision, Money, PoolLimit, PortfolioProblem, YearCost};

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A council's programme of `projects` candidates over 12 quarters (three
/// financial years from 2027/28): five pools (developers, business
/// analysts, RPA specialists, change managers, data engineers), capital and
/// revenue budgets per year, dependencies, a few exclusive pairs, some
/// mandatory (statutory) projects and some fixed (in delivery). Demand for
/// money is several times the budgets, so the choice matters (with seed
/// 2026, 28 of the 200 fit in the optimum).
/// Values are whole numbers (priority scores), so the optimum is proved to
/// the unit.
pub fn generated(seed: u64, projects: usize) -> PortfolioProblem {
    let mut rng = Rng(seed ^ 0x005E_ED0F_C0DE);
    let quarters = 12;
    let years = 3;
    let scale = projects as f64 / 200.0;
    // (name, supply per quarter for 200 projects)
    let pool_specs = [
        ("Developers", 14.0),
        ("Business analysts", 8.0),
        ("RPA specialists", 3.0),
        ("Change managers", 5.0),
        ("Data engineers", 4.0),
    ];
    let pools: Vec<PoolLimit> = pool_specs
        .iter()
        .map(|&(name, s)| PoolLimit {
            name: name.to_string(),
            supply: (0..quarters)
                .map(|q| ((s * scale).round().max(1.0) + if q >= 8 { 1.0 } else { 0.0 }).max(1.0))
                .collect(),
        })
        .collect();
    let mut quarter_names = Vec::new();
    for y in 0..years {
        for q in 1..=4 {
            quarter_names.push(format!("{}/{:02} Q{q}", 2027 + y, (28 + y) % 100));
        }
    }
    let mut budgets = Vec::new();
    for y in 0..years {
        let label = format!("{}/{:02}", 2027 + y, (28 + y) % 100);
        budgets.push(BudgetLimit {
            name: format!("{label} capital"),
            year: y,
            money: Money::Capital,
            limit_pence: Some(((600_000_000.0 + 50_000_000.0 * y as f64) * scale) as i64),
        });
        budgets.push(BudgetLimit {
            name: format!("{label} revenue"),
            year: y,
            money: Money::Revenue,
            limit_pence: Some(((250_000_000.0 + 25_000_000.0 * y as f64) * scale) as i64),
        });
    }
    let mut candidates = Vec::with_capacity(projects);
    for i in 0..projects {
        let duration = rng.range(2, 6) as usize;
        let earliest = rng.range(0, 7) as usize;
        let latest = (earliest + rng.range(0, 4) as usize).min(quarters - 1);
        // Each project uses two or three pools, mostly developers and analysts.
        let mut demand = vec![vec![0.0; duration]; pools.len()];
        let main = if rng.chance(70) {
            0
        } else {
            rng.range(1, 4) as usize
        };
        let others = [
            main,
            if main == 1 { 3 } else { 1 },
            rng.range(2, 4) as usize,
        ];
        let count = rng.range(2, 3) as usize;
        for (n, &p) in others.iter().take(count).enumerate() {
            let level = if n == 0 { rng.range(1, 3) } else { 1 } as f64;
            // Never more than the pool ever has: a smaller team, longer.
            let level = level.min(pools[p].supply[0]);
            for (k, d) in demand[p].iter_mut().enumerate() {
                // Ramp down in the last quarter.
                *d = if k + 1 == duration && duration > 2 {
                    ((level / 2.0) * 2.0).round().max(1.0) / 2.0
                } else {
                    level
                };
            }
        }
        let cost_years = duration.div_ceil(4) + 1;
        let cost: Vec<YearCost> = (0..cost_years)
            .map(|k| YearCost {
                capital_pence: if k + 1 < cost_years || cost_years == 1 {
                    rng.range(20, 120) as i64 * 1_000_000
                } else {
                    0
                },
                revenue_pence: rng.range(5, 40) as i64 * 1_000_000,
            })
            .collect();
        let value = rng.range(10, 100) as f64;
        candidates.push(Candidate {
            key: format!("DP-{:03}", i + 1),
            value,
            earliest_start: earliest,
            latest_start: latest,
            duration,
            demand,
            cost,
            decision: Decision::Free,
        });
    }
    // In delivery: about 5%, started up to three quarters before the horizon,
    // with small teams (they are winding down), so the horizon starts feasible.
    let fixed = (projects / 20).max(1);
    for c in candidates.iter_mut().take(fixed) {
        halve(c);
        let start = rng.range(0, 3) as i64 - 3;
        c.decision = Decision::Fixed(start);
        c.earliest_start = 0;
        c.latest_start = 0;
    }
    // Statutory: about 4%, with wide windows.
    let mandatory = (projects / 25).max(1);
    for c in candidates.iter_mut().skip(fixed).take(mandatory) {
        halve(c);
        c.decision = Decision::Mandatory;
        c.earliest_start = c.earliest_start.min(2);
        c.latest_start = (c.earliest_start + 6).min(quarters - 1);
    }
    // Dependencies among the free projects: about one in ten depends on an earlier one.
    let first_free = fixed + mandatory;
    let mut dependencies = Vec::new();
    for b in first_free + 1..projects {
        if rng.chance(10) {
            let a = rng.range(first_free as u64, b as u64 - 1) as usize;
            dependencies.push((a, b));
            // Leave the dependent room to start after its prerequisite.
            let finish = candidates[a].earliest_start + candidates[a].duration;
            let cb = &mut candidates[b];
            cb.earliest_start = cb.earliest_start.max(finish.min(quarters - 1));
            cb.latest_start = (cb.earliest_start + 3).min(quarters - 1);
        }
    }
    // A few pairs of alternatives (two ways to do the same thing).
    let mut exclusive = Vec::new();
    let pairs = (projects / 40).max(1);
    let mut used = vec![false; projects];
    for &(a, b) in &dependencies {
        used[a] = true;
        used[b] = true;
    }
    let mut i = first_free;
    while exclusive.len() < pairs && i + 1 < projects {
        if !used[i] && !used[i + 1] {
            exclusive.push(vec![i, i + 1]);
            used[i] = true;
            used[i + 1] = true;
            i += 7;
        } else {
            i += 1;
        }
    }
    PortfolioProblem {
        quarters,
        pools,
        budgets,
        candidates,
        dependencies,
        exclusive,
        quarter_names,
    }
}

/// Halves a project's demand (to half-units, at least half a person where it had any).
fn halve(c: &mut Candidate) {
    for row in &mut c.demand {
        for d in row.iter_mut() {
            if *d > 0.0 {
                *d = ((*d / 2.0) * 2.0).round().max(1.0) / 2.0;
            }
        }
    }
}
