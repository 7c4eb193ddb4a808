"""The pytest plugin, seen from a user's project: pytester runs small test suites that use its fixtures.

Where aurora_lite is installed (``pip install -e .``, as CI does) the plugin is
loaded by its ``pytest11`` entry point, exactly as in a user's project; in a
source checkout without the install, the inner runs load it with ``-p``.
"""
from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

# pytester's in-process runs forget the modules an inner run imported; DuckDB's
# extension module cannot be imported a second time in one process, so load
# it (through aurora_lite) out here, before any inner run.
import aurora_lite  # noqa: F401

pytest_plugins = ["pytester"]

PLUGIN = "aurora_lite.pytest_plugin"


def _entry_point_installed() -> bool:
    return any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))


INSTALLED = _entry_point_installed()
LOAD = () if INSTALLED else ("-p", PLUGIN)

SCHEMA = """\
-- the application's schema, as its migrations would write it
CREATE TABLE orders (
    id INT PRIMARY KEY,
    item TEXT NOT NULL,   -- what was ordered; a ';' in a comment is not a delimiter
    qty INT NOT NULL
);
INSERT INTO orders VALUES (1, 'apple', 3), (2, 'pear; ripe', 5);
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*LOAD, "-p", "no:cacheprovider", *args)


def test_a_conftest_free_test_file_gets_an_isolated_cluster(pytester):
    pytester.makepyfile(test_app="""
        def test_writes(aurora_cluster, aurora_writer):
            cur = aurora_writer.cursor()
            cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
            cur.execute("INSERT INTO t VALUES (1, 'one')")
            aurora_writer.commit()
            assert aurora_cluster.engine == "aurora-postgresql"
            assert aurora_cluster.readers == []

        def test_sees_nothing_of_the_other_test(aurora_writer):
            import pytest
            import aurora_lite as al

            with pytest.raises(al.ProgrammingError):
                aurora_writer.cursor().execute("SELECT * FROM t")
    """)
    result = run(pytester)
    result.assert_outcomes(passed=2)


@pytest.mark.skipif(not INSTALLED, reason="aurora_lite is not installed (pip install -e .): no pytest11 entry point")
def test_installing_the_package_activates_the_plugin(pytester):
    pytester.makepyfile(test_app="""
        def test_it(aurora_writer):
            cur = aurora_writer.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")  # no -p: the entry point alone
    result.assert_outcomes(passed=1)


def test_the_marker_is_registered(pytester):
    pytester.makepyfile(test_app="""
        import pytest

        @pytest.mark.aurora(replicas=1)
        def test_it(aurora_cluster):
            assert len(aurora_cluster.readers) == 1
    """)
    result = run(pytester, "--strict-markers")
    result.assert_outcomes(passed=1)
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.aurora(engine=None, replicas=None, schema=None, seed=None)*"])


