//! A bounded, mixed load against one or more Portfolio instances.
//!
//! Workers (one per connection) pick operations at the ratios of [`MIX`] —
//! reads of the register, a project, the dashboard, the API list and the
//! RAID list; project updates with `If-Match` and creations; small CSV
//! imports; scenario runs polled to their end — spread over the base URLs,
//! until the duration is up or the request budget is spent, whichever comes
//! first. Every answer is checked: a 5xx, a failed connection or a status
//! the operation does not expect is an error; a 412 on an update (someone
//! else changed the project since it was read) is counted as refused stale,
//! as the service is meant to refuse it. Meanwhile the servers' resident
//! memory is sampled from `/proc/PID/status`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use portfolio_domain::Project;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// The operations, their share of the mix (per thousand) and whether they write.
pub const MIX: &[(Op, u32)] = &[
    (Op::Register, 160),
    (Op::ProjectPage, 200),
    (Op::Dashboard, 120),
    (Op::ApiList, 200),
    (Op::RaidList, 120),
    (Op::Update, 120),
    (Op::Create, 30),
    (Op::Import, 30),
    (Op::Optimise, 20),
];

/// One kind of request (or, for updates and optimisations, exchange).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// `GET /projects`, the register page (HTML), first or second page.
    Register,
    /// `GET /projects/{code}` (HTML).
    ProjectPage,
    /// `GET /`, the dashboard (HTML).
    Dashboard,
    /// `GET /api/v1/projects` with a stage, department or confidence filter.
    ApiList,
    /// `GET /api/v1/raid-items`.
    RaidList,
    /// `GET /api/v1/projects/{code}`: the read before each update.
    ApiProject,
    /// `PUT /api/v1/projects/{code}` with `If-Match`.
    Update,
    /// `POST /api/v1/projects`.
    Create,
    /// `POST /api/v1/imports`: three rows of CSV, re-imported under the worker's source.
    Import,
    /// `POST /api/v1/scenarios/{slug}/runs`, then polling the run until it ends.
    Optimise,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 10] = [
        Op::Register,
        Op::ProjectPage,
        Op::Dashboard,
        Op::ApiList,
        Op::RaidList,
        Op::ApiProject,
        Op::Update,
        Op::Create,
        Op::Import,
        Op::Optimise,
    ];

    /// The name in reports and CSV files.
    pub fn name(self) -> &'static str {
        match self {
            Op::Register => "register_page",
            Op::ProjectPage => "project_page",
            Op::Dashboard => "dashboard",
            Op::ApiList => "api_list",
            Op::RaidList => "raid_list",
            Op::ApiProject => "api_project",
            Op::Update => "update",
            Op::Create => "create",
            Op::Import => "import",
            Op::Optimise => "optimise",
        }
    }
}

/// What to run against.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URLs such as `http://127.0.0.1:8080`; requests are spread over them.
    pub urls: Vec<String>,
    /// API token (`pf_…`) of a user who may edit projects and run scenarios.
    pub token: String,
    /// Email and password of the same user, for the pages' session.
    pub email: String,
    pub password: String,
    /// Concurrent workers, each with one request in flight.
    pub connections: usize,
    /// Stop after this long…
    pub duration: Duration,
    /// …or after this many operations, whichever comes first.
    pub max_requests: u64,
    /// Server processes whose memory to sample.
    pub pids: Vec<u32>,
    /// How often to sample memory.
    pub sample_every: Duration,
    /// Seed of the workers' choices.
    pub seed: u64,
    /// Scenario runs' time limit (seconds): each solve of a run stops there.
    pub optimise_seconds: u32,
    /// How long to wait for a run before asking it to stop: a run explains
    /// every candidate project, which for thousands of projects takes longer
    /// than a short load lasts. A run that ends as cancelled on this request
    /// is counted as done, not as an error.
    pub optimise_wait: Duration,
}

/// One memory sample.
#[derive(Debug, Clone)]
pub struct RssSample {
    pub elapsed_s: f64,
    pub pid: u32,
    pub rss_kib: u64,
}

