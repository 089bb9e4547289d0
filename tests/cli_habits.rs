//! The command line's habits (issue 16 item 4): `--tenant` on the engine commands and an error
//! for an unknown one, help text on every flag, completions and the man page generated from the
//! clap definitions, `--quiet`, the progress line that ends at 100 %, the per-minute summary of
//! `run`, the tour's tables, and `rentsync fixtures` leaving PostgreSQL's id sequences usable.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use common::engine::{Backend, Env};
use rentsync::fixtures::GenOptions;

fn rentsync() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rentsync"));
    c.env_remove("RENTSYNC_CONFIG").env_remove("NO_COLOR");
    c
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run rentsync"))
        .await
        .expect("join")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_flag_and_argument_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (the subcommand itself)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&rentsync::cli::Cli::command(), "rentsync", &mut missing);
    assert!(missing.is_empty(), "no help text:\n{}", missing.join("\n"));
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef rentsync"),
        ("fish", "complete -c rentsync"),
    ] {
        let out = rentsync().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        assert!(script.contains("dry-run"), "{shell}: subcommands missing");
        assert!(script.contains("tenant"), "{shell}: --tenant missing");
    }
    let bad = rentsync()
        .args(["completions", "cmd.exe"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let out = rentsync().arg("man").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains(".TH rentsync"), "no title");
    assert_eq!(
        page.matches(".SH SYNOPSIS").count(),
        1,
        "one page, subcommands as sections"
    );
    assert_eq!(page.matches(".el .ds Aq").count(), 1, "the preamble once");
    for sub in [
        "RENTSYNC DRY-RUN",
        "RENTSYNC STATUS",
        "RENTSYNC COMPLETIONS",
        "RENTSYNC RUN",
    ] {
        assert!(page.contains(sub), "no section {sub}");
    }
    // clap_mangen escapes dashes: the --tenant of dry-run is there.
    assert!(page.contains("\\-\\-tenant"), "no --tenant");
    assert!(page.contains("\\-\\-quiet"), "no --quiet");
}

/// Two tenants, neither reachable: the name check comes before anything is opened.
fn two_tenant_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("rentsync.toml");
    let tenant = |name: &str| {
        format!(
            "[[tenant]]\nname = \"{name}\"\ngateway = \"http://127.0.0.1:9/gateway.do\"\n\
             app_id = \"2021000000000000\"\nprivate_key_file = \"k.pem\"\n\
             platform_public_key_file = \"platform_public_key.pem\"\n"
        )
    };
    let text = format!(
        "state_database = \"sqlite://{}\"\n[ops]\nlisten = \"\"\n{}{}",
        dir.join("state.db").display(),
        tenant("sunshine"),
        tenant("harbour")
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_unknown_tenant_is_an_error_naming_the_configured_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_tenant_config(dir.path());
    for cmd in [
        vec!["dry-run"],
        vec!["status"],
        vec!["resync"],
        vec!["retry"],
        vec!["explain", "100001"],
        vec!["delist"],
    ] {
        let out = rentsync()
            .args(&cmd)
            .arg("--config")
            .arg(&config)
            .args(["--tenant", "sunshin"])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{cmd:?} accepted an unknown tenant");
        assert!(
            err.contains("no tenant named \"sunshin\"")
                && err.contains("\"sunshine\"")
                && err.contains("\"harbour\""),
            "{cmd:?}: {err}"
        );
    }
    assert!(
        !dir.path().join("state.db").exists(),
        "nothing is opened before the name is checked"
    );
}

