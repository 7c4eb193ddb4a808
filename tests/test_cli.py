"""The command line: the cluster demo, the storage tour, sql, status and shell; mistakes are one line.

In process through ``cli.main`` where output is all that matters, as a
subprocess (``python -m aurora_lite``) where the exit code, stdin and the lack
of a traceback are the point, and under tmux for the interactive shell.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aurora_lite import cli
from aurora_lite.cli import demo, volume_tour

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def run_main(argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if stdin is None:
            code = cli.main(argv)
        else:
            old = sys.stdin
            sys.stdin = io.StringIO(stdin)
            try:
                code = cli.main(argv)
            finally:
                sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def run_process(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aurora_lite", *args], cwd=ROOT, env=ENV, input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False)


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# ================================================================ the cluster demo
@pytest.fixture(scope="module", params=["aurora-postgresql", "aurora-mysql"])
def tour(request) -> tuple[str, str]:
    code, out, err = run_main(["demo", "--engine", request.param, "--rows", "20000"])
    assert code == 0 and err == ""
    return request.param, out


def test_demo_walks_through_the_seven_steps(tour):
    _, out = tour
    titles = re.findall(r"^(\d)\. (.+)$", out, re.MULTILINE)
    assert [int(n) for n, _ in titles] == list(range(1, 8))
    assert [t for _, t in titles] == [
        "Create a cluster: one writer and two Aurora Replicas over one cluster volume",
        "Load data through the writer endpoint",
        "Read through the reader endpoint",
        "Make a stale read visible: pause replication, write, read on a replica",
        "Lose an Availability Zone and keep writing",
        "Fail over: promote a replica",
        "Restore to a point in time, just before a mistake",
    ]
    assert re.search(r"^Done in \d+\.\d s\.", out, re.MULTILINE)


def test_demo_creates_a_writer_and_two_readers(tour):
    _, out = tour
    first = out.split("\n2. ")[0]
    assert re.search(r"demo-instance-1\s+writer\s+available\s+1\s", first)
    assert re.search(r"demo-instance-2\s+reader\s+available\s+1\s", first)
    assert re.search(r"demo-instance-3\s+reader\s+available\s+2\s", first)


def test_demo_loads_and_reads_through_the_reader_endpoint(tour):
    engine, out = tour
    assert re.search(r"20,000 orders in 2 transactions of up to 10,000 rows: [\d.]+ s \([\d,]+ rows/s\)", out)
    pending = sum(1 for i in range(20000) if demo.order(i)[2] == "pending")
    assert re.search(rf"reader endpoint -> demo-instance-[23]: {pending:,} pending orders", out)
    assert re.search(r"AuroraReplicaLag: demo-instance-2 [\d.]+ ms, demo-instance-3 [\d.]+ ms", out)
    refusal = "SQLSTATE 25006" if engine == "aurora-postgresql" else "errno 1290"
    assert re.search(rf"A reader refuses writes.*\n\s+\w+ \([^)]*{refusal}[^)]*\): ", out)


def test_demo_shows_a_stale_read_then_the_caught_up_reader(tour):
    _, out = tour
    step = out.split("\n4. ")[1].split("\n5. ")[0]
    writer = re.search(r"writer demo-instance-1\s+delivered\s+(\d+)", step)
    reader = re.search(r"reader demo-instance-2\s+shipped\s+(\d+)\s+([\d.]+) s", step)
    assert writer and reader, step
    assert int(reader.group(1)) < int(writer.group(1))
    assert float(reader.group(2)) >= 0.2  # the demo waits a quarter of a second
    assert "a stale read." in step
    assert re.search(r"caught up in [\d.]+ (ms|s); the reader now says 'delivered'", step)


def test_demo_keeps_writing_with_an_az_down_and_repairs(tour):
    _, out = tour
    step = out.split("\n5. ")[1].split("\n6. ")[0]
    assert re.search(r"200 one-row commits went on at 4/6: p50 [\d.]+ ms", step)
    assert re.search(r"^\s+0\s+\S+\s+down down\s+up up\s+up up\s+4/6\s+writes and reads go on", step, re.MULTILINE)
    assert re.search(r"Reads go on too: 20,200 orders", step)
    copied = int(re.search(r"gossip copied ([\d,]+) records", step).group(1).replace(",", ""))
    assert copied > 0
    assert re.search(r"^\s+0\s+\S+\s+up up\s+up up\s+up up\s+6/6\s+healthy", step, re.MULTILINE)


def test_demo_fails_over_and_keeps_every_acknowledged_commit(tour):
    _, out = tour
    step = out.split("\n6. ")[1].split("\n7. ")[0]
    assert re.search(r"failover\(\): demo-instance-2 \(promotion tier 1\) is the writer", step)
    assert re.search(r"ConnectionFailure \(SQLSTATE 08006\)|OperationalError \(SQLSTATE \w+, errno 2013\)", step)
    assert "reaches demo-instance-2: 20,200 orders (every acknowledged commit is there)" in step
    assert re.search(r"demo-instance-2\s+writer\s+available", step)
    assert re.search(r"demo-instance-1\s+reader\s+available", step)


def test_demo_restores_to_the_moment_before_the_mistake(tour):
    _, out = tour
    step = out.split("\n7. ")[1]
    before = int(re.search(r"there were ([\d,]+) orders", step).group(1).replace(",", ""))
    deleted = int(re.search(r"-- ([\d,]+) rows", step).group(1).replace(",", ""))
    restored, left = re.search(r"([\d,]+) orders there \(the deleted ones are back\); ([\d,]+) in 'demo'",
                               step).groups()
    assert before == 20200 and deleted > 0
    assert int(restored.replace(",", "")) == before
    assert int(left.replace(",", "")) == before - deleted


def test_demo_draws_progress_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    assert demo.run(stream, rows=30000) == 0
    text = stream.getvalue()
    assert re.search(r"\r   loading orders \[#{8}-{16}\] 10,000/30,000 rows", text)
    assert "\r   loading orders [########################] 30,000/30,000 rows" in text
    assert "\r\x1b[2K" in text  # the bar is erased before the summary line


def test_demo_progress_is_silent_off_a_terminal(tour):
    _, out = tour
    assert "\r" not in out and "[###" not in out


def test_default_demo_runs_as_a_module_well_under_a_minute():
    started = time.monotonic()
    done = run_process("demo", timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "200,000 orders in 20 transactions" in done.stdout
    assert "every acknowledged commit is there" in done.stdout
    assert elapsed < 60


# ================================================================ the storage tour (demo --storage)
def replay(txns) -> dict[int, tuple[str, int]]:
    """The accounts table the tour's transactions leave: {id: (owner, balance)}."""
    rows: dict[int, tuple[str, int]] = {}
    for txn in txns:
        for account, owner, balance in txn.upserts:
            rows[account] = (owner, balance)
        for account in txn.deletes:
            rows.pop(account, None)
    return rows