/// Latencies of one operation (milliseconds), with counts.
#[derive(Debug, Clone, Default)]
pub struct OpStats {
    pub count: u64,
    pub errors: u64,
    /// 412 on an update: refused as stale, as it should be.
    pub refused_stale: u64,
    /// Scenario runs stopped on the load's request after `optimise_wait`.
    pub cancelled: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One minute of the run, over every operation.
#[derive(Debug, Clone)]
pub struct Minute {
    pub minute: u64,
    pub op: &'static str,
    pub count: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    pub elapsed_s: f64,
    /// HTTP requests sent, polls of scenario runs included.
    pub http_requests: u64,
    /// Operations done (an update's read counts as its own operation).
    pub operations: u64,
    pub errors: u64,
    /// The first errors, described.
    pub error_samples: Vec<String>,
    pub ops: Vec<(&'static str, OpStats)>,
    pub minutes: Vec<Minute>,
    pub rss: Vec<RssSample>,
}

impl Report {
    /// Operations per second.
    pub fn throughput(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.operations as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Statistics of one operation by name.
    pub fn op(&self, name: &str) -> Option<&OpStats> {
        self.ops.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }

    /// A plain-text table: one row per operation, then the totals.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "operation",
            "count",
            "errors",
            "stale",
            "cancelled",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms"
        );
        for (name, o) in &self.ops {
            let _ = writeln!(
                s,
                "{:<14} {:>8} {:>7} {:>6} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                name,
                o.count,
                o.errors,
                o.refused_stale,
                o.cancelled,
                o.p50_ms,
                o.p95_ms,
                o.p99_ms,
                o.max_ms
            );
        }
        let _ = writeln!(
            s,
            "operations {} in {:.1} s: {:.1} per second; HTTP requests {}; errors {}",
            self.operations,
            self.elapsed_s,
            self.throughput(),
            self.http_requests,
            self.errors
        );
        for e in &self.error_samples {
            let _ = writeln!(s, "error: {e}");
        }
        s
    }

    /// `minute,op,count,errors,p50_ms,p99_ms,max_ms`, the op `all` first in each minute.
    pub fn minutes_csv(&self) -> String {
        let mut s = String::from("minute,op,count,errors,p50_ms,p99_ms,max_ms\n");
        for m in &self.minutes {
            let _ = writeln!(
                s,
                "{},{},{},{},{:.2},{:.2},{:.2}",
                m.minute, m.op, m.count, m.errors, m.p50_ms, m.p99_ms, m.max_ms
            );
        }
        s
    }

    /// `elapsed_s,pid,rss_kib`.
    pub fn rss_csv(&self) -> String {
        let mut s = String::from("elapsed_s,pid,rss_kib\n");
        for r in &self.rss {
            let _ = writeln!(s, "{:.1},{},{}", r.elapsed_s, r.pid, r.rss_kib);
        }
        s
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> Value {
        let ops: serde_json::Map<String, Value> = self
            .ops
            .iter()
            .map(|(n, o)| {
                (
                    n.to_string(),
                    json!({"count": o.count, "errors": o.errors, "refused_stale": o.refused_stale, "cancelled": o.cancelled,
                           "p50_ms": o.p50_ms, "p95_ms": o.p95_ms, "p99_ms": o.p99_ms, "max_ms": o.max_ms}),
                )
            })
            .collect();
        json!({
            "elapsed_s": self.elapsed_s,
            "operations": self.operations,
            "throughput_per_s": self.throughput(),
            "http_requests": self.http_requests,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "ops": ops,
        })
    }
}

/// Resident memory of a process in KiB (`VmRSS` of `/proc/PID/status`), if it is running.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What every worker shares: the client, the sessions and what setup found.
struct Shared {
    client: Client,
    urls: Vec<String>,
    /// `Cookie` header of a signed-in session, per URL.
    cookies: Vec<HeaderValue>,
    token: HeaderValue,
    codes: Vec<String>,
    departments: Vec<(String, String)>,
    scenario: String,
    optimise_wait: Duration,
    /// A scenario run is in flight: one at a time, as a programme office runs them.
    optimising: std::sync::atomic::AtomicBool,
    started: Instant,
    deadline: Instant,
    budget: u64,
    issued: AtomicU64,
    http_requests: AtomicU64,
    errors: Mutex<Vec<String>>,
}

/// One timed outcome.
#[derive(Clone, Copy)]
struct Sample {
    op: Op,
    minute: u32,
    micros: u64,
    outcome: Outcome,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Stale,
    Cancelled,
    Error,
}

const MAX_ERROR_SAMPLES: usize = 20;

impl Shared {
    fn note_error(&self, what: String) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        if errors.len() < MAX_ERROR_SAMPLES {
            errors.push(what);
        }
    }

