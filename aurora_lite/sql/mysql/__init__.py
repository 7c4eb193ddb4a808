"""MySQL emulation for aurora-mysql: what Aurora MySQL 3 answers and DuckDB does not.

Importing this package registers, for the ``mysql`` dialect (see emulation.py):

=================  ==============================================================
module             registers
=================  ==============================================================
show.py            PRE_PARSE + HOOK: ``SHOW ...`` and ``DESCRIBE t``, answered from
                   DuckDB's catalog (catalog.py) with MySQL 8.0 names and formats
set_statement.py   PRE_PARSE: ``SET`` of system and user variables, ``SET NAMES``,
                   ``SET TRANSACTION``, ``SET autocommit`` (switches it for real)
schema.py          PRE_PARSE: ``CREATE TABLE`` / ``ALTER TABLE ... ADD COLUMN``,
                   recording MySQL column types DuckDB forgets; TRANSFORM part:
                   MySQL types DuckDB refuses
information_schema.py  TRANSFORM: information_schema views limited to this cluster
functions.py       TRANSFORM: ``@@variables``, ``@user_variables``,
                   ``LAST_INSERT_ID()``, ``NOW()``, ``DATE_FORMAT`` ... and MySQL
                   functions sqlglot's mysql -> duckdb translation lacks
variables.py       session functions: the session and instance values above
=================  ==============================================================

Plans are cached per SQL text and shared by sessions, so nothing here bakes a
session's value into SQL: such values come from session functions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import emulation, session_functions
from ..params import Placeholders
from ..plan import Plan
from .common import AURORA_VERSION, MYSQL_VERSION, planning
from .functions import transform
from .information_schema import transform as information_schema_transform
from .schema import alter_table_hook, create_table_hook
from .set_statement import set_statement_hook
from .show import show_hook, show_statement_hook
from .variables import FUNCTIONS

if TYPE_CHECKING:
    from ..frontend import FrontEnd

__all__ = ["AURORA_VERSION", "MYSQL_VERSION", "register"]


def _remember_text(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """First PRE_PARSE hook: keep the text so columns can be named as the SQL wrote them."""
    planning.text = text
    return None


def register() -> None:
    """Add the MySQL hooks to the front end's registries (idempotent)."""
    pre = emulation.PRE_PARSE["mysql"]
    for hook in (_remember_text, show_hook, set_statement_hook, create_table_hook, alter_table_hook):
        if hook not in pre:
            pre.append(hook)
    if show_statement_hook not in emulation.HOOKS["mysql"]:
        emulation.HOOKS["mysql"].append(show_statement_hook)
    for hook in (information_schema_transform, transform):
        if hook not in emulation.TRANSFORMS["mysql"]:
            emulation.TRANSFORMS["mysql"].append(hook)
    for function in FUNCTIONS:
        session_functions.register(function)


register()
