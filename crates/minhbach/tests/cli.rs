//! The administration commands, run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn minhbach(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("MINHBACH_DATABASE_URL")
        .output()
        .unwrap()
}

#[tokio::test]
async fn audit_verify_passes_on_a_fresh_log_and_fails_after_one_row_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = minhbach(dir.path(), &["demo", "--no-serve"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let out = String::from_utf8_lossy(&seeded.stdout);
    assert!(out.contains("ORGANISATION RECOVERY KEY") && out.contains("MBR1-"));
    assert!(out.contains("tttp.tiepnhan") && out.contains("-000001"));

    let ok = minhbach(dir.path(), &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("chain intact"));

    let url = format!("sqlite://{}", dir.path().join("minhbach.db").display());
    let store = minhbach_store::SqlStore::open(&minhbach_store::StoreConfig::new(url))
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;

    let broken = minhbach(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("event 2"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}

#[test]
fn init_prints_the_recovery_key_once_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    let key_line = out
        .lines()
        .find(|l| l.trim_start().starts_with("MBR1-"))
        .unwrap()
        .trim()
        .to_owned();
    // The private half is not kept anywhere in the data directory.
    let mut stored = Vec::new();
    for entry in walk(dir.path()) {
        stored.extend(std::fs::read(entry).unwrap());
    }
    assert!(!stored
        .windows(key_line.len())
        .any(|w| w == key_line.as_bytes()));
    let second = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(!second.status.success());
    let short = minhbach(
        tempfile::tempdir().unwrap().path(),
        &["init", "--admin-password", "short"],
    );
    assert!(!short.status.success());
}

#[test]
fn an_unknown_configuration_key_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("minhbach.toml"),
        "listen = \"127.0.0.1:0\"\nlisten_adress = \"x\"\n",
    )
    .unwrap();
    let out = minhbach(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen_adress"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn agencies_categories_and_staff_are_added_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"]
    )
    .status
    .success());
    let agency = minhbach(
        dir.path(),
        &[
            "agency",
            "add",
            "--code",
            "tayho",
            "--name-vi",
            "UBND phường Tây Hồ",
            "--name-en",
            "Tay Ho Ward",
            "--kind",
            "ward",
            "--default",
        ],
    );
    assert!(
        agency.status.success(),
        "{}",
        String::from_utf8_lossy(&agency.stderr)
    );
    let list = minhbach(dir.path(), &["agency", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("tayho")
            && String::from_utf8_lossy(&list.stdout).contains("default intake")
    );
    assert!(minhbach(
        dir.path(),
        &[
            "category",
            "set",
            "--code",
            "land",
            "--name-vi",
            "Đất đai",
            "--name-en",
            "Land"
        ]
    )
    .status
    .success());
    let user = minhbach(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "tayho.tiepnhan",
            "--name",
            "Cán bộ tiếp nhận",
            "--role",
            "intake_officer",
            "--agency",
            "tayho",
            "--password",
            "another long password",
        ],
    );
    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );
    let out = String::from_utf8_lossy(&user.stdout);
    assert!(
        out.contains("otpauth://totp/") && out.contains("secret: "),
        "{out}"
    );
    let unknown = minhbach(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x",
            "--name",
            "X",
            "--role",
            "intake_officer",
            "--agency",
            "nowhere",
            "--password",
            "another long password",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));
}

#[test]
fn rule_sets_and_calendars_are_imported_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"]
    )
    .status
    .success());
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/vn/2026-07-01.toml"
    ))
    .unwrap();
    let later = dir.path().join("later.toml");
    std::fs::write(
        &later,
        shipped.replace("effective_from = 2026-07-01", "effective_from = 2027-01-01"),
    )
    .unwrap();
    let ok = minhbach(dir.path(), &["rules", "import", later.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("2027-01-01"));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "year = 2028\nsource = \"x\"\n[[day]]\ndate = 2028-01-01\nkind = \"party\"\nname_vi = \"x\"\nname_en = \"x\"\n").unwrap();
    let refused = minhbach(dir.path(), &["calendar", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("party"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// Runs a command with `input` on standard input (the recovery key is never an argument).
fn minhbach_stdin(data: &Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("MINHBACH_DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn custodians_superiors_leavers_and_resharing_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let init = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(init.status.success());
    let recovery = String::from_utf8_lossy(&init.stdout)
        .lines()
        .find(|l| l.trim_start().starts_with("MBR1-"))
        .unwrap()
        .trim()
        .to_owned();
    for code in ["thanhtra", "tayho"] {
        let added = minhbach(
            dir.path(),
            &[
                "agency",
                "add",
                "--code",
                code,
                "--name-vi",
                code,
                "--name-en",
                code,
            ],
        );
        assert!(added.status.success());
    }
    let superior = minhbach(
        dir.path(),
        &["agency", "superior", "tayho", "--superior", "thanhtra"],
    );
    assert!(superior.status.success());
    // A cycle is refused with its reason.
    let cycle = minhbach(
        dir.path(),
        &["agency", "superior", "thanhtra", "--superior", "tayho"],
    );
    assert!(!cycle.status.success());
    assert!(String::from_utf8_lossy(&cycle.stderr).contains("cycle"));
    // Custodians need no agency (the procuracy's liaison sits outside the platform).
    for name in ["giamho.a", "giamho.b", "giamho.c"] {
        let user = minhbach(
            dir.path(),
            &[
                "user",
                "add",
                "--username",
                name,
                "--name",
                name,
                "--role",
                "custodian",
                "--password",
                "a long enough password",
            ],
        );
        assert!(
            user.status.success(),
            "{}",
            String::from_utf8_lossy(&user.stderr)
        );
    }
    let too_high = minhbach(
        dir.path(),
        &[
            "custodians",
            "set",
            "--threshold",
            "4",
            "giamho.a",
            "giamho.b",
            "giamho.c",
        ],
    );
    assert!(!too_high.status.success());
    let set = minhbach(
        dir.path(),
        &[
            "custodians",
            "set",
            "--threshold",
            "2",
            "giamho.a",
            "giamho.b",
            "giamho.c",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    // Re-sharing reads the recovery key on standard input and refuses another key.
    let reshared = minhbach_stdin(dir.path(), &["recovery", "reshare"], &recovery);
    assert!(
        reshared.status.success(),
        "{}",
        String::from_utf8_lossy(&reshared.stderr)
    );
    assert!(String::from_utf8_lossy(&reshared.stdout).contains("re-shared"));
    let wrong = minhbach_stdin(dir.path(), &["recovery", "reshare"], "MBR1-not-a-key");
    assert!(!wrong.status.success());
    // A leaver is deactivated.
    let gone = minhbach(dir.path(), &["user", "deactivate", "giamho.c"]);
    assert!(gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stdout).contains("deactivated"));
    let unknown = minhbach(dir.path(), &["user", "deactivate", "nobody"]);
    assert!(!unknown.status.success());
}
