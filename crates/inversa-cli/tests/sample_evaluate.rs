//! `inversa sample --evaluate`: a tiny evaluation writes its scores, and bad combinations are
//! refused as bad input (exit 2) naming the flag.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn inversa(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inversa"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the inversa binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inversa-evaluate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_tiny_evaluation_writes_its_scores() {
    let dir = scratch("tiny");
    let args = [
        "sample",
        "--evaluate",
        "--count",
        "20",
        "--steps",
        "2",
        "--out",
        "o",
    ];
    let output = inversa(&args, &dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = std::fs::read_to_string(dir.join("o/metrics.json")).unwrap();
    let metrics: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fraction = metrics["class_fraction"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&fraction), "{fraction}");
    assert!(metrics["frechet_bundled_test"].as_f64().unwrap() > 0.0);
    assert!(dir.join("o/samples.png").is_file() && dir.join("o/samples.npy").is_file());
}

#[test]
fn bad_evaluations_are_refused_naming_the_flag() {
    let dir = scratch("bad");
    for (args, flag) in [
        (&["--evaluate", "--class", "3"][..], "--class"),
        (&["--evaluate", "--count", "5"][..], "count"),
        (&["--data", "."][..], "--data"),
        (
            &["--evaluate", "--data", "missing", "--count", "20"][..],
            "data",
        ),
    ] {
        let mut all = vec!["sample"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--steps", "1", "--out", "o"]);
        let output = inversa(&all, &dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{all:?}: {stderr}");
        assert!(stderr.contains(flag), "{all:?} must name {flag}: {stderr}");
    }
}
