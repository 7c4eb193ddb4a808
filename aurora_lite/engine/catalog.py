"""What the engine knows about tables beyond DuckDB's catalog: ids, pages, keys, sequences.

Each table gets an id that is never reused and one page on the volume
(CATALOG_PAGES + id) that holds its row records. Catalog changes travel as
DDL records on page 0, sequence states as SEQUENCE records on page 0; the
same `apply_ddl` runs when a writer executes DDL and when an instance is
rebuilt from the volume, so both reach the same catalog.
"""
from __future__ import annotations

import json
from typing import Any

import attrs

from ..sql.plan import TableName

CATALOG_PAGE = 0
CATALOG_PAGES = 1  # pages below this hold catalog records, not rows


@attrs.frozen
class TableInfo:
    """A user table: where its rows live on the volume and how a row is identified."""

    table_id: int
    name: TableName
    key: tuple[str, ...]                          # primary key columns; () = keyless (multiset)
    sequences: tuple[tuple[str, str], ...] = ()   # (column, sequence) fed by nextval

    @property
    def page(self) -> int:
        """The volume page holding this table's row records."""
        return CATALOG_PAGES + self.table_id

    @property
    def auto_increment(self) -> str | None:
        """The column an auto-increment sequence feeds (MySQL lastrowid), if any."""
        return self.sequences[0][0] if self.sequences else None


@attrs.frozen
class DdlChange:
    """One logged catalog change: DuckDB statements to run and their effect on TableInfo."""

    statements: tuple[str, ...]
    effect: tuple[Any, ...] | None  # ("create", TableInfo) | ("drop", names) | ("rename", old, new)
    #                                 | ("key", name, key, sequences): after an ALTER TABLE

    def encode(self) -> bytes:
        """DDL record payload."""
        return json.dumps({"sql": list(self.statements), "effect": _encode_effect(self.effect)}).encode()

    @classmethod
    def decode(cls, payload: bytes) -> DdlChange:
        """The change a DDL record payload describes."""
        raw = json.loads(payload)
        return cls(tuple(raw["sql"]), _decode_effect(raw["effect"]))


def encode_sequence(name: str, value: int, *, reset: bool = False) -> bytes:
    """SEQUENCE record payload: the highest value of a sequence that committed work used.

    reset: the sequence was set back to value (MySQL TRUNCATE TABLE restarts AUTO_INCREMENT);
    otherwise a lower value than one already seen changes nothing (commits reach the log in
    commit order, not in the order their transactions drew values).
    """
    raw: dict[str, Any] = {"sequence": name, "value": value}
    if reset:
        raw["reset"] = True
    return json.dumps(raw).encode()


def decode_sequence(payload: bytes) -> tuple[str, int, bool]:
    """(sequence, value, reset) of a SEQUENCE record payload."""
    raw = json.loads(payload)
    return raw["sequence"], int(raw["value"]), bool(raw.get("reset", False))


class Catalog:
    """Tables by name. Not thread-safe: the owning instance guards it with its commit lock."""

    def __init__(self) -> None:
        self.tables: dict[TableName, TableInfo] = {}
        self.next_table_id = 1
        self.sequences: dict[str, int] = {}

    def get(self, name: TableName) -> TableInfo | None:
        """The table called name, if any."""
        return self.tables.get(name)

    def allocate_id(self) -> int:
        """A table id never handed out before in this catalog."""
        table_id = self.next_table_id
        self.next_table_id += 1
        return table_id

    def apply(self, change: DdlChange) -> None:
        """Apply a logged change's effect."""
        effect = change.effect
        if effect is None:
            return
        verb = effect[0]
        if verb == "create":
            info: TableInfo = effect[1]
            self.tables[info.name] = info
            self.next_table_id = max(self.next_table_id, info.table_id + 1)
        elif verb == "drop":
            for name in effect[1]:
                self.tables.pop(name, None)
        elif verb == "rename":
            old, new = effect[1], effect[2]
            info = self.tables.pop(old, None)
            if info is not None:
                self.tables[new] = attrs.evolve(info, name=new)
        elif verb == "key":
            name = effect[1]
            if name in self.tables:
                self.tables[name] = altered(self.tables[name], effect)

    def note_sequence(self, name: str, value: int, reset: bool = False) -> None:
        """Remember the highest committed value of a sequence (or, reset, the value it was set back to)."""
        if reset or value > self.sequences.get(name, 0):
            self.sequences[name] = value


def altered(info: TableInfo, effect: tuple[Any, ...]) -> TableInfo:
    """info after an ALTER TABLE effect ("key", name, key[, sequences]): its key and the sequences feeding it."""
    info = attrs.evolve(info, key=tuple(effect[2]))
    if len(effect) > 3:  # effects logged before sequences were recorded have three parts
        info = attrs.evolve(info, sequences=tuple(tuple(s) for s in effect[3]))
    return info


def _encode_effect(effect: tuple[Any, ...] | None) -> Any:
    if effect is None:
        return None
    verb = effect[0]
    if verb == "create":
        info: TableInfo = effect[1]
        return ["create", info.table_id, info.name.schema, info.name.name, list(info.key),
                [list(s) for s in info.sequences]]
    if verb == "drop":
        return ["drop", [[n.schema, n.name] for n in effect[1]]]
    if verb == "rename":
        return ["rename", [effect[1].schema, effect[1].name], [effect[2].schema, effect[2].name]]
    return ["key", [effect[1].schema, effect[1].name], list(effect[2]), *([[list(s) for s in effect[3]]]
                                                                          if len(effect) > 3 else [])]


def _decode_effect(raw: Any) -> tuple[Any, ...] | None:
    if raw is None:
        return None
    verb = raw[0]
    if verb == "create":
        _, table_id, schema, name, key, sequences = raw
        return ("create", TableInfo(table_id, TableName(schema, name), tuple(key),
                                    tuple((c, s) for c, s in sequences)))
    if verb == "drop":
        return ("drop", tuple(TableName(s, n) for s, n in raw[1]))
    if verb == "rename":
        return ("rename", TableName(*raw[1]), TableName(*raw[2]))
    if len(raw) > 3:
        return ("key", TableName(*raw[1]), tuple(raw[2]), tuple((c, s) for c, s in raw[3]))
    return ("key", TableName(*raw[1]), tuple(raw[2]))