def test_ini_options_configure_engine_readers_and_schema(pytester):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.makeini("""
        [pytest]
        aurora_engine = aurora-mysql
        aurora_replicas = 2
        aurora_schema = schema.sql
    """)
    pytester.makepyfile(test_app="""
        def test_configured(aurora_cluster, aurora_writer):
            assert aurora_cluster.engine == "aurora-mysql"
            assert len(aurora_cluster.readers) == 2
            cur = aurora_writer.cursor()
            cur.execute("SELECT item FROM orders ORDER BY id")
            assert cur.fetchall() == [("apple",), ("pear; ripe",)]
            cur.execute("SELECT @@aurora_server_id")
            assert cur.fetchone() == (aurora_cluster.writer.identifier,)

        def test_readers_have_the_schema_and_data(aurora_cluster):
            for reader in aurora_cluster.readers:
                conn = aurora_cluster.connect(reader.identifier)
                cur = conn.cursor()
                cur.execute("SELECT sum(qty) FROM orders")
                assert cur.fetchone()[0] == 8
                conn.close()
    """)
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_marker_overrides_ini_nearest_wins(pytester):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.mkdir("db")
    pytester.path.joinpath("db", "extra.sql").write_text("CREATE TABLE extra (id INT PRIMARY KEY);\n")
    pytester.makeini("""
        [pytest]
        aurora_engine = aurora-postgresql
        aurora_schema = schema.sql
    """)
    pytester.makepyfile(test_app="""
        import pytest

        pytestmark = pytest.mark.aurora(engine="aurora-mysql")

        import aurora_lite as al

        def tables(conn):
            found = []
            for name in ("extra", "orders"):
                try:
                    conn.cursor().execute(f"SELECT * FROM {name}")
                    found.append(name)
                except al.ProgrammingError:
                    conn.rollback()
            return found

        def test_module_marker(aurora_cluster):
            assert aurora_cluster.engine == "aurora-mysql"

        class TestClass:
            pytestmark = pytest.mark.aurora(replicas=1)

            def test_class_marker_adds_to_module_marker(self, aurora_cluster):
                assert aurora_cluster.engine == "aurora-mysql"
                assert len(aurora_cluster.readers) == 1

            @pytest.mark.aurora(engine="aurora-postgresql", replicas=0, schema=["schema.sql", "db/extra.sql"])
            def test_function_marker_wins(self, aurora_cluster, aurora_writer):
                assert aurora_cluster.engine == "aurora-postgresql"
                assert aurora_cluster.readers == []
                assert tables(aurora_writer) == ["extra", "orders"]

        @pytest.mark.aurora(schema=None)
        def test_no_schema(aurora_writer):
            assert tables(aurora_writer) == []
    """)
    result = run(pytester)
    result.assert_outcomes(passed=4)


def test_seed_fixture_runs_once_per_session_and_marker_seed_wins(pytester):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.makeini("""
        [pytest]
        aurora_schema = schema.sql
    """)
    pytester.makeconftest("""
        import pytest

        CALLS = []

        @pytest.fixture(scope="session")
        def aurora_seed():
            def seed(conn):
                CALLS.append("fixture")
                cur = conn.cursor()
                cur.executemany("INSERT INTO orders VALUES (%s, %s, %s)",
                                [(i, f"item-{i}", i % 7) for i in range(10, 1010)])
            return seed
    """)
    pytester.makepyfile(test_app="""
        import pytest
        from conftest import CALLS

        def count(conn):
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM orders")
            return cur.fetchone()[0]

        @pytest.mark.parametrize("n", range(5))
        def test_seeded(aurora_writer, n):
            assert count(aurora_writer) == 1002
            cur = aurora_writer.cursor()
            cur.execute("DELETE FROM orders")   # each test may wreck its own copy
            aurora_writer.commit()

        def other_seed(conn):
            CALLS.append("marker")
            conn.cursor().execute("INSERT INTO orders VALUES (99, 'kiwi', 1)")

        @pytest.mark.aurora(seed=other_seed)
        def test_marker_seed(aurora_writer):
            assert count(aurora_writer) == 3

        def test_seeded_once_per_template():
            assert sorted(CALLS) == ["fixture", "marker"]
    """)
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=7)


