"""Micro figures of the SQL front end: a statement-cache hit and a miss (parse + translate).

Run: ``python -m pytest benchmarks/test_frontend_bench.py -q --benchmark-only``.
Target (issue 3): a cache hit costs at most 10 µs.
"""
from __future__ import annotations

import itertools

import pytest

from aurora_lite.sql.frontend import FrontEnd

QUERIES = {
    "postgres": "SELECT name, amount FROM kv WHERE id = %s",
    "mysql": "SELECT `name`, `amount` FROM `kv` WHERE `id` = %s",
}


@pytest.mark.parametrize("dialect", sorted(QUERIES))
def test_statement_cache_hit(benchmark, dialect):
    """One plan lookup for a SQL text already planned."""
    front = FrontEnd(dialect, "aurora")
    sql = QUERIES[dialect]
    first = front.plans(sql, True)
    plans = benchmark(front.plans, sql, True)
    assert plans is first and front.parses == 1  # every call above was a hit


@pytest.mark.parametrize("dialect", sorted(QUERIES))
def test_statement_cache_miss(benchmark, dialect):
    """Parse and translate a SQL text never seen before (what the cache saves)."""
    front = FrontEnd(dialect, "aurora")
    counter = itertools.count()

    def plan_new_text():
        return front.plans(QUERIES[dialect] + f" AND {next(counter)} = {0}", True)

    benchmark(plan_new_text)
    assert front.parses == len(front._cache)  # each call parsed a new text
