"""The client workload of a simulation: list-append keys and a bank, in SQL both dialects accept.

Keys are ``("la", table, k)`` (a list of unique integers, appended to with one
UPDATE ... CONCAT) and ``("bank", id)`` (an account balance). Transactions:

- append: 1-3 micro-operations, each a read or an append of a fresh element to
  one list key (at most one append per key per transaction);
- transfer: read two balances, write them back with an amount moved (computed
  from what was read, so a lost update changes the bank's total);
- audit: read every balance (the total is constant under snapshot isolation).

Every choice comes from the random.Random the simulator passes in.
"""
from __future__ import annotations

import random
from collections.abc import Hashable

import attrs

LIST_TABLES = 3
LIST_KEYS = 3
ACCOUNTS = 4
INITIAL_BALANCE = 100
TOTAL = ACCOUNTS * INITIAL_BALANCE

Key = Hashable


def list_keys() -> list[tuple]:
    """Every list key, in a fixed order."""
    return [("la", t, k) for t in range(LIST_TABLES) for k in range(LIST_KEYS)]


def bank_keys() -> list[tuple]:
    """Every account key, in a fixed order."""
    return [("bank", i) for i in range(ACCOUNTS)]


def initial_state() -> dict:
    """The state right after setup: empty lists, every account at INITIAL_BALANCE."""
    state: dict = {key: () for key in list_keys()}
    state.update({key: INITIAL_BALANCE for key in bank_keys()})
    return state


def setup_statements() -> list[str]:
    """DDL and initial rows (one transaction each table)."""
    out = []
    for t in range(LIST_TABLES):
        out.append(f"CREATE TABLE la{t} (k INT PRIMARY KEY, v VARCHAR(8000) NOT NULL)")
        out.append(f"INSERT INTO la{t} (k, v) VALUES " + ", ".join(f"({k}, '')" for k in range(LIST_KEYS)))
    out.append("CREATE TABLE bank (id INT PRIMARY KEY, bal INT NOT NULL)")
    out.append("INSERT INTO bank (id, bal) VALUES " + ", ".join(f"({i}, {INITIAL_BALANCE})" for i in range(ACCOUNTS)))
    return out


@attrs.define
class Op:
    """One planned micro-operation: read a key, append elem to a list, or move amount between accounts."""

    kind: str            # "r" | "a" | "w"
    key: tuple
    elem: int = 0        # appends
    delta: int = 0       # bank writes: amount added to what this transaction read


def plan(rng: random.Random, txn_id: int) -> tuple[str, list[Op]]:
    """A transaction: (kind, planned operations)."""
    roll = rng.random()
    if roll < 0.65:
        ops: list[Op] = []
        appended: set[tuple] = set()
        for i in range(rng.randint(1, 3)):
            key = ("la", rng.randrange(LIST_TABLES), rng.randrange(LIST_KEYS))
            if rng.random() < 0.55 and key not in appended:
                appended.add(key)
                ops.append(Op("a", key, elem=txn_id * 10 + i))
            else:
                ops.append(Op("r", key))
        return "append", ops
    if roll < 0.9:
        a, b = rng.sample(range(ACCOUNTS), 2)
        amount = rng.randint(1, 9)
        return "transfer", [Op("r", ("bank", a)), Op("r", ("bank", b)),
                            Op("w", ("bank", a), delta=-amount), Op("w", ("bank", b), delta=amount)]
    return "audit", [Op("r", key) for key in bank_keys()]


def sql_for(op: Op, read_value: object | None = None) -> tuple[str, tuple]:
    """The statement and parameters of one micro-operation (bank writes need the value read)."""
    if op.key[0] == "la":
        _, t, k = op.key
        if op.kind == "r":
            return f"SELECT v FROM la{t} WHERE k = %s", (k,)
        return f"UPDATE la{t} SET v = CONCAT(v, %s) WHERE k = %s", (f",{op.elem}", k)
    _, i = op.key
    if op.kind == "r":
        return "SELECT bal FROM bank WHERE id = %s", (i,)
    assert isinstance(read_value, int)
    return "UPDATE bank SET bal = %s WHERE id = %s", (read_value + op.delta, i)


def parse_list(text: str) -> tuple[int, ...]:
    """The elements of a list column value (",1,22,3" -> (1, 22, 3))."""
    return tuple(int(x) for x in text.split(",") if x)


def read_state(cursor) -> dict:
    """Every key's value through a cursor (inside whatever transaction the caller opened)."""
    state: dict = {}
    for t in range(LIST_TABLES):
        cursor.execute(f"SELECT k, v FROM la{t} ORDER BY k")
        for k, v in cursor.fetchall():
            state[("la", t, int(k))] = parse_list(v)
    cursor.execute("SELECT id, bal FROM bank ORDER BY id")
    for i, bal in cursor.fetchall():
        state[("bank", int(i))] = int(bal)
    return state