def test_writer_and_reader_fixtures(pytester):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.makeini("""
        [pytest]
        aurora_schema = schema.sql
    """)
    pytester.makepyfile(test_app="""
        import pytest
        import aurora_lite as al

        KEEP = {}

        def test_reader_is_read_only_and_added_when_none_asked(aurora_cluster, aurora_reader, aurora_writer):
            assert len(aurora_cluster.readers) == 1
            assert aurora_reader.instance_identifier == aurora_cluster.readers[0].identifier
            cur = aurora_reader.cursor()
            cur.execute("SELECT count(*) FROM orders")
            assert cur.fetchone() == (2,)
            with pytest.raises(al.Error) as err:
                cur.execute("DELETE FROM orders")
            assert err.value.sqlstate == "25006"
            KEEP["conns"] = (aurora_reader, aurora_writer)
            KEEP["cluster"] = aurora_cluster

        def test_teardown_closed_them():
            reader, writer = KEEP["conns"]
            assert reader.closed and writer.closed
            assert KEEP["cluster"].closed

        @pytest.mark.aurora(engine="aurora-mysql", replicas=2)
        def test_reader_endpoint_spreads_over_readers(aurora_cluster, aurora_reader):
            assert aurora_reader.instance_identifier in [r.identifier for r in aurora_cluster.readers]
            with pytest.raises(al.OperationalError) as err:
                aurora_reader.cursor().execute("DELETE FROM orders")
            assert err.value.errno == 1290
    """)
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_failover_faults_and_stale_reads_from_a_test(pytester):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.makeini("""
        [pytest]
        aurora_schema = schema.sql
        aurora_replicas = 1
    """)
    pytester.makepyfile(test_app="""
        import pytest
        import aurora_lite as al

        def count(conn):
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM orders")
            return cur.fetchone()[0]

        def test_failover(aurora_cluster, aurora_writer):
            cur = aurora_writer.cursor()
            cur.execute("INSERT INTO orders VALUES (3, 'fig', 1)")
            aurora_writer.commit()
            old = aurora_cluster.writer.identifier
            event = aurora_cluster.failover()
            assert event.old_writer == old and event.new_writer != old
            with pytest.raises(al.OperationalError) as err:
                aurora_writer.cursor().execute("SELECT 1")
            assert err.value.sqlstate.startswith("08")
            fresh = aurora_cluster.connect()
            assert fresh.instance_identifier == event.new_writer
            assert count(fresh) == 3       # every acknowledged commit survived
            fresh.close()

        def test_losing_an_az_keeps_writes_going(aurora_cluster, aurora_writer):
            aurora_cluster.volume.fail_az("az-a")
            cur = aurora_writer.cursor()
            cur.execute("INSERT INTO orders VALUES (4, 'plum', 2)")
            aurora_writer.commit()
            assert count(aurora_writer) == 3
            aurora_cluster.volume.restore_az("az-a")

        def test_faults_do_not_leak_between_tests(aurora_cluster, aurora_writer):
            cur = aurora_writer.cursor()
            cur.execute("INSERT INTO orders VALUES (4, 'plum', 2)")
            aurora_writer.commit()
            volume = aurora_cluster.volume
            assert volume.protection_groups
            assert all(seg.available for pg in volume.protection_groups for seg in pg.segments)

        def test_a_third_segment_down_stops_writes(aurora_cluster_factory):
            cluster = aurora_cluster_factory(commit_timeout_s=0.2)   # a new cluster, not a clone
            conn = cluster.connect()
            cluster.volume.fail_az("az-a")
            cluster.volume.fail_segment(0, 2)
            conn.cursor().execute("INSERT INTO orders VALUES (5, 'lime', 1)")
            with pytest.raises(al.OperationalError):
                conn.commit()

        def test_stale_read_while_replication_is_paused(aurora_cluster, aurora_writer, aurora_reader):
            aurora_cluster.pause_replication()
            cur = aurora_writer.cursor()
            cur.execute("UPDATE orders SET qty = 100 WHERE id = 1")
            aurora_writer.commit()
            rcur = aurora_reader.cursor()
            rcur.execute("SELECT qty FROM orders WHERE id = 1")
            assert rcur.fetchone() == (3,)          # stale
            aurora_cluster.resume_replication()
            aurora_cluster.wait_for_replicas()
            rcur.execute("SELECT qty FROM orders WHERE id = 1")
            assert rcur.fetchone() == (100,)

        def test_writer_crash_fails_over(aurora_cluster):
            old = aurora_cluster.writer
            old.crash()
            assert aurora_cluster.writer is not old
            conn = aurora_cluster.connect()
            assert count(conn) == 2
            conn.close()
    """)
    result = run(pytester)
    result.assert_outcomes(passed=6)