    fn minute(&self) -> u32 {
        (self.started.elapsed().as_secs() / 60) as u32
    }

    fn api(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
        builder.header(reqwest::header::AUTHORIZATION, self.token.clone())
    }

    fn page(&self, url: usize, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
        builder.header(COOKIE, self.cookies[url].clone())
    }
}

/// The result of one exchange: status and body, or why there is none.
async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, HeaderMap, String), String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading the body failed: {e}"))?;
    Ok((status, headers, body))
}

fn short(body: &str) -> String {
    body.chars().take(200).collect()
}

/// Signs in with email and password: the `Cookie` header of the new session.
async fn sign_in(
    client: &Client,
    url: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<HeaderValue> {
    let form = client
        .get(format!("{url}/sign-in"))
        .send()
        .await
        .with_context(|| format!("GET {url}/sign-in"))?;
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    take_cookies(form.headers(), &mut jar);
    let html = form.text().await?;
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .ok_or_else(|| anyhow!("no csrf_token on {url}/sign-in"))?
        + marker.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap_or(0)];
    let body = format!(
        "email={}&password={}&csrf_token={}&next=%2F",
        form_encode(email),
        form_encode(password),
        form_encode(csrf)
    );
    let answer = client
        .post(format!("{url}/sign-in"))
        .header(COOKIE, cookie_header(&jar))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url}/sign-in"))?;
    take_cookies(answer.headers(), &mut jar);
    if !jar.contains_key("portfolio_session") {
        bail!(
            "signing in to {url} as {email} gave no session (status {})",
            answer.status()
        );
    }
    Ok(HeaderValue::from_str(&cookie_header(&jar))?)
}

fn take_cookies(headers: &HeaderMap, jar: &mut BTreeMap<String, String>) {
    for value in headers.get_all(SET_COOKIE) {
        if let Some((name, rest)) = value.to_str().unwrap_or("").split_once('=') {
            let value = rest.split(';').next().unwrap_or("").to_string();
            jar.insert(name.trim().to_string(), value);
        }
    }
}

fn cookie_header(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

async fn get_json(client: &Client, token: &HeaderValue, url: &str) -> anyhow::Result<Value> {
    let r = client
        .get(url)
        .header(reqwest::header::AUTHORIZATION, token.clone())
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = r.status();
    let text = r.text().await?;
    if !status.is_success() {
        bail!("GET {url} answered {status}: {}", short(&text));
    }
    Ok(serde_json::from_str(&text)?)
}

/// Signs in on every URL, and reads what the workers need: project codes,
/// departments, and a scenario of their own to run.
async fn setup(config: &Config) -> anyhow::Result<Shared> {
    if config.urls.is_empty() {
        bail!("give at least one base URL");
    }
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(config.connections.max(1))
        .build()?;
    let token = HeaderValue::from_str(&format!("Bearer {}", config.token.trim()))
        .context("the token is not a valid header value")?;
    let mut cookies = Vec::new();
    for url in &config.urls {
        cookies.push(sign_in(&client, url, &config.email, &config.password).await?);
    }
    let base = &config.urls[0];
    let mut codes = Vec::new();
    for page in 1..=10 {
        let list = get_json(
            &client,
            &token,
            &format!("{base}/api/v1/projects?limit=100&page={page}"),
        )
        .await?;
        let projects = list["projects"].as_array().cloned().unwrap_or_default();
        if projects.is_empty() {
            break;
        }
        codes.extend(
            projects
                .iter()
                .filter(|p| !matches!(p["stage"].as_str(), Some("closed" | "withdrawn")))
                .filter_map(|p| p["code"].as_str().map(str::to_string)),
        );
    }
    if codes.is_empty() {
        bail!("the organisation has no open projects to read and update");
    }
    let departments: Vec<(String, String)> =
        get_json(&client, &token, &format!("{base}/api/v1/departments"))
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                Some((
                    d["slug"].as_str()?.to_string(),
                    d["name"].as_str()?.to_string(),
                ))
            })
            .collect();
    if departments.is_empty() {
        bail!("the organisation has no departments");
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let scenario = client
        .post(format!("{base}/api/v1/scenarios"))
        .header(reqwest::header::AUTHORIZATION, token.clone())
        .pipe_json(&json!({
            "name": format!("Load test {stamp}"),
            "first_year": "2026/27",
            "years": 3,
            "time_limit_seconds": config.optimise_seconds.max(1),
        }))
        .send()
        .await?;
    let status = scenario.status();
    let text = scenario.text().await?;
    if status != StatusCode::CREATED {
        bail!(
            "creating the load test's scenario answered {status}: {}",
            short(&text)
        );
    }
    let scenario: Value = serde_json::from_str(&text)?;
    let scenario = scenario["definition"]["slug"]
        .as_str()
        .or_else(|| scenario["slug"].as_str())
        .ok_or_else(|| anyhow!("the new scenario has no slug: {}", short(&text)))?
        .to_string();
    let started = Instant::now();
    Ok(Shared {
        client,
        urls: config.urls.clone(),
        cookies,
        token,
        codes,
        departments,
        scenario,
        optimise_wait: config.optimise_wait,
        optimising: std::sync::atomic::AtomicBool::new(false),
        started,
        deadline: started + config.duration,
        budget: config.max_requests,
        issued: AtomicU64::new(0),
        http_requests: AtomicU64::new(0),
        errors: Mutex::new(Vec::new()),
    })
}

