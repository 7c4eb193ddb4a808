"""aurora_lite.sql.script: the script splitter the plugin and the CLI use, is_complete, run_script."""
from __future__ import annotations

from pathlib import Path

import pytest

import aurora_lite as al
from aurora_lite.sql.script import (
    ScriptError,
    Statement,
    dialect_of,
    is_complete,
    run_script,
    split_script,
)

ROOT = Path(__file__).resolve().parents[1]
CHINOOK = ROOT.parent / "shared" / "datasets" / "chinook"


@pytest.mark.parametrize(("name", "dialect"), [("Chinook_MySql.sql", "mysql"),
                                               ("Chinook_PostgreSql.sql", "postgres")])
def test_chinook_scripts_split_into_their_statements(name, dialect):
    """tests/e2e loads these scripts statement by statement through each engine; here only the split."""
    path = CHINOOK / name
    if not path.is_file():
        pytest.skip(f"Chinook sample database not found at {path}")
    text = path.read_text(encoding="utf-8")
    statements = split_script(text, dialect)
    assert is_complete(text, dialect)
    inserts = [s for s in statements if s.text.upper().startswith("INSERT")]
    creates = [s for s in statements if s.text.upper().startswith("CREATE TABLE")]
    assert len(creates) == 11 and inserts
    assert all(not s.text.endswith(";") for s in statements if not s.meta)
    assert [s.line for s in statements] == sorted(s.line for s in statements)


@pytest.mark.parametrize(("text", "dialect", "statements"), [
    ("SELECT 1; SELECT 2", "postgres", [("SELECT 1", 1), ("SELECT 2", 1)]),
    ("SELECT ';' ;\n-- c;\nSELECT 2;", "postgres", [("SELECT ';'", 1), ("SELECT 2", 3)]),
    ("SELECT $$a;b$$;", "postgres", [("SELECT $$a;b$$", 1)]),
    ("SELECT 'it\\'s;';", "mysql", [("SELECT 'it\\'s;'", 1)]),
    ("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nSELECT 2;", "mysql",
     [("CREATE PROCEDURE p() BEGIN SELECT 1; END", 2), ("SELECT 2", 4)]),
    ("/* a /* nested */ ; */ SELECT 1;", "postgres", [("SELECT 1", 1)]),
    ("--x;\nSELECT 1;", "mysql", [("--x", 1), ("SELECT 1", 2)]),  # MySQL: '--' needs a space after it
])
def test_split(text, dialect, statements):
    assert [(s.text, s.line) for s in split_script(text, dialect)] == statements


def test_psql_meta_commands_are_their_own_statements():
    assert split_script("\\c chinook;\nSELECT 1;", "postgres") == [Statement("\\c chinook;", 1, meta=True),
                                                                  Statement("SELECT 1", 2)]


@pytest.mark.parametrize(("text", "dialect", "complete"), [
    ("", "postgres", True),
    ("SELECT 1;", "postgres", True),
    ("SELECT 1", "postgres", False),
    ("SELECT 1; -- trailing comment", "postgres", True),
    ("SELECT 1; /* open", "postgres", False),
    ("/* a /* b */", "postgres", False),
    ("/* a /* b */ c */", "postgres", True),
    ("SELECT 'a;", "postgres", False),
    ("SELECT $$a;", "postgres", False),
    ("SELECT $$a;$$;", "postgres", True),
    ("SELECT \"col;", "mysql", False),
    ("\\c db", "postgres", True),
    ("DELIMITER //\nSELECT 1;", "mysql", False),
    ("DELIMITER //\nSELECT 1//", "mysql", True),
])
def test_is_complete(text, dialect, complete):
    assert is_complete(text, dialect) is complete


def test_unknown_dialect():
    with pytest.raises(ValueError):
        split_script("SELECT 1", "oracle")
    assert dialect_of("aurora-mysql") == "mysql" and dialect_of("postgresql") == "postgres"
    with pytest.raises(ValueError):
        dialect_of("sqlite")


def test_run_script_sends_each_statement_and_names_a_failing_line():
    with al.Cluster("aurora-mysql") as cluster:
        conn = cluster.connect()
        assert run_script(conn, "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1), (2);") == 2
        conn.commit()
        with pytest.raises(ScriptError) as failed:
            run_script(conn, "INSERT INTO t VALUES (3);\n\nINSERT INTO nope VALUES (1);", source="seed.sql")
        assert str(failed.value).startswith("seed.sql:3: ProgrammingError: ")
        assert failed.value.statement.line == 3
        assert isinstance(failed.value.__cause__, al.ProgrammingError)
