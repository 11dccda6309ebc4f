//! LibreOffice, for the suites that check that real office software opens
//! the documents Portfolio writes.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// Runs LibreOffice headless in `dir` with `args` (such as `--convert-to pdf
/// --outdir lo board.docx`), with a profile of its own in `dir/lo-profile`
/// so that suites running side by side share none, stopped after
/// `timeout_seconds`. Returns its output once it has succeeded.
///
/// LibreOffice sometimes crashes while it creates a new profile, before it
/// reads any document ("Unspecified Application Error": once in a CI run,
/// then not in three reruns). The profile then exists, so it is run once
/// more and that run says whether the document itself opens. Any other
/// failure, a second crash or a missing LibreOffice fails the test with
/// LibreOffice's own output.
pub fn soffice<S: AsRef<OsStr>>(dir: &Path, args: &[S], timeout_seconds: u32) -> Output {
    let run = || {
        Command::new("timeout")
            .arg(timeout_seconds.to_string())
            .arg("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                dir.join("lo-profile").display()
            ))
            .arg("--headless")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("timeout and soffice are needed to check the documents: {e}")
            })
    };
    let shown = || {
        args.iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let failed = |out: &Output| {
        let why = match out.status.code() {
            Some(124) => format!(" (stopped after {timeout_seconds} s)"),
            Some(127) => {
                " (not installed: install libreoffice-writer-nogui and libreoffice-calc-nogui)"
                    .to_string()
            }
            _ => String::new(),
        };
        panic!(
            "soffice {}{why} failed: {}{}",
            shown(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let first = run();
    if first.status.success() {
        return first;
    }
    let stderr = String::from_utf8_lossy(&first.stderr);
    if !stderr.contains("Unspecified Application Error") {
        failed(&first);
    }
    eprintln!(
        "LibreOffice crashed while starting ({stderr}); running soffice {} again",
        shown()
    );
    let second = run();
    if !second.status.success() {
        failed(&second);
    }
    second
}