fn pick(rng: &mut StdRng) -> Op {
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    let mut n = rng.gen_range(0..total);
    for (op, w) in MIX {
        if n < *w {
            return *op;
        }
        n -= w;
    }
    Op::Register
}

const STAGES: [&str; 5] = ["idea", "concept", "design", "delivery", "live"];
const CONFIDENCES: [&str; 5] = ["green", "amber_green", "amber", "amber_red", "red"];
const BOUNDARY: &str = "portfolio-load-boundary";

struct Worker {
    id: usize,
    shared: Arc<Shared>,
    rng: StdRng,
    samples: Vec<Sample>,
    seq: u64,
}

impl Worker {
    fn record(&mut self, op: Op, started: Instant, outcome: Outcome) {
        self.samples.push(Sample {
            op,
            minute: self.shared.minute(),
            micros: started.elapsed().as_micros() as u64,
            outcome,
        });
    }

    /// Records an error with what went wrong.
    fn fail(&mut self, op: Op, started: Instant, what: String) {
        self.shared.note_error(format!("{}: {what}", op.name()));
        self.record(op, started, Outcome::Error);
    }

    /// Checks the status against the one expected.
    fn expect(
        &mut self,
        op: Op,
        started: Instant,
        answer: Result<(StatusCode, HeaderMap, String), String>,
        want: StatusCode,
        what: &str,
    ) -> Option<(HeaderMap, String)> {
        match answer {
            Ok((status, headers, body)) if status == want => {
                self.record(op, started, Outcome::Ok);
                Some((headers, body))
            }
            Ok((status, _, body)) => {
                self.fail(
                    op,
                    started,
                    format!("{what} answered {status}: {}", short(&body)),
                );
                None
            }
            Err(e) => {
                self.fail(op, started, format!("{what}: {e}"));
                None
            }
        }
    }

    async fn run(mut self) -> Vec<Sample> {
        // The first worker starts with one of each operation, so that even a
        // short run exercises them all; then everyone follows the mix.
        let mut first_round: Vec<Op> = if self.id == 0 {
            MIX.iter().rev().map(|(op, _)| *op).collect()
        } else {
            Vec::new()
        };
        loop {
            if Instant::now() >= self.shared.deadline {
                break;
            }
            if self.shared.issued.fetch_add(1, Ordering::Relaxed) >= self.shared.budget {
                break;
            }
            let mut op = first_round.pop().unwrap_or_else(|| pick(&mut self.rng));
            // One scenario run at a time: while one is in flight, draw again.
            while op == Op::Optimise && self.shared.optimising.swap(true, Ordering::AcqRel) {
                op = pick(&mut self.rng);
            }
            self.seq += 1;
            self.one(op).await;
        }
        self.samples
    }