def table_after(out: str, heading: str) -> tuple[int, list[tuple[int, str, int]]]:
    """(row count announced by the line matching heading, rows of the table printed below it)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(heading, line))
    announced = int(re.search(r": (\d+) rows$", lines[start]).group(1))
    rows = []
    for line in lines[start + 2:]:  # skip the column headings
        m = re.fullmatch(r"\s+(\d+)\s+(\w+)\s+(-?\d+)", line)
        if not m:
            break
        rows.append((int(m.group(1)), m.group(2), int(m.group(3))))
    return announced, rows


def as_rows(table: dict[int, tuple[str, int]]) -> list[tuple[int, str, int]]:
    return [(k, owner, balance) for k, (owner, balance) in sorted(table.items())]


@pytest.fixture(scope="module")
def storage_output() -> str:
    code, out, err = run_main(["demo", "--storage"])
    assert code == 0 and err == ""
    return out


def test_storage_tour_commits_the_transactions_it_declares_in_order(storage_output):
    notes = re.findall(r"txn (\d+) '([^']+)'", storage_output)
    first_mentions = list(dict.fromkeys(notes))
    assert first_mentions == [(str(i), t.note) for i, t in enumerate(volume_tour.DEMO_TRANSACTIONS, 1)]


def test_storage_tour_shows_lsns_vcl_vdl_and_segments_per_az(storage_output):
    assert re.search(r"txn 1 'open four accounts': LSNs 1-\d+, commit LSN \d+; VCL \d+, VDL \d+", storage_output)
    assert re.search(r"LSN\s+txn\s+kind\s+page\s+PG\s+prev\s+az-a\s+az-b\s+az-c\s+acks", storage_output)
    assert re.search(r"ROW_UPSERT .* 0 1\s+2 3\s+4 5\s+6/6$", storage_output, re.MULTILINE)


def test_storage_tour_keeps_committing_with_an_az_down(storage_output):
    assert re.search(r"ROW_UPSERT .* x x\s+2 3\s+4 5\s+4/6$", storage_output, re.MULTILINE)


def test_storage_tour_commit_with_three_segments_times_out_with_the_quorum_error(storage_output):
    m = re.search(r"commit LSN (\d+) timed out after [\d.]+s:\n\s+QuorumUnavailableError: LSN (\d+) "
                  r"did not reach write quorum \(4/6\)", storage_output)
    assert m and m.group(1) == m.group(2)
    assert re.search(r"COMMIT .* x x\s+x 3\s+4 5\s+3/6$", storage_output, re.MULTILINE)
    announced, rows = table_after(storage_output, r"reads during the outage")
    expected = as_rows(replay(volume_tour.DEMO_TRANSACTIONS[:4]))
    assert announced == len(expected) and rows == expected


def test_storage_tour_restore_repairs_by_gossip_and_the_pending_commit_becomes_durable(storage_output):
    copied = [int(n) for n in re.findall(r"(\d+) records copied", storage_output)]
    assert len(copied) == 2 and all(n > 0 for n in copied)
    stuck = int(re.search(r"commit LSN (\d+) timed out", storage_output).group(1))
    vdl = int(re.search(r"are durable now: VCL \d+, VDL (\d+)", storage_output).group(1))
    assert vdl > stuck
    after_restore = storage_output.split("az-a is back")[1].split("Materialise the table")[0]
    assert "down" not in after_restore


def test_storage_tour_materialises_earlier_and_current_state(storage_output):
    announced, rows = table_after(storage_output, r"after txn 1")
    assert announced == len(volume_tour.OPEN.upserts) and rows == as_rows(replay([volume_tour.OPEN]))
    announced, rows = table_after(storage_output, r"\(now\): \d+ rows")
    expected = as_rows(replay(volume_tour.DEMO_TRANSACTIONS))
    assert announced == len(expected) and rows == expected


def test_storage_tour_on_disk_scan_reports_corruption_and_torn_tail_then_repairs(storage_output):
    disk = storage_output.split("On disk:")[1]
    assert re.search(r"^\s+0\s+1\s+corrupt\s+0\s+8\s+\d+\s+\d+$", disk, re.MULTILINE)
    assert re.search(r"^\s+1\s+4\s+torn-tail\s+\d+\s+\d+\s+\d+\s+\d+$", disk, re.MULTILINE)
    repaired = int(re.search(r"(\d+) records repaired from peers", disk).group(1))
    assert repaired > 0
    after = int(re.search(r"accounts after reopen: (\d+) rows", disk).group(1))
    assert after == len(replay(volume_tour.DISK_TRANSACTIONS))


def test_storage_tour_keeps_the_on_disk_volume_at_path(tmp_path):
    from aurora_lite.storage import Volume

    path = tmp_path / "vol"
    code, _, _ = run_main(["demo", "--storage", "--path", str(path)])
    assert code == 0
    with Volume.open(path) as volume:
        assert volume.materialize(0, volume_tour.PAGES).num_rows == len(replay(volume_tour.DISK_TRANSACTIONS))


# ================================================================ sql and status
@pytest.fixture
def cluster_path(tmp_path) -> Path:
    """A durable aurora-postgresql cluster with a small table t(id, name, price)."""
    path = tmp_path / "cluster"
    code, _, err = run_main(["sql", str(path), "--create",
                             ("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, price DECIMAL(8, 2)); "
                             "INSERT INTO t VALUES (1, 'apple', 1.50), (2, NULL, 20)")])
    assert code == 0, err
    return path


def test_sql_prints_results_as_tables(cluster_path):
    code, out, err = run_main(["sql", str(cluster_path), ("SELECT id, name, price FROM t ORDER BY id; "
                                                          "UPDATE t SET price = price * 2")])
    assert code == 0 and err == ""
    assert out.splitlines() == [
        " id | name  | price",
        "----+-------+-------",
        "  1 | apple |  1.50",
        "  2 | NULL  | 20.00",
        "(2 rows)",
        "",
        "UPDATE 2",
    ]


def test_sql_changes_are_durable(cluster_path):
    assert run_main(["sql", str(cluster_path), "INSERT INTO t VALUES (3, 'fig', 3)"])[0] == 0
    code, out, _ = run_main(["sql", str(cluster_path), "SELECT count(*) AS n FROM t"])
    assert code == 0 and out.splitlines()[2] == " 3"


def test_sql_from_a_file_and_from_stdin(cluster_path, tmp_path):
    script = tmp_path / "q.sql"
    script.write_text("-- a comment; not a statement\nSELECT name FROM t WHERE id = 1;\n")
    code, out, _ = run_main(["sql", str(cluster_path), "-f", str(script)])
    assert code == 0 and "apple" in out
    code, out, _ = run_main(["sql", str(cluster_path), "-f", "-"], stdin="SELECT 40 + 2 AS answer")
    assert code == 0 and out.splitlines()[2] == "     42"


def test_sql_on_mysql_reports_like_the_mysql_client(tmp_path):
    path = tmp_path / "my"
    code, out, err = run_main(["sql", str(path), "--create", "--engine", "aurora-mysql",
                               ("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2); "
                               "SELECT @@aurora_server_id AS server")])
    assert code == 0, err
    assert "Query OK, 2 rows affected" in out
    assert "my-instance-1" in out


@pytest.mark.parametrize(("args", "message"), [
    (["SELECT * FROM nope"], (r'^aurora-lite sql: error: UndefinedTable \(SQLSTATE 42P01\): relation "nope" '
                             r"does not exist$")),
    (["SELEC 1"], r"^aurora-lite sql: error: \w+ \(SQLSTATE 42601\): syntax error"),
    (["SELECT 1; SELECT * FROM nope"], r"^aurora-lite sql: error: statement 2 \(line 1\): UndefinedTable"),
    (["--endpoint", "ghost", "SELECT 1"], (r"^aurora-lite sql: error: cannot connect to endpoint 'ghost': "
                                          r"ProgrammingError: no instance 'ghost'")),
    (["-- nothing"], r"^aurora-lite sql: error: no SQL statement in the input"),
    (["-f", "/no/such/file.sql"], r"^aurora-lite sql: error: cannot read /no/such/file.sql: "),
], ids=["missing-table", "syntax", "second-statement", "unknown-instance", "empty", "missing-file"])
def test_sql_mistakes_are_one_line_and_exit_1(cluster_path, args, message):
    code, _, err = run_main(["sql", str(cluster_path), *args])
    assert code == 1
    assert re.search(message, one_line_error(err)), err


def test_sql_runs_statements_before_the_failing_one(cluster_path):
    code, out, _ = run_main(["sql", str(cluster_path), "INSERT INTO t VALUES (9, 'x', 1); SELECT * FROM nope"])
    assert code == 1 and out.strip() == "INSERT 0 1"
    assert "(3 rows)" in run_main(["sql", str(cluster_path), "SELECT * FROM t"])[1]


@pytest.mark.parametrize("command", ["sql", "status"])
def test_a_missing_cluster_is_one_line_and_exit_1(tmp_path, command):
    args = [command, str(tmp_path / "nowhere")] + (["SELECT 1"] if command == "sql" else [])
    code, out, err = run_main(args)
    assert code == 1 and out == ""
    assert re.search(rf"^aurora-lite {command}: error: .*nowhere: no such directory \(create a cluster with ",
                     one_line_error(err))
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_that_is_not_a_cluster(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run_main(["status", str(tmp_path)])
    assert code == 1 and "not an aurora_lite cluster" in one_line_error(err)
    code, _, err = run_main(["sql", str(tmp_path), "--create", "SELECT 1"])
    assert code == 1 and "exists and is not an aurora_lite cluster" in one_line_error(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_status_shows_instances_volume_and_segments_by_az(cluster_path):
    code, out, err = run_main(["status", str(cluster_path)])
    assert code == 0 and err == ""
    assert re.search(r"^cluster:\s+cluster \(aurora-postgresql, database postgres\)$", out, re.MULTILINE)
    assert re.search(r"^\s+instance\s+role\s+status\s+tier\s+applied LSN\s+lag ms\s+connections$", out, re.MULTILINE)
    assert re.search(r"^\s+cluster-instance-1\s+writer\s+available\s+1\s+\d+\s+-\s+0$", out, re.MULTILINE)
    vdl = int(re.search(r"^\s+VDL:\s+(\d+)$", out, re.MULTILINE).group(1))
    assert vdl > 0
    assert re.search(r"^\s+PG\s+pages\s+az-a\s+az-b\s+az-c\s+up\s+state$", out, re.MULTILINE)
    assert re.search(r"^\s+0\s+0-\d+\s+up up\s+up up\s+up up\s+6/6\s+healthy$", out, re.MULTILINE)
    assert "Snapshots:\n  (none)" in out


def test_status_as_json(cluster_path):
    code, out, _ = run_main(["status", str(cluster_path), "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["engine"] == "aurora-postgresql"
    assert [i["role"] for i in data["instances"]] == ["writer"]
    assert data["volume"]["vdl"] > 0 and data["volume"]["bytes_on_disk"] > 0
    assert data["volume"]["protection_groups"][0]["az-a"] == "up up"


# ================================================================ shell
SHELL_SCRIPT = r"""
SELECT name
  FROM t          -- a statement may span lines
 WHERE id = 1;