def test_cluster_factory_for_custom_setups(pytester, tmp_path):
    pytester.makefile(".sql", schema=SCHEMA)
    pytester.makeini("""
        [pytest]
        aurora_schema = schema.sql
    """)
    durable = tmp_path / "durable"
    pytester.makepyfile(test_app=f"""
        import aurora_lite as al

        MADE = []

        def test_factory(aurora_cluster_factory):
            pg = aurora_cluster_factory()
            my = aurora_cluster_factory("aurora-mysql", replicas=1, schema=None)
            disk = aurora_cluster_factory(path={str(durable)!r})
            MADE.extend([pg, my, disk])
            assert [c.engine for c in MADE] == ["aurora-postgresql", "aurora-mysql", "aurora-postgresql"]
            assert len(my.readers) == 1
            for cluster in (pg, disk):
                conn = cluster.connect()
                cur = conn.cursor()
                cur.execute("SELECT count(*) FROM orders")
                assert cur.fetchone() == (2,)
                conn.close()
            assert aurora_cluster_factory.clusters == MADE

        def test_all_closed():
            assert MADE and all(c.closed for c in MADE)
            reopened = al.Cluster.open({str(durable)!r})    # the durable one kept its data
            conn = reopened.connect()
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM orders")
            assert cur.fetchone() == (2,)
            conn.close()
            reopened.close()
    """)
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_a_bad_schema_is_one_clear_error_per_test(pytester):
    pytester.makefile(".sql", schema="CREATE TABLE a (id INT PRIMARY KEY);\n\nCREATE TABLE b (id INT PRIMARY KEY,;\n")
    pytester.makeini("""
        [pytest]
        aurora_schema = schema.sql
    """)
    pytester.makepyfile(test_app="""
        def test_one(aurora_cluster):
            pass

        def test_two(aurora_writer):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*aurora_schema: *schema.sql:3: *Error: *CREATE TABLE b (id INT PRIMARY KEY,"])
    assert "pytest_plugin.py" not in result.stdout.str()
    assert "direct cause" not in result.stdout.str()


@pytest.mark.parametrize(("ini", "marker", "message"), [
    ("aurora_engine = oracle", "", "*ini option aurora_engine: engine must be one of*not 'oracle'*"),
    ("aurora_replicas = lots", "", "*aurora_replicas: replicas must be a number from 0 to 15, not 'lots'*"),
    ("aurora_schema = missing.sql", "", "*ini option aurora_schema: schema file *missing.sql does not exist*"),
    ("", "@pytest.mark.aurora(replica=2)", "*@pytest.mark.aurora: unknown keyword(s) replica; known:*"),
    ("", "@pytest.mark.aurora(replicas=16)", "*replicas must be a number from 0 to 15, not 16*"),
    ("", "@pytest.mark.aurora(seed='data.sql')", "*the seed must be a callable(connection) or None*"),
], ids=["engine", "replicas", "schema", "marker-keyword", "marker-replicas", "seed"])
def test_configuration_mistakes_are_reported_plainly(pytester, ini, marker, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_app=f"""
        import pytest

        {marker}
        def test_it(aurora_cluster):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
    assert "pytest_plugin.py" not in result.stdout.str()
    assert "direct cause" not in result.stdout.str()


def test_a_failing_seed_names_itself(pytester):
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def aurora_seed():
            def load_customers(conn):
                conn.cursor().execute("INSERT INTO customers VALUES (1)")
            return load_customers
    """)
    pytester.makepyfile(test_app="""
        def test_it(aurora_cluster):
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*aurora seed *load_customers failed at *conftest.py:6: *customers*"])


def test_templates_are_shared_and_closed_at_session_end(pytester):
    pytester.makepyfile(test_app=textwrap.dedent("""
        import pytest

        SEEN = []

        @pytest.mark.parametrize("engine", ["aurora-postgresql", "aurora-mysql", "aurora-postgresql"])
        def test_clone(request, engine, aurora_cluster_factory):
            cluster = aurora_cluster_factory(engine)
            templates = request.getfixturevalue("_aurora_templates")
            SEEN.append(templates)
            assert len(templates._clusters) == (1 if engine == "aurora-postgresql" and len(SEEN) == 1 else 2)
    """))
    result = run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=3)