    async fn one(&mut self, op: Op) {
        let shared = self.shared.clone();
        let u = self.rng.gen_range(0..shared.urls.len());
        let base = &shared.urls[u];
        let code = shared.codes[self.rng.gen_range(0..shared.codes.len())].clone();
        let started = Instant::now();
        match op {
            Op::Register => {
                let page = if self.rng.gen_bool(0.75) {
                    ""
                } else {
                    "?page=2"
                };
                let r =
                    exchange(shared.page(u, shared.client.get(format!("{base}/projects{page}"))))
                        .await;
                self.expect(op, started, r, StatusCode::OK, "GET /projects");
            }
            Op::ProjectPage => {
                let r =
                    exchange(shared.page(u, shared.client.get(format!("{base}/projects/{code}"))))
                        .await;
                self.expect(op, started, r, StatusCode::OK, "GET /projects/{code}");
            }
            Op::Dashboard => {
                let r = exchange(shared.page(u, shared.client.get(format!("{base}/")))).await;
                self.expect(op, started, r, StatusCode::OK, "GET /");
            }
            Op::ApiList => {
                let filter = match self.rng.gen_range(0..3) {
                    0 => format!("stage={}", STAGES[self.rng.gen_range(0..STAGES.len())]),
                    1 => format!(
                        "department={}",
                        shared.departments[self.rng.gen_range(0..shared.departments.len())].0
                    ),
                    _ => format!(
                        "confidence={}",
                        CONFIDENCES[self.rng.gen_range(0..CONFIDENCES.len())]
                    ),
                };
                let r = exchange(
                    shared.api(
                        shared
                            .client
                            .get(format!("{base}/api/v1/projects?{filter}")),
                    ),
                )
                .await;
                self.expect(op, started, r, StatusCode::OK, "GET /api/v1/projects");
            }
            Op::RaidList => {
                let r =
                    exchange(shared.api(shared.client.get(format!("{base}/api/v1/raid-items"))))
                        .await;
                self.expect(op, started, r, StatusCode::OK, "GET /api/v1/raid-items");
            }
            Op::ApiProject | Op::Update => self.update(u, &code).await,
            Op::Create => {
                let (slug, _) =
                    &shared.departments[self.rng.gen_range(0..shared.departments.len())];
                let body = json!({
                    "title": format!("Load test project {} {}", self.id, self.seq),
                    "department": slug,
                    "stage": "idea",
                    "summary": "Created by the load test.",
                });
                let r = exchange(
                    shared.api(
                        shared
                            .client
                            .post(format!("{base}/api/v1/projects"))
                            .pipe_json(&body),
                    ),
                )
                .await;
                self.expect(op, started, r, StatusCode::CREATED, "POST /api/v1/projects");
            }
            Op::Import => {
                let (_, department) = &shared.departments[self.id % shared.departments.len()];
                let mut csv = String::from("Title,Department,Stage\n");
                for row in 1..=3 {
                    let _ = writeln!(
                        csv,
                        "Imported by load worker {} row {row},\"{department}\",Idea",
                        self.id
                    );
                }
                let mut body = Vec::new();
                let _ = write!(
                    body_string(&mut body),
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"load-{}.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n",
                    self.id
                );
                let request = shared
                    .client
                    .post(format!(
                        "{base}/api/v1/imports?source=load-worker-{}",
                        self.id
                    ))
                    .header(
                        CONTENT_TYPE,
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(body);
                let r = exchange(shared.api(request)).await;
                self.expect(op, started, r, StatusCode::OK, "POST /api/v1/imports");
            }
            Op::Optimise => {
                self.optimise(u).await;
                shared.optimising.store(false, Ordering::Release);
            }
        }
    }

    /// Reads a project through the API, then writes it back with a new
    /// summary and `If-Match`; a 412 is a refused stale write.
    async fn update(&mut self, u: usize, code: &str) {
        let shared = self.shared.clone();
        let base = &shared.urls[u];
        let started = Instant::now();
        let r =
            exchange(shared.api(shared.client.get(format!("{base}/api/v1/projects/{code}")))).await;
        let Some((headers, body)) = self.expect(
            Op::ApiProject,
            started,
            r,
            StatusCode::OK,
            "GET /api/v1/projects/{code}",
        ) else {
            return;
        };
        let started = Instant::now();
        let Some(etag) = headers.get(reqwest::header::ETAG).cloned() else {
            self.fail(
                Op::Update,
                started,
                format!("GET /api/v1/projects/{code} sent no ETag"),
            );
            return;
        };
        let project: Project = match serde_json::from_str(&body) {
            Ok(p) => p,
            Err(e) => {
                self.fail(
                    Op::Update,
                    started,
                    format!("project {code} did not parse: {e}"),
                );
                return;
            }
        };
        let mut draft = project.to_draft();
        draft.summary = format!("Edited by load worker {} ({}).", self.id, self.seq);
        let request = shared
            .client
            .put(format!("{base}/api/v1/projects/{code}"))
            .header(reqwest::header::IF_MATCH, etag)
            .pipe_json(&draft);
        match exchange(shared.api(request)).await {
            Ok((StatusCode::OK, _, _)) => self.record(Op::Update, started, Outcome::Ok),
            Ok((StatusCode::PRECONDITION_FAILED, _, _)) => {
                self.record(Op::Update, started, Outcome::Stale)
            }
            Ok((status, _, body)) => self.fail(
                Op::Update,
                started,
                format!(
                    "PUT /api/v1/projects/{code} answered {status}: {}",
                    short(&body)
                ),
            ),
            Err(e) => self.fail(
                Op::Update,
                started,
                format!("PUT /api/v1/projects/{code}: {e}"),
            ),
        }
    }

    /// Starts a run of the load test's scenario and polls it every 250 ms
    /// until it has ended; after `optimise_wait` it asks the run to stop and
    /// polls on (at most 10 minutes in all). Success, or a stop it asked for,
    /// is done; anything else is an error.
    async fn optimise(&mut self, u: usize) {
        let shared = self.shared.clone();
        let base = &shared.urls[u];
        let slug = &shared.scenario;
        let started = Instant::now();
        let r = exchange(
            shared.api(
                shared
                    .client
                    .post(format!("{base}/api/v1/scenarios/{slug}/runs"))
                    .pipe_json(&json!({})),
            ),
        )
        .await;
        let body = match r {
            Ok((StatusCode::ACCEPTED, _, body)) => body,
            Ok((status, _, body)) => {
                return self.fail(
                    Op::Optimise,
                    started,
                    format!("starting a run answered {status}: {}", short(&body)),
                )
            }
            Err(e) => return self.fail(Op::Optimise, started, format!("starting a run: {e}")),
        };
        let Some(id) = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_i64())
        else {
            return self.fail(
                Op::Optimise,
                started,
                format!("the run has no id: {}", short(&body)),
            );
        };
        let mut cancel_asked = false;
        for _ in 0..2400 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if !cancel_asked && started.elapsed() >= shared.optimise_wait {
                cancel_asked = true;
                let cancel = shared
                    .client
                    .post(format!("{base}/api/v1/scenario-runs/{id}/cancel"));
                match exchange(shared.api(cancel)).await {
                    // 422: it finished meanwhile; the poll says how.
                    Ok((StatusCode::ACCEPTED | StatusCode::UNPROCESSABLE_ENTITY, _, _)) => {}
                    Ok((status, _, body)) => {
                        return self.fail(
                            Op::Optimise,
                            started,
                            format!("cancelling run {id} answered {status}: {}", short(&body)),
                        )
                    }
                    Err(e) => {
                        return self.fail(
                            Op::Optimise,
                            started,
                            format!("cancelling run {id}: {e}"),
                        )
                    }
                }
            }
            let poll_url = &shared.urls[self.rng.gen_range(0..shared.urls.len())];
            match exchange(
                shared.api(
                    shared
                        .client
                        .get(format!("{poll_url}/api/v1/scenario-runs/{id}")),
                ),
            )
            .await
            {
                Ok((StatusCode::OK, _, body)) => {
                    let run: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    match run["status"].as_str() {
                        Some("running") | Some("queued") => continue,
                        Some("succeeded") => {
                            return self.record(Op::Optimise, started, Outcome::Ok)
                        }
                        Some("cancelled") if cancel_asked => {
                            return self.record(Op::Optimise, started, Outcome::Cancelled)
                        }
                        _ => {
                            return self.fail(
                                Op::Optimise,
                                started,
                                format!("run {id} ended: {}", short(&body)),
                            )
                        }
                    }
                }
                Ok((status, _, body)) => {
                    return self.fail(
                        Op::Optimise,
                        started,
                        format!("polling run {id} answered {status}: {}", short(&body)),
                    )
                }
                Err(e) => {
                    return self.fail(Op::Optimise, started, format!("polling run {id}: {e}"))
                }
            }
        }
        self.fail(
            Op::Optimise,
            started,
            format!("run {id} did not end within 10 minutes"),
        );
    }
}

