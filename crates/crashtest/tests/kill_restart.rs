//! Runs the kill-and-restart harness briefly: random SIGKILLs, then every named crash point.
//! `SHARDLOG_KILL_CYCLES` sets the number of random-kill cycles (default 2,000).

use std::process::Command;

fn harness(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_shardlog-crashtest"))
        .arg("run")
        .arg("--dir")
        .arg(dir.path().join("data"))
        .args(args)
        .output()
        .expect("run the harness");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "harness failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn random_kills_lose_no_acknowledged_record() {
    let cycles = std::env::var("SHARDLOG_KILL_CYCLES").unwrap_or_else(|_| "2000".into());
    let out = harness(&["--cycles", &cycles, "--seed", "7"]);
    println!("{out}");
    assert!(out.contains(" 0 lost"));
}

#[test]
fn every_named_crash_point_is_survived() {
    for point in shardlog_segment::crashpoint::POINTS {
        let out = harness(&["--cycles", "20", "--seed", "11", "--crash-point", point]);
        println!("{point}: {out}");
    }
}
