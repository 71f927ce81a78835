//! Runs the kill-and-restart harness briefly: random SIGKILLs, then every named crash point.
//! `SHARDLOG_KILL_CYCLES` sets the number of random-kill cycles (default 2,000; the long mode in
//! `docs/durability.md` uses 100,000). Each cycle's child runs several producers, a resharding
//! thread and a retention thread at once, in the durability mode its seed picks, plus a queue and a
//! channel whose delivered objects are read back after every kill.

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

/// The number before `label` in the harness's summary line.
fn figure(out: &str, label: &str) -> u64 {
    let before = out.split(label).next().unwrap_or("");
    let n = before.rsplit([' ', ',', '(']).find(|w| !w.is_empty());
    n.and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no figure before {label:?} in {out:?}"))
}

/// The line of the summary that starts with `prefix`.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in {out:?}"))
}

#[test]
fn random_kills_lose_no_acknowledged_record() {
    let cycles = std::env::var("SHARDLOG_KILL_CYCLES").unwrap_or_else(|_| "2000".into());
    let out = harness(&["--cycles", &cycles, "--seed", "7"]);
    println!("{out}");
    assert_eq!(figure(&out, " cycles").to_string(), cycles);
    assert!(
        figure(&out, " acknowledged records") > 0,
        "the children did work"
    );
    assert!(
        figure(&out, " lease checks") > 0,
        "the children checkpointed"
    );
    assert!(out.contains(" 0 lost"));
    let channel = line(&out, "channel:");
    assert!(figure(channel, " distinct") > 0, "the channel delivered");
    assert!(
        figure(channel, " of the checks of acknowledged records") > 0,
        "acknowledged channel records were checked"
    );
    let cycles: u64 = cycles.parse().expect("SHARDLOG_KILL_CYCLES is a number");
    if cycles < 300 {
        return; // too few cycles for every mode and every kind of overlap to come up
    }
    for mode in ["Sync", "Interval", "None"] {
        let l = line(&out, &format!("mode {mode}:"));
        assert!(figure(l, " cycles") > 0, "{mode} ran");
        assert!(
            figure(l, " records acknowledged") > 0,
            "{mode} acknowledged"
        );
        // Small segments: rolls, hence (eager modes) the sealer and the spare task, every run.
        assert!(figure(l, " segments started") > 0, "{mode} rolled segments");
    }
    let reshards = line(&out, "reshards:");
    assert!(figure(reshards, " done") > 0, "reshards ran");
    assert!(
        figure(reshards, " kills during a reshard") > 0,
        "a kill landed in a reshard"
    );
    let passes = line(&out, "retention passes:");
    assert!(figure(passes, " segments dropped") > 0, "retention dropped");
    assert!(
        figure(passes, " kills during a pass") > 0,
        "a kill landed in a retention pass"
    );
}

#[test]
fn every_named_crash_point_aborts_the_child_and_is_survived() {
    for point in shardlog_storage::crashpoint::CrashPoint::ALL.map(|p| p.name()) {
        // Rare points (a merge, a reshard) may need more than one round to be reached.
        let mut aborts = 0;
        for seed in ["11", "12", "13"] {
            let out = harness(&["--cycles", "8", "--seed", seed, "--crash-point", point]);
            println!("{point}: {out}");
            aborts += figure(&out, " crash-point aborts");
            if aborts > 0 {
                break;
            }
        }
        assert!(aborts > 0, "crash point {point} was never reached");
    }
}