/// A JSON body (the client is built without its own JSON support).
trait JsonBody {
    fn pipe_json<T: serde::Serialize>(self, value: &T) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn pipe_json<T: serde::Serialize>(self, value: &T) -> Self {
        self.header(CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(value).unwrap_or_default())
    }
}

/// `write!` into a byte buffer through a `String`.
fn body_string(body: &mut Vec<u8>) -> BodyWriter<'_> {
    BodyWriter(body)
}

struct BodyWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for BodyWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn stats(samples: &[&Sample]) -> OpStats {
    let mut micros: Vec<u64> = samples.iter().map(|s| s.micros).collect();
    micros.sort_unstable();
    OpStats {
        count: samples.len() as u64,
        errors: samples
            .iter()
            .filter(|s| s.outcome == Outcome::Error)
            .count() as u64,
        refused_stale: samples
            .iter()
            .filter(|s| s.outcome == Outcome::Stale)
            .count() as u64,
        cancelled: samples
            .iter()
            .filter(|s| s.outcome == Outcome::Cancelled)
            .count() as u64,
        p50_ms: percentile(&micros, 50.0),
        p95_ms: percentile(&micros, 95.0),
        p99_ms: percentile(&micros, 99.0),
        max_ms: micros.last().map(|m| *m as f64 / 1000.0).unwrap_or(0.0),
    }
}

