"""The SQL front end: parse once per (dialect, text), classify, translate to DuckDB.

Plans are cached by (SQL text, whether parameters were passed): a cache hit
is one dict lookup, so sqlglot stays off the hot path. Dialect emulation
(SHOW, @@variables, Aurora's functions) plugs in through `emulation.py`.
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict

import attrs
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..dbapi.exceptions import Error, NotSupportedError, mysql_error, postgres_error
from . import aurora as _aurora  # noqa: F401  (registers Aurora's functions and views)
from . import postgres as _postgres  # noqa: F401  (registers PostgreSQL emulation)
from . import mysql as _mysql  # noqa: F401  (registers MySQL emulation)
from . import ddl, emulation, session_functions
from . import named_locks as _named_locks  # noqa: F401  (registers the lock functions of both dialects)
from .mysql.schema import executable_comments, rename_table_as_alter
from .params import Placeholders, convert
from .plan import Kind, Plan, TableName

# sqlglot logs a warning for every table option DuckDB lacks (ENGINE=InnoDB...).
logging.getLogger("sqlglot").setLevel(logging.ERROR)

DIALECTS = ("postgres", "mysql")
BULK_BATCH = "__aurora_bulk"
CACHE_SIZE = 4096

_TXN = re.compile(
    r"""^\s*(?:
        (?P<begin>BEGIN(?:\s+(?:WORK|TRANSACTION))?(?:\s+ISOLATION\s+LEVEL\s+[A-Z ]+?)?|START\s+TRANSACTION(?:\s+[A-Z ,]+?)?)
      | (?P<commit>COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?
      | (?P<rollback_to>ROLLBACK(?:\s+(?:WORK|TRANSACTION))?\s+TO\s+(?:SAVEPOINT\s+)?(?P<rb_name>[`"]?\w+[`"]?))
      | (?P<rollback>ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?
      | (?P<savepoint>SAVEPOINT\s+(?P<sp_name>[`"]?\w+[`"]?))
      | (?P<release>RELEASE(?:\s+SAVEPOINT)?\s+(?P<rel_name>[`"]?\w+[`"]?))
    )\s*;?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_REPLACE = re.compile(r"^\s*REPLACE\b", re.I)
_COMMENT = re.compile(r"/\*|--\s|#")
_WRITE_VERBS = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE)\b", re.I)


class FrontEnd:
    """Plans for one dialect; thread-safe (a racing miss parses twice, harmlessly)."""

    def __init__(self, dialect: str, database: str) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
        self.dialect = dialect
        self.database = database
        self._cache: OrderedDict[tuple[str, bool], tuple[Plan, ...]] = OrderedDict()
        self.parses = 0

    def plans(self, sql: str, has_params: bool) -> tuple[Plan, ...]:
        """The plans for a SQL text (one per statement), from the cache when possible."""
        key = (sql, has_params)
        found = self._cache.get(key)
        if found is not None:
            return found
        plans = self._plan(sql, has_params)
        self._cache[key] = plans
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return plans

    def error(self, sqlstate: str, errno: int, message: str) -> Error:
        """The dialect's flavour of an error."""
        if self.dialect == "postgres":
            return postgres_error(sqlstate, message)
        return mysql_error(errno, message)

    # ------------------------------------------------------------ planning
    def _plan(self, sql: str, has_params: bool) -> tuple[Plan, ...]:
        self.parses += 1
        placeholders = convert(sql) if has_params else Placeholders(sql, None, 0)
        if self.dialect == "mysql" and "/*!" in placeholders.sql:
            placeholders = attrs.evolve(placeholders, sql=executable_comments(placeholders.sql))
        text = placeholders.sql
        txn = _TXN.match(text)
        if txn:
            return (self._txn_plan(txn, placeholders),)
        emulated = emulation.match(self, text, placeholders)
        if emulated is not None:
            return (emulated,)
        replace = self.dialect == "mysql" and _REPLACE.match(text)
        renamed = rename_table_as_alter(text) if self.dialect == "mysql" else None
        try:
            source = renamed or (_REPLACE.sub("INSERT", text, count=1) if replace else text)
            statements = [s for s in sqlglot.parse(source, read=self.dialect) if s is not None]
        except (ParseError, TokenError) as exc:
            raise self._syntax_error(text, exc) from None
        if replace and isinstance(statements[0], exp.Insert):
            statements[0].set("alternative", "REPLACE")  # DuckDB: INSERT OR REPLACE
        if not statements:
            if self.dialect == "mysql" and _COMMENT.search(sql):
                # MySQL answers a text of comments only (say /*!90000 ... */ on an older server) with OK.
                return (Plan(Kind.SESSION, "", placeholders, verb="SELECT"),)
            raise self.error("42601", 1065, "Query was empty" if self.dialect == "mysql" else "empty query")
        if len(statements) == 1:
            return (self._statement_plan(statements[0], placeholders),)
        # Several statements in one text: split the ? markers between them.
        plans, offset = [], 0
        for statement in statements:
            count = len(list(statement.find_all(exp.Placeholder)))
            names = placeholders.names[offset:offset + count] if placeholders.names is not None else None
            part = Placeholders(statement.sql(dialect=self.dialect), names, count)
            plans.append(self._statement_plan(statement, part))
            offset += count
        return tuple(plans)

    def _syntax_error(self, text: str, exc: Exception) -> Error:
        detail = str(exc).split("\n", 1)[0]
        if self.dialect == "postgres":
            return postgres_error("42601", f"syntax error: {detail}")
        near = text.strip()[:80]
        return mysql_error(
            1064,
            "You have an error in your SQL syntax; check the manual that corresponds to your MySQL "
            f"server version for the right syntax to use near '{near}' at line 1",
        )

    def _txn_plan(self, match: re.Match[str], placeholders: Placeholders) -> Plan:
        def name(group: str) -> str:
            return match.group(group).strip('`"').lower()

        if match.group("begin"):
            return Plan(Kind.BEGIN, "BEGIN", placeholders, verb="BEGIN")
        if match.group("commit"):
            return Plan(Kind.COMMIT, "COMMIT", placeholders, verb="COMMIT")
        if match.group("rollback_to"):
            return Plan(Kind.ROLLBACK_TO, "", placeholders, verb="ROLLBACK TO SAVEPOINT", name=name("rb_name"))
        if match.group("rollback"):
            return Plan(Kind.ROLLBACK, "ROLLBACK", placeholders, verb="ROLLBACK")
        if match.group("savepoint"):
            return Plan(Kind.SAVEPOINT, "", placeholders, verb="SAVEPOINT", name=name("sp_name"))
        return Plan(Kind.RELEASE, "", placeholders, verb="RELEASE SAVEPOINT", name=name("rel_name"))

    def _statement_plan(self, statement: exp.Expression, placeholders: Placeholders) -> Plan:
        statement = self._normalise_tables(statement)
        if self.dialect == "postgres":  # (the MySQL emulation names columns as written itself)
            _name_columns(statement)
        statement = emulation.transform(self, statement)
        statement, functions = session_functions.rewrite(statement)
        relations = session_functions.relations_used_by(statement)
        plan = self._classified(statement, placeholders)
        if functions or relations:
            plan = attrs.evolve(plan, functions=functions, relations=relations)
        return plan

    def _classified(self, statement: exp.Expression, placeholders: Placeholders) -> Plan:
        if isinstance(statement, exp.Insert):
            return self._insert_plan(statement, placeholders)
        if isinstance(statement, exp.Update):
            return self._update_plan(_limit_by_rowid(statement), placeholders)
        if isinstance(statement, exp.Delete):
            return self._dml_plan(Kind.DELETE, "DELETE", _limit_by_rowid(statement), placeholders)
        if isinstance(statement, exp.TruncateTable):
            tables = statement.expressions
            if len(tables) != 1:
                raise NotSupportedError("TRUNCATE of several tables at once is not supported; truncate each")
            table = table_name(tables[0])
            return Plan(Kind.TRUNCATE, f"DELETE FROM {table.sql()}", placeholders, verb="TRUNCATE", table=table)
        if isinstance(statement, (exp.Create, exp.Drop, exp.Alter)):
            return ddl.plan(self, statement, placeholders)
        if isinstance(statement, (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)):
            sequences = any(f.name.lower() in ("nextval", "setval") for f in statement.find_all(exp.Anonymous))
            locks = bool(statement.args.get("locks"))
            return Plan(Kind.QUERY, self._duckdb(statement), placeholders,
                        verb="SELECT FOR UPDATE" if locks else ("nextval()" if sequences else "SELECT"),
                        sequence_writes=sequences, locks=locks and self.dialect == "postgres")
        if isinstance(statement, exp.Merge):
            # Its row changes could not be captured: refusing beats losing them at failover.
            raise NotSupportedError("MERGE is not supported by aurora_lite; use INSERT ... ON CONFLICT")
        if isinstance(statement, exp.Comment):
            return Plan(Kind.DDL, self._duckdb(statement), placeholders, verb="COMMENT")
        if isinstance(statement, (exp.Set, exp.Use)):
            return emulation.session_plan(self, statement, placeholders)
        if isinstance(statement, exp.Command) and _WRITE_VERBS.match(statement.sql()):
            raise NotSupportedError(f"statement not supported by aurora_lite: {statement.sql()[:80]}")
        plan = emulation.statement_plan(self, statement, placeholders)
        if plan is not None:
            return plan
        if isinstance(statement, (exp.Command, exp.Show, exp.Describe)):
            raise self.error("0A000", 1235, f"statement not supported by aurora_lite: {statement.sql()[:80]}")
        return Plan(Kind.QUERY, self._duckdb(statement), placeholders, verb=type(statement).__name__.upper())

    def _duckdb(self, statement: exp.Expression) -> str:
        return statement.sql(dialect="duckdb")

    def _normalise_tables(self, statement: exp.Expression) -> exp.Expression:
        # PostgreSQL's default schema is DuckDB's "main"; MySQL's current database is the cluster's.
        strip = {"public"} if self.dialect == "postgres" else {self.database.lower()}
        for table in statement.find_all(exp.Table):
            db = table.args.get("db")
            if db is not None and db.name.lower() in strip and not table.args.get("catalog"):
                table.set("db", None)
        return statement

    # ------------------------------------------------------------ DML
    def _insert_plan(self, statement: exp.Insert, placeholders: Placeholders) -> Plan:
        if statement.args.get("ignore"):
            # MySQL INSERT IGNORE: rows that collide with a unique key are skipped (DuckDB's spelling).
            statement.set("ignore", None)
            statement.set("alternative", "IGNORE")
        conflict = statement.args.get("conflict")
        if conflict is not None and conflict.args.get("duplicate"):
            # MySQL ON DUPLICATE KEY UPDATE a = VALUES(a) -> ON CONFLICT DO UPDATE SET a = EXCLUDED.a
            assignments = [a.transform(_values_to_excluded) for a in conflict.expressions]
            statement.set("conflict", exp.OnConflict(action=exp.var("DO UPDATE"), expressions=assignments))
        verb = "REPLACE" if statement.args.get("alternative") == "REPLACE" else "INSERT"
        bulk = None
        values = statement.expression
        if isinstance(values, exp.Values) and len(values.expressions) == 1 and all(
            isinstance(v, exp.Placeholder) for v in values.expressions[0].expressions
        ):
            # executemany sends all parameter rows as one Arrow batch through this twin.
            twin = statement.copy()
            twin.set("expression", exp.select("*").from_(BULK_BATCH))
            bulk = self._dml_plan(Kind.INSERT, verb, twin, placeholders).sql
        plan = self._dml_plan(Kind.INSERT, verb, statement, placeholders)
        conflict = statement.args.get("conflict")
        # Rows it returns are new keys: a replica may apply them with a plain INSERT.
        inserts_only = verb == "INSERT" and (conflict is None or conflict.args.get("action") is not None
                                             and conflict.args["action"].name.upper() == "DO NOTHING")
        return attrs.evolve(plan, bulk_sql=bulk, inserts_only=inserts_only)

    def _update_plan(self, statement: exp.Update, placeholders: Placeholders) -> Plan:
        target = statement.this
        set_columns = frozenset(
            a.this.name.lower() for a in statement.expressions if isinstance(a, exp.EQ) and isinstance(a.this, exp.Column)
        )
        alias = target.alias_or_name
        pre = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias))).from_(target.copy())
        if statement.args.get("from_"):
            for source in statement.args["from_"].find_all(exp.Table):
                pre = pre.join(source.copy(), join_type="CROSS")
        if statement.args.get("where"):
            pre = pre.where(statement.args["where"].this.copy())
        for clause in ("order", "limit"):
            if statement.args.get(clause) is not None:
                pre.set(clause, statement.args[clause].copy())
        # The SELECT reuses the UPDATE's parameters after those of its SET list.
        skip = sum(1 for a in statement.expressions for _ in a.find_all(exp.Placeholder))
        plan = self._dml_plan(Kind.UPDATE, "UPDATE", statement, placeholders)
        return attrs.evolve(plan, set_columns=set_columns, pre_image_sql=pre.sql(dialect="duckdb"),
                            pre_image_params=skip)

    def _dml_plan(self, kind: Kind, verb: str, statement: exp.Expression, placeholders: Placeholders) -> Plan:
        target = statement.this
        if isinstance(target, exp.Schema):
            target = target.this
        table = table_name(target)
        returning = statement.args.get("returning")
        user = list(returning.expressions) if returning is not None else []
        star = exp.Column(this=exp.Star(), table=exp.to_identifier(target.alias_or_name)) \
            if kind is not Kind.INSERT else exp.Star()
        statement.set("returning", exp.Returning(expressions=[*user, star]))
        return Plan(kind, self._duckdb(statement), placeholders, verb=verb, table=table,
                    user_columns=len(user) if returning is not None else -1)


def _limit_by_rowid(statement: exp.Update | exp.Delete) -> exp.Update | exp.Delete:
    """MySQL UPDATE / DELETE ... [ORDER BY ...] LIMIT n, which DuckDB lacks, as WHERE rowid IN (the n rows)."""
    order, limit = statement.args.get("order"), statement.args.get("limit")
    target = statement.this
    if order is None and limit is None or not isinstance(target, exp.Table):
        return statement
    chosen = exp.select(exp.column("rowid")).from_(target.copy())
    if statement.args.get("where") is not None:
        chosen = chosen.where(statement.args["where"].this.copy())
    for clause, value in (("order", order), ("limit", limit)):
        if value is not None:
            chosen.set(clause, value.copy())
            statement.set(clause, None)
    statement.set("where", exp.Where(this=exp.In(this=exp.column("rowid"), query=exp.Subquery(this=chosen))))
    return statement


def table_name(table: exp.Expression) -> TableName:
    """The DuckDB schema and name of a table reference (names are case-insensitive)."""
    if not isinstance(table, exp.Table):
        raise NotSupportedError(f"expected a table, found {table.sql()[:60]}")
    return TableName((table.db or "main").lower(), table.name.lower())


def _values_to_excluded(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.upper() == "VALUES" and len(node.expressions) == 1:
        column = node.expressions[0]
        return exp.column(column.name, table="EXCLUDED")
    if isinstance(node, exp.Values) and len(node.expressions) == 1:
        return exp.column(node.expressions[0].name, table="EXCLUDED")
    return node


def _name_columns(statement: exp.Expression) -> None:
    """Alias unnamed result columns the way PostgreSQL names them (DuckDB says "count_star()")."""
    select = statement
    while isinstance(select, exp.SetOperation):
        select = select.this  # a UNION takes its column names from its first SELECT
    if not isinstance(select, exp.Select):
        return
    projections = []
    changed = False
    for projection in select.expressions:
        name = _postgres_name(projection)
        if name is not None:
            projection = exp.alias_(projection, name, quoted=True)
            changed = True
        projections.append(projection)
    if changed:
        select.set("expressions", projections)


_NO_PARENS = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.CurrentUser)


def _postgres_name(node: exp.Expression) -> str | None:
    """The name PostgreSQL gives an unaliased select item (None: DuckDB's already matches)."""
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        node = node.expression  # pg_catalog.f(): named f
    if isinstance(node, exp.Window):
        node = node.this  # count(*) OVER (...): named count
    if isinstance(node, exp.CurrentUser):
        return "current_user"  # becomes a session function call, which DuckDB would name after
    if isinstance(node, (exp.Alias, exp.Column, exp.Star, exp.Cast, *_NO_PARENS)) \
            or node.find(exp.Star) is not None and not isinstance(node, exp.Count):
        return None  # (a cast is named after its type, int4, text ...: DuckDB's name is kept)
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        names = node.sql_names()
        return (names[0] if names else type(node).__name__).lower()
    return "?column?"
