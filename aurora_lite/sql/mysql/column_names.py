"""Result column names as MySQL gives them: an unaliased select item is named by its text as written.

MySQL names ``SELECT COUNT(*), v * 2, CASE ... END`` columns ``COUNT(*)``,
``v * 2`` and the CASE text exactly as the client wrote them, and a string
literal by its value; DuckDB would say ``count_star()``, ``(v * 2)``. Clients
read these names (PyMySQL's DictCursor: ``row["COUNT(*)"]``), so the
outermost select list of a statement gets aliases from the original text,
found by tokenizing it. Items with parameter markers keep DuckDB's names:
PyMySQL interpolates values on the client, so MySQL's name holds the value,
which a plan shared by every execution cannot know.
"""
from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

_MYSQL = Dialect.get_or_raise("mysql")
# Tokens that end a select list at nesting depth 0.
_LIST_END = {TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.HAVING, TokenType.ORDER_BY,
             TokenType.LIMIT, TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT, TokenType.INTO,
             TokenType.WINDOW, TokenType.FOR, TokenType.SEMICOLON, TokenType.LOCK}
_MODIFIERS = {"DISTINCT", "DISTINCTROW", "ALL", "HIGH_PRIORITY", "STRAIGHT_JOIN", "SQL_SMALL_RESULT",
              "SQL_BIG_RESULT", "SQL_BUFFER_RESULT", "SQL_NO_CACHE", "SQL_CALC_FOUND_ROWS"}


def written_select_items(text: str) -> list[str] | None:
    """The text of each item of the outermost select list, as written; None if there is none."""
    try:
        tokens = _MYSQL.tokenize(text)
    except Exception:  # noqa: BLE001 - the parser reports bad SQL; naming just gives up
        return None
    depth, start = 0, None
    for index, token in enumerate(tokens):
        if token.token_type in (TokenType.L_PAREN, TokenType.R_PAREN):
            depth += 1 if token.token_type == TokenType.L_PAREN else -1
        elif depth == 0 and token.token_type == TokenType.SELECT:
            start = index + 1
            break
    if start is None:
        return None
    while start < len(tokens) and tokens[start].text.upper() in _MODIFIERS:
        start += 1
    items: list[str] = []
    first = last = None
    depth = 0
    for token in tokens[start:]:
        kind = token.token_type
        if depth == 0 and (kind in _LIST_END or kind == TokenType.COMMA):
            if first is None:
                return None
            items.append(text[first.start:last.end + 1])
            first = None
            if kind != TokenType.COMMA:
                return items
            continue
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
        first = first or token
        last = token
    if first is not None:
        items.append(text[first.start:last.end + 1])
    return items


def name_as_written(statement: exp.Expression, text: str | None) -> exp.Expression:
    """Alias the outermost select list's computed items with MySQL's names for them."""
    select = statement
    while isinstance(select, exp.SetOperation):
        select = select.this  # a UNION's columns are named by its first SELECT
    if not text or not isinstance(select, exp.Select):
        return statement
    if not any(_needs_name(p) for p in select.expressions):
        return statement
    written = written_select_items(text)
    if written is None or len(written) != len(select.expressions):
        return statement
    projections = []
    for projection, item in zip(select.expressions, written):
        if _needs_name(projection):
            name = projection.name if isinstance(projection, exp.Literal) and projection.is_string else item
            projection = exp.alias_(projection, name, quoted=True)
        projections.append(projection)
    select.set("expressions", projections)
    return statement


def _needs_name(projection: exp.Expression) -> bool:
    if isinstance(projection, (exp.Alias, exp.Column, exp.Star, exp.SessionParameter, exp.Parameter)):
        return False
    return projection.find(exp.Placeholder) is None