/// Runs the load: setup, the workers, the memory sampler; then the report.
pub async fn run(config: Config) -> anyhow::Result<Report> {
    let shared = Arc::new(setup(&config).await?);
    let rss = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (rss, pids, every, started) = (
            rss.clone(),
            config.pids.clone(),
            config.sample_every,
            shared.started,
        );
        tokio::spawn(async move {
            loop {
                for pid in &pids {
                    if let Some(kib) = rss_kib(*pid) {
                        rss.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(RssSample {
                                elapsed_s: started.elapsed().as_secs_f64(),
                                pid: *pid,
                                rss_kib: kib,
                            });
                    }
                }
                tokio::time::sleep(every).await;
            }
        })
    };
    let mut workers = Vec::new();
    for id in 0..config.connections.max(1) {
        let worker = Worker {
            id,
            shared: shared.clone(),
            rng: StdRng::seed_from_u64(config.seed.wrapping_mul(1000).wrapping_add(id as u64)),
            samples: Vec::new(),
            seq: 0,
        };
        workers.push(tokio::spawn(worker.run()));
    }
    let mut samples = Vec::new();
    for w in workers {
        samples.extend(w.await.context("a worker stopped")?);
    }
    let elapsed_s = shared.started.elapsed().as_secs_f64();
    sampler.abort();
    // One last sample, after the load.
    for pid in &config.pids {
        if let Some(kib) = rss_kib(*pid) {
            rss.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(RssSample {
                    elapsed_s,
                    pid: *pid,
                    rss_kib: kib,
                });
        }
    }

    let ops = Op::ALL
        .iter()
        .map(|op| {
            let of: Vec<&Sample> = samples.iter().filter(|s| s.op == *op).collect();
            (op.name(), stats(&of))
        })
        .collect::<Vec<_>>();
    let mut minutes = Vec::new();
    let last = samples.iter().map(|s| s.minute).max().unwrap_or(0);
    for minute in 0..=last {
        let of: Vec<&Sample> = samples.iter().filter(|s| s.minute == minute).collect();
        let all = stats(&of);
        minutes.push(Minute {
            minute: minute.into(),
            op: "all",
            count: all.count,
            errors: all.errors,
            p50_ms: all.p50_ms,
            p99_ms: all.p99_ms,
            max_ms: all.max_ms,
        });
        for op in Op::ALL {
            let one: Vec<&Sample> = of.iter().copied().filter(|s| s.op == op).collect();
            if one.is_empty() {
                continue;
            }
            let s = stats(&one);
            minutes.push(Minute {
                minute: minute.into(),
                op: op.name(),
                count: s.count,
                errors: s.errors,
                p50_ms: s.p50_ms,
                p99_ms: s.p99_ms,
                max_ms: s.max_ms,
            });
        }
    }
    let errors = samples
        .iter()
        .filter(|s| s.outcome == Outcome::Error)
        .count() as u64;
    let error_samples = shared
        .errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let rss = rss.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(Report {
        elapsed_s,
        http_requests: shared.http_requests.load(Ordering::Relaxed),
        operations: samples.len() as u64,
        errors,
        error_samples,
        ops,
        minutes,
        rss,
    })
}
