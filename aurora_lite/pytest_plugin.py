"""pytest fixtures: every test gets its own Aurora cluster, in milliseconds.

Installing aurora_lite registers this module as a pytest plugin (entry point
``pytest11``), so a test file needs no conftest::

    def test_orders(aurora_writer):
        cur = aurora_writer.cursor()
        cur.execute("SELECT count(*) FROM orders")

How it stays cheap: the schema files and the seed run ONCE per session and
per configuration, into a *template* cluster that no test touches. Each test
gets ``template.clone()``: a copy-on-write clone of the template's volume with
a new writer rebuilt from it (a few milliseconds for ten thousand rows), plus
the readers it asked for. Writes, faults and failovers in one test never reach
the template or another test.

Configuration, nearest wins: the ``@pytest.mark.aurora(...)`` marker on the
test (then its class, then its module), the ini options, the defaults.

====================  =========================  ======================================
marker keyword        ini option                 meaning
====================  =========================  ======================================
``engine``            ``aurora_engine``          ``aurora-postgresql`` (default) or
                                                 ``aurora-mysql``
``replicas``          ``aurora_replicas``        readers per test cluster (default 0)
``schema``            ``aurora_schema``          SQL files run in order on the template
                                                 (ini: relative to the ini file; marker:
                                                 relative to the rootdir)
``seed``              fixture ``aurora_seed``    ``callable(connection)`` run on the
                                                 template after the schema; committed
====================  =========================  ======================================

Fixtures: ``aurora_cluster`` (function scope, closed at teardown),
``aurora_writer`` and ``aurora_reader`` (connections, closed at teardown),
``aurora_seed`` (session scope, override it in a conftest), and
``aurora_cluster_factory`` for custom setups (every cluster it made is closed
at teardown). Templates live until the end of the session.

The plugin's own module imports nothing heavy; what a session pays for having
the package installed is ``import aurora_lite`` (DuckDB, pyarrow, sqlglot),
once, when pytest loads its plugins.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from .cluster import Cluster
    from .dbapi.connection import Connection

Seed = Callable[["Connection"], Any]

ENGINES = ("aurora-postgresql", "aurora-mysql")
_ENGINE_ALIASES = {"aurora-postgresql": "aurora-postgresql", "postgresql": "aurora-postgresql",
                   "postgres": "aurora-postgresql", "aurora-mysql": "aurora-mysql", "mysql": "aurora-mysql"}
_MARKER_KEYS = ("engine", "replicas", "schema", "seed")
CLUSTER_NAME = "aurora-cluster"


class AuroraConfigError(Exception):
    """A mistake in the plugin's configuration (marker, ini option or seed)."""


# ---------------------------------------------------------------- configuration
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aurora_engine", "aurora_lite: engine of the aurora_cluster fixture "
                  "(aurora-postgresql or aurora-mysql)", default="aurora-postgresql")
    parser.addini("aurora_replicas", "aurora_lite: readers (Aurora Replicas) in each aurora_cluster", default="0")
    parser.addini("aurora_schema", "aurora_lite: SQL files loaded once per session into the template cluster "
                  "(relative to the ini file)", type="paths", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "aurora(engine=None, replicas=None, schema=None, seed=None): configure the aurora_cluster fixture "
        "for this test (engine 'aurora-postgresql' or 'aurora-mysql', readers, SQL schema files relative to the "
        "rootdir, a seed callable(connection))")


class Settings:
    """What one test asked for: engine, readers, schema files, seed."""

    __slots__ = ("engine", "replicas", "schema", "seed")

    def __init__(self, engine: str, replicas: int, schema: tuple[Path, ...], seed: Seed | None) -> None:
        self.engine = engine
        self.replicas = replicas
        self.schema = schema
        self.seed = seed

    def __repr__(self) -> str:
        return (f"Settings(engine={self.engine!r}, replicas={self.replicas}, "
                f"schema={[str(p) for p in self.schema]}, seed={self.seed!r})")

    @property
    def template_key(self) -> tuple[Any, ...]:
        """Tests whose keys are equal share a template (readers are per test, not part of the key)."""
        return self.engine, self.schema, self.seed


def _engine(value: object, where: str) -> str:
    engine = _ENGINE_ALIASES.get(str(value).strip().lower())
    if engine is None:
        raise AuroraConfigError(f"{where}: engine must be one of {', '.join(ENGINES)}, not {value!r}")
    return engine


def _replicas(value: object, where: str) -> int:
    try:
        replicas = int(str(value).strip())
    except ValueError:
        raise AuroraConfigError(f"{where}: replicas must be a number from 0 to 15, not {value!r}") from None
    if not 0 <= replicas <= 15:
        raise AuroraConfigError(f"{where}: replicas must be a number from 0 to 15, not {replicas}")
    return replicas


def _schema(value: object, base: Path, where: str) -> tuple[Path, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, (str, Path)) else list(value)  # type: ignore[call-overload]
    paths = []
    for item in items:
        path = Path(item)
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise AuroraConfigError(f"{where}: schema file {path} does not exist")
        paths.append(path.resolve())
    return tuple(paths)