#[test]
fn quiet_and_verbose_do_not_mix() {
    let out = rentsync().args(["-q", "-v", "man"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot be used with"));
}

#[test]
fn the_tour_prints_tables_not_debug_output() {
    let out = rentsync().args(["demo", "--tour"]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for debug in ["Some(", "RequestId(", "Code(", "Response {", "Empty", "()"] {
        assert!(
            !stdout.contains(debug),
            "debug output {debug:?} in:\n{stdout}"
        );
    }
    for shown in [
        "step",
        "answer",
        "comm_req_id ",
        "ka_name 示例公寓",
        "valid 1 生效 active",
        "上架 on shelf",
        "租金 (yuan)",
        "alipay.eco.renthouse.room.dispersion.sync / ",
    ] {
        assert!(stdout.contains(shown), "{shown:?} missing in:\n{stdout}");
    }
}

/// Two tenants on one environment: `t1` as the harness makes it, `t2` a copy under another name.
fn env_config(env: &Env) -> std::path::PathBuf {
    let one = env.config_text(200.0, 10);
    let tenant = &one[one.find("[[tenant]]").expect("tenant block")..];
    let two = tenant.replacen("name = \"t1\"", "name = \"t2\"", 1);
    let path = env.dir.path().join("two.toml");
    std::fs::write(&path, format!("{one}\n{two}")).unwrap();
    path
}

async fn tenant_narrows_and_progress_ends_at_100(backend: Backend) {
    let env = Env::with_options(
        backend,
        GenOptions {
            listings: 24,
            broken_rate: 0.0,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let config = env_config(&env);

    let mut resync = rentsync();
    resync
        .args([
            "resync",
            "--tenant",
            "t1",
            "--timeout-secs",
            "120",
            "--config",
        ])
        .arg(&config);
    let out = output(resync).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{backend:?}: {stdout}\n{stderr}");
    assert!(
        stdout.contains("t1:") && !stdout.contains("t2:"),
        "{stdout}"
    );
    let last = stderr
        .lines()
        .rfind(|l| l.starts_with("resync: rooms worked"))
        .unwrap_or_else(|| panic!("{backend:?}: no progress line in {stderr}"));
    assert!(last.ends_with("(100 %)"), "{backend:?}: last line {last:?}");
    let (done, total) = last
        .trim_start_matches("resync: rooms worked: ")
        .split_once(' ')
        .and_then(|(n, _)| n.split_once('/'))
        .expect("n/total");
    assert_eq!(done, total, "{last}");

    // --quiet: the same command prints no progress line.
    let mut quiet = rentsync();
    quiet
        .args(["--quiet", "resync", "--tenant", "t1", "--config"])
        .arg(&config);
    let out = output(quiet).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("rooms worked"),
        "{}",
        text(&out.stderr)
    );

    // status --tenant shows that tenant alone; the other has nothing yet.
    for (tenant, has_items) in [("t1", true), ("t2", false)] {
        let mut status = rentsync();
        status
            .args(["status", "--format", "json", "--tenant", tenant, "--config"])
            .arg(&config);
        let out = output(status).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let items = report["items"].as_object().expect("items");
        assert_eq!(items.contains_key(tenant), has_items, "{tenant}: {report}");
        assert!(
            items.keys().all(|k| k == tenant),
            "{tenant}: other tenants shown: {report}"
        );
    }

    // dry-run --tenant plans that tenant only.
    let mut dry = rentsync();
    dry.args(["dry-run", "--format", "json", "--tenant", "t2", "--config"])
        .arg(&config);
    let out = output(dry).await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let tenants: Vec<&str> = report["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .filter_map(|t| t["tenant"].as_str())
        .collect();
    assert_eq!(tenants, ["t2"], "{report}");

    summary_line_is_logged(&config, backend).await;
    env.cleanup().await;
}

/// `run --summary-secs 1` logs the one-line summary at info.
async fn summary_line_is_logged(config: &std::path::Path, backend: Backend) {
    let mut cmd = rentsync();
    cmd.args(["run", "--summary-secs", "1", "--config"])
        .arg(config)
        .env("RENTSYNC_LOG", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run");
    let stderr = child.stderr.take().expect("stderr");
    let found = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("summary: ") && line.contains("done in the last 1s") {
                return Some(line);
            }
            if started.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        None
    });
    let line = tokio::time::timeout(Duration::from_secs(60), found).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let line = line
        .expect("a summary within 60 s")
        .expect("join")
        .unwrap_or_else(|| panic!("{backend:?}: no summary line"));
    for field in [
        "\"waiting\"",
        "\"failing\"",
        "\"calls_per_sec\"",
        "\"done\"",
    ] {
        assert!(line.contains(field), "{field} missing: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_narrows_commands_and_progress_ends_at_100_on_sqlite() {
    tenant_narrows_and_progress_ends_at_100(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_narrows_commands_and_progress_ends_at_100_on_postgres() {
    tenant_narrows_and_progress_ends_at_100(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_narrows_commands_and_progress_ends_at_100_on_mysql() {
    tenant_narrows_and_progress_ends_at_100(Backend::Mysql).await;
}

/// After `rentsync fixtures`, a row added without an id (as an operator or the docs' examples do)
/// gets a fresh one instead of colliding with the generated rows.
async fn fixtures_leave_ids_free(backend: Backend) {
    let env = Env::new(backend, 0, |_| {}).await;
    let mut cmd = rentsync();
    cmd.args(["fixtures", "--listings", "20", "--db", &env.op_url]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    sqlx::raw_sql(
        "INSERT INTO communities (name, city_code, address) \
         VALUES ('新小区', '310100', '上海市浦东新区 1 号')",
    )
    .execute(&env.op.pool)
    .await
    .unwrap_or_else(|e| {
        panic!("{backend:?}: a new community collides with the generated ones: {e}")
    });
    if backend == Backend::Postgres {
        for table in rentsync::fixtures::TABLES {
            let sql = format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) > \
                 (SELECT COALESCE(MAX(id), 0) FROM {table})"
            );
            let (ahead,): (bool,) = sqlx::query_as(&sql)
                .fetch_one(&env.op.pool)
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"));
            assert!(
                ahead,
                "{table}: the id sequence is behind the generated rows"
            );
        }
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_advance_id_sequences_on_postgres() {
    fixtures_leave_ids_free(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_leave_ids_free_on_mysql() {
    fixtures_leave_ids_free(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_leave_ids_free_on_sqlite() {
    fixtures_leave_ids_free(Backend::Sqlite).await;
}

/// On a terminal, log lines are coloured unless `NO_COLOR` is set. `script` (util-linux) gives
/// the binary a pseudo-terminal; a missing `script` fails the test rather than skipping it.
#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let config = two_tenant_config(dir.path());
    let run = |no_color: bool| -> String {
        let inner = format!(
            "{}{} resync --tenant harbour --config {}",
            if no_color { "NO_COLOR=1 " } else { "" },
            env!("CARGO_BIN_EXE_rentsync"),
            config.display()
        );
        let out = Command::new("script")
            .args(["-qec", &inner, "/dev/null"])
            .env_remove("NO_COLOR")
            .output()
            .expect("script (util-linux) runs the binary on a pseudo-terminal");
        text(&out.stdout)
    };
    let coloured = run(false);
    assert!(coloured.contains("tenant paused"), "{coloured}");
    assert!(
        coloured.contains("\u{1b}["),
        "colour expected on a terminal: {coloured:?}"
    );
    let plain = run(true);
    assert!(plain.contains("tenant paused"), "{plain}");
    assert!(
        !plain.contains("\u{1b}["),
        "NO_COLOR must turn colour off: {plain:?}"
    );
}