\add-reader
\topology
\failover
SELECT count(*) AS n FROM t;
\snapshot before-fig
\snapshots
\failover ghost
\frobnicate
SELECT * FROM nope;
\fail-az az-b
INSERT INTO t VALUES (3, 'fig', 3);
\restore-az az-b
\status
\q
SELECT 'never run';
"""


def test_shell_from_a_pipe(cluster_path):
    done = run_process("shell", str(cluster_path), stdin=SHELL_SCRIPT)
    out, err = done.stdout, done.stderr
    assert done.returncode == 1  # some commands failed, and stdin is not a terminal
    assert "Traceback" not in err
    assert "=>" not in out  # no prompts off a terminal
    assert " apple" in out
    assert re.search(r"added reader cluster-instance-2", out)
    assert re.search(r"failover: cluster-instance-2 is the writer \([\d.]+ ms\); cluster-instance-1 restarts", out)
    assert re.search(r"^ n\n---\n 2\n\(1 row\)$", out, re.MULTILINE)
    assert re.search(r"snapshot before-fig at LSN \d+", out)
    assert re.search(r"^\s+before-fig\s+\d+\s+\d{4}-", out, re.MULTILINE)
    assert re.search(r"^\s+0\s+\S+\s+up up\s+down down\s+up up\s+4/6", out, re.MULTILINE)
    assert "INSERT 0 1" in out
    assert re.search(r"^\d+ records copied by gossip$", out, re.MULTILINE)
    assert re.search(r"^\s+cluster-instance-2\s+writer\s+available", out, re.MULTILINE)
    assert "never run" not in out
    assert err.splitlines() == [
        "ERROR: ProgrammingError: no instance 'ghost' in cluster 'cluster'",
        "ERROR: unknown meta-command \\frobnicate (\\? lists them)",
        'ERROR: UndefinedTable (SQLSTATE 42P01): relation "nope" does not exist',
    ]
    # what the shell did is durable, snapshots included
    code, status, _ = run_main(["status", str(cluster_path)])
    assert code == 0 and re.search(r"^\s+before-fig\s+\d+", status, re.MULTILINE)
    assert "(3 rows)" in run_main(["sql", str(cluster_path), "SELECT * FROM t"])[1]


def test_shell_creates_a_cluster_with_the_engine_asked(tmp_path):
    path = tmp_path / "new"
    done = run_process("shell", str(path), "--engine", "aurora-mysql",
                       stdin="CREATE TABLE t (id INT PRIMARY KEY);\nSELECT @@aurora_server_id AS s;\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"created a new aurora-mysql cluster at {path}\n")
    assert "new-instance-1" in done.stdout
    _, out, _ = run_main(["status", str(path), "--json"])
    assert json.loads(out)["engine"] == "aurora-mysql"


def test_shell_runs_a_last_statement_without_semicolon_and_exits_0(cluster_path):
    done = run_process("shell", str(cluster_path), stdin="SELECT 7 AS seven")
    assert done.returncode == 0 and done.stderr == ""
    assert " seven\n-------\n     7\n(1 row)\n" in done.stdout


def test_shell_reconnects_after_the_writer_crashes(cluster_path):
    done = run_process("shell", str(cluster_path),
                       stdin="\\add-reader\n\\crash\nSELECT count(*) AS n FROM t;\n\\topology\n")
    assert done.returncode == 0, done.stderr
    assert re.search(r"cluster-instance-1 crashed; the writer is now cluster-instance-2", done.stdout)
    assert "this session: writer endpoint -> cluster-instance-2" in done.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_shell_interactively_under_tmux(cluster_path):
    session = f"aurora-lite-test-{os.getpid()}"
    command = f"cd {ROOT} && PYTHONPATH={ENV['PYTHONPATH']} {sys.executable} -m aurora_lite shell {cluster_path}; " \
              "echo EXIT=$?; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "50", command], check=True)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
                              text=True, check=False).stdout

    def wait_for(text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{screen()}")

    def type_line(text: str) -> None:
        # tmux reads an argument ending in ';' as a command separator: escape it.
        subprocess.run(["tmux", "send-keys", "-t", session, "-l", text[:-1] + "\\;" if text.endswith(";")
                        else text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)

    try:
        wait_for("cluster=>")
        type_line("SELECT name")
        wait_for("cluster->")
        type_line("FROM t WHERE id = 1;")
        wait_for("(1 row)")
        type_line("SELECT 'typing")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
        type_line("\\topology")
        wait_for("this session: writer endpoint -> cluster-instance-1")
        type_line("\\q")
        shown = wait_for("EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    assert "aurora-lite shell: cluster 'cluster' (aurora-postgresql)" in shown
    assert " apple" in shown
    assert "typing" not in shown.split("^C")[-1]  # Ctrl-C dropped the half-typed statement
    assert "Traceback" not in shown


# ================================================================ usage mistakes
@pytest.mark.parametrize("argv", [
    ["frobnicate"], [], ["demo", "--bogus"], ["demo", "--engine", "oracle"], ["sql"], ["status"],
    ["sql", "p", "SELECT 1", "extra"], ["demo", "--rows", "0"], ["demo", "--path", "/tmp/x"],
], ids=["unknown", "none", "bad-option", "bad-engine", "sql-no-path", "status-no-path", "sql-extra", "rows",
        "path-without-storage"])
def test_usage_mistake_exits_2_with_one_line(argv):
    code, out, err = run_main(argv)
    assert code == 2
    assert out == ""
    assert "error:" in one_line_error(err)


def test_existing_path_is_a_usage_mistake(tmp_path):
    code, out, err = run_main(["demo", "--storage", "--path", str(tmp_path)])
    assert code == 2 and out == "" and "already exists" in one_line_error(err)


def test_unknown_subcommand_as_a_process_exits_2_without_traceback():
    done = run_process("frobnicate")
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert "\n" not in line
    assert line.startswith("python -m aurora_lite: error: argument COMMAND: invalid choice: 'frobnicate'")
    assert line.endswith("(see 'python -m aurora_lite --help')")


def test_bad_sql_as_a_process_is_one_line_exit_1(cluster_path):
    done = run_process("sql", str(cluster_path), "SELECT FROM WHERE")
    assert done.returncode == 1 and done.stdout == ""
    assert one_line_error(done.stderr).startswith("python -m aurora_lite sql: error: ")


def test_help_lists_every_command():
    code, out, _ = run_main(["--help"])
    assert code == 0
    for command in ("demo", "shell", "status", "sql"):
        assert re.search(rf"^\s+{command}\s", out, re.MULTILINE)