def settings_for(request: pytest.FixtureRequest, seed: Seed | None = None) -> Settings:
    """The settings of the requesting test: marker (nearest first) over ini options over defaults."""
    config = request.config
    engine = _engine(config.getini("aurora_engine") or "aurora-postgresql", "ini option aurora_engine")
    replicas = _replicas(config.getini("aurora_replicas") or "0", "ini option aurora_replicas")
    schema = _schema(config.getini("aurora_schema"), config.rootpath, "ini option aurora_schema")
    marked: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("aurora"))):  # farthest first, nearest wins
        if marker.args:
            raise AuroraConfigError(f"@pytest.mark.aurora takes keywords only ({', '.join(_MARKER_KEYS)}), "
                                    f"not {marker.args!r}")
        unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
        if unknown:
            raise AuroraConfigError(f"@pytest.mark.aurora: unknown keyword(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(_MARKER_KEYS)}")
        marked.update(marker.kwargs)
    where = "@pytest.mark.aurora"
    if marked.get("engine") is not None:
        engine = _engine(marked["engine"], where)
    if marked.get("replicas") is not None:
        replicas = _replicas(marked["replicas"], where)
    if "schema" in marked:
        schema = _schema(marked["schema"], config.rootpath, where)
    if marked.get("seed") is not None:
        seed = marked["seed"]
    if seed is not None and not callable(seed):
        raise AuroraConfigError(f"the seed must be a callable(connection) or None, not {seed!r}")
    return Settings(engine, replicas, schema, seed)


# ---------------------------------------------------------------- templates
class Templates:
    """Template clusters of one session, one per (engine, schema, seed); closed at the end of the session.

    A template that failed to load is remembered with its error, so every test
    that needs it reports the same error without loading it again.
    """

    def __init__(self) -> None:
        self._clusters: dict[tuple[Any, ...], Cluster | AuroraConfigError] = {}
        self._count = 0

    def get(self, settings: Settings) -> Cluster:
        key = settings.template_key
        template = self._clusters.get(key)
        if template is None:
            template = self._clusters[key] = self._load(settings)
        if isinstance(template, AuroraConfigError):
            raise template
        return template

    def _load(self, settings: Settings) -> Cluster | AuroraConfigError:
        self._count += 1
        try:
            return load_cluster(settings, name=f"aurora-template-{self._count}")
        except AuroraConfigError as exc:
            return exc

    def close(self) -> None:
        for template in self._clusters.values():
            if not isinstance(template, AuroraConfigError):
                template.close()
        self._clusters.clear()


def load_cluster(settings: Settings, *, name: str = CLUSTER_NAME, **cluster_kwargs: Any) -> Cluster:
    """A new cluster (no readers) with the schema files and the seed loaded and committed.

    A failing schema statement or seed raises AuroraConfigError naming the file
    and line (or the seed); the cluster is closed then.
    """
    from .cluster import Cluster
    from .sql.script import ScriptError, run_file

    cluster = Cluster(settings.engine, name=name, **cluster_kwargs)
    try:
        connection = cluster.connect()
        try:
            for path in settings.schema:
                run_file(connection, path)
            connection.commit()
            if settings.seed is not None:
                settings.seed(connection)
                connection.commit()
        finally:
            connection.close()
    except ScriptError as exc:
        cluster.close()
        raise AuroraConfigError(f"aurora_schema: {exc}") from exc
    except Exception as exc:
        cluster.close()
        if settings.seed is None:
            raise
        raise AuroraConfigError(f"aurora seed {_describe(settings.seed)} failed{_where(exc)}: "
                                f"{type(exc).__name__}: {exc}") from exc
    return cluster


def _describe(seed: Seed) -> str:
    return getattr(seed, "__qualname__", None) or repr(seed)


def _where(exc: BaseException) -> str:
    """" at file:line" of the deepest frame of the seed's own code (outside aurora_lite), if any."""
    import traceback

    package = str(Path(__file__).resolve().parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(package)]
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _fail(exc: AuroraConfigError) -> NoReturn:
    """Report a configuration mistake as one line, without the plugin's traceback or the chained errors."""
    __tracebackhide__ = True
    raise pytest.fail.Exception(str(exc), pytrace=False) from None


def _new_test_cluster(templates: Templates, settings: Settings, name: str = CLUSTER_NAME) -> Cluster:
    cluster = templates.get(settings).clone(name=name)
    try:
        for _ in range(settings.replicas):
            cluster.add_reader()
    except BaseException:
        cluster.close()
        raise
    return cluster


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def _aurora_templates() -> Iterator[Templates]:
    templates = Templates()
    yield templates
    templates.close()


@pytest.fixture(scope="session")
def aurora_seed() -> Seed | None:
    """Seed data for the template cluster: override to return a ``callable(connection)``.

    It runs once per session and template, after the schema files, on a writer
    connection; the plugin commits after it. A marker's ``seed=`` wins over it.
    """
    return None


@pytest.fixture
def aurora_settings(request: pytest.FixtureRequest, aurora_seed: Seed | None) -> Settings:
    """The resolved configuration of this test (marker over ini options over defaults)."""
    try:
        return settings_for(request, aurora_seed)
    except AuroraConfigError as exc:
        _fail(exc)


@pytest.fixture
def aurora_cluster(_aurora_templates: Templates, aurora_settings: Settings) -> Iterator[Cluster]:
    """A cluster of this test's own: a clone of the session's template plus the readers asked for."""
    try:
        cluster = _new_test_cluster(_aurora_templates, aurora_settings)
    except AuroraConfigError as exc:
        _fail(exc)
    yield cluster
    cluster.close()
    _join_restarts()


@pytest.fixture
def aurora_writer(aurora_cluster: Cluster) -> Iterator[Connection]:
    """A connection through the writer endpoint (autocommit off, as PEP 249 says); closed at teardown."""
    connection = aurora_cluster.connect("writer")
    yield connection
    _close_quietly(connection)


@pytest.fixture
def aurora_reader(aurora_cluster: Cluster) -> Iterator[Connection]:
    """A connection through the reader endpoint, in autocommit mode; closed at teardown.

    It always reaches a reader: with ``replicas`` 0 the fixture adds one to the
    test's cluster (Aurora's reader endpoint would otherwise reach the writer).
    Autocommit, so that each query sees what the reader has applied by then
    rather than the snapshot of a transaction left open by an earlier query.
    """
    if not aurora_cluster.readers:
        aurora_cluster.add_reader()
    connection = aurora_cluster.connect("reader", autocommit=True)
    yield connection
    _close_quietly(connection)


class ClusterFactory:
    """Makes clusters for one test; every one is closed at the test's teardown.

    ``factory()`` clones the template of the test's settings; keywords change
    them (``engine``, ``replicas``, ``schema``, ``seed``). Any other keyword of
    `aurora_lite.Cluster` (``path``, ``clock``, ``master_password``,
    ``commit_timeout_s``, ...) makes a new cluster instead of a clone, with the
    schema and seed loaded into it.
    """

    def __init__(self, templates: Templates, settings: Settings, rootpath: Path) -> None:
        self._templates = templates
        self._settings = settings
        self._rootpath = rootpath
        self._made: list[Cluster] = []

    def __call__(self, engine: str | None = None, *, replicas: int | None = None,
                 schema: str | Path | Sequence[str | Path] | None = ..., seed: Seed | None = ...,  # type: ignore[assignment]
                 name: str = CLUSTER_NAME, **cluster_kwargs: Any) -> Cluster:
        base = self._settings
        try:
            settings = Settings(
                _engine(engine, "aurora_cluster_factory") if engine is not None else base.engine,
                _replicas(replicas, "aurora_cluster_factory") if replicas is not None else base.replicas,
                _schema(schema, self._rootpath, "aurora_cluster_factory") if schema is not ... else base.schema,
                seed if seed is not ... else base.seed)
            if settings.seed is not None and not callable(settings.seed):
                raise AuroraConfigError(f"the seed must be a callable(connection) or None, not {settings.seed!r}")
            if cluster_kwargs:
                cluster = load_cluster(settings, name=name, **cluster_kwargs)
                try:
                    for _ in range(settings.replicas):
                        cluster.add_reader()
                except BaseException:
                    cluster.close()
                    raise
            else:
                cluster = _new_test_cluster(self._templates, settings, name)
        except AuroraConfigError as exc:
            _fail(exc)
        self._made.append(cluster)
        return cluster

    @property
    def clusters(self) -> list[Cluster]:
        """The clusters made so far, oldest first."""
        return list(self._made)

    def close(self) -> None:
        for cluster in reversed(self._made):
            cluster.close()
        self._made.clear()


@pytest.fixture
def aurora_cluster_factory(request: pytest.FixtureRequest, _aurora_templates: Templates,
                           aurora_settings: Settings) -> Iterator[ClusterFactory]:
    """``factory(engine=None, *, replicas=None, schema=..., seed=..., name=..., **cluster_kwargs) -> Cluster``."""
    factory = ClusterFactory(_aurora_templates, aurora_settings, request.config.rootpath)
    yield factory
    factory.close()
    _join_restarts()


def _join_restarts(timeout_s: float = 10.0) -> None:
    """Wait (bounded) for instances a test's crash or failover left restarting in the background.

    Cluster.close() does not wait for those threads; one still inside DuckDB when
    the interpreter exits (after the session's last test) aborts the process.
    """
    import threading
    import time

    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name.startswith("aurora-lite-restart-") and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


def _close_quietly(connection: Connection) -> None:
    """Close a connection whose instance may have failed, crashed or been closed by the test."""
    from .dbapi.exceptions import Error

    with contextlib.suppress(Error):
        connection.close()

