"""Row payloads: Arrow IPC batches of row images, and applying them to a page.

A ROW_UPSERT payload holds full row images; a ROW_DELETE payload the key
columns (full images for keyless tables). The schema metadata key
``aurora.key`` names the key columns (comma-separated); empty means the table
has no key and rows are a multiset identified by their full image.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .records import RecordKind

KEY_METADATA = b"aurora.key"
_POS = "__aurora_pos"
_OP = "__aurora_op"


_STREAM_END = b"\xff\xff\xff\xff\x00\x00\x00\x00"
_SCHEMA_MESSAGES: dict[tuple[pa.Schema, tuple[str, ...]], bytes] = {}


def encode_rows(rows: pa.RecordBatch | pa.Table, key: Sequence[str]) -> bytes:
    """Payload for a batch of rows (or keys) of a table with the given key columns."""
    cache_key = (rows.schema, tuple(key))
    head = _SCHEMA_MESSAGES.get(cache_key)
    if head is None:
        schema = rows.schema.with_metadata({**(rows.schema.metadata or {}), KEY_METADATA: ",".join(key).encode()})
        if any(pa.types.is_dictionary(field.type) for field in schema):
            return _encode_with_writer(rows, schema)  # dictionaries need their own IPC messages
        head = schema.serialize().to_pybytes()
        if len(_SCHEMA_MESSAGES) > 4096:
            _SCHEMA_MESSAGES.clear()
        _SCHEMA_MESSAGES[cache_key] = head
    # An IPC stream is its schema message, its batch messages and an end marker; writing
    # it by hand with the schema message cached costs a fraction of an IPC writer per row.
    batches = rows.to_batches() if isinstance(rows, pa.Table) else [rows]
    return b"".join([head, *(batch.serialize().to_pybytes() for batch in batches), _STREAM_END])


def _encode_with_writer(rows: pa.RecordBatch | pa.Table, schema: pa.Schema) -> bytes:
    rows = rows.replace_schema_metadata(schema.metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        if isinstance(rows, pa.Table):
            writer.write_table(rows)
        else:
            writer.write_batch(rows)
    return sink.getvalue().to_pybytes()


def decode_rows(payload: bytes) -> pa.Table:
    """The rows of a payload."""
    return pa.ipc.open_stream(payload).read_all()


def key_of(schema: pa.Schema) -> list[str]:
    """Key columns named in a payload's schema ([] for keyless tables)."""
    raw = (schema.metadata or {}).get(KEY_METADATA, b"")
    return [name for name in raw.decode().split(",") if name]


def apply_page(image: pa.Table | None, records: Iterable[tuple[int, bytes]]) -> pa.Table | None:
    """Rows of a page: image (may be None) with (kind, payload) records applied in LSN order."""
    parts: list[tuple[pa.Table, int]] = []  # (rows, op): op 1 = upsert, 0 = delete
    if image is not None and image.num_rows:
        parts.append((image, 1))
    truncated = False
    for kind, payload in records:
        if kind == RecordKind.TRUNCATE:
            parts.clear()
            truncated = True
        elif kind == RecordKind.ROW_UPSERT or kind == RecordKind.ROW_INSERT:
            parts.append((decode_rows(payload), 1))
        elif kind == RecordKind.ROW_DELETE:
            parts.append((decode_rows(payload), 0))
    if not parts:
        return image.slice(0, 0) if image is not None and not truncated else None
    if len(parts) == 1 and parts[0][1] == 1 and parts[0][0] is image:
        return image
    key = key_of(parts[-1][0].schema)
    if key:
        return _apply_keyed(parts, key)
    return _apply_multiset(parts)


def _with_order(parts: list[tuple[pa.Table, int]]) -> pa.Table:
    tables = []
    for rows, op in parts:
        rows = rows.replace_schema_metadata(None)
        tables.append(rows.append_column(_OP, pc.fill_null(pa.nulls(rows.num_rows, pa.int8()), op)))
    combined = pa.concat_tables(tables, promote_options="permissive")
    return combined.append_column(_POS, pa.arange(0, combined.num_rows))


def _apply_keyed(parts: list[tuple[pa.Table, int]], key: list[str]) -> pa.Table:
    upserts = [rows for rows, op in parts if op == 1]
    columns = upserts[-1].schema if upserts else parts[-1][0].schema
    combined = _with_order(parts)
    last = combined.group_by(key, use_threads=False).aggregate([(_POS, "max")])
    latest = combined.filter(pc.is_in(combined[_POS], value_set=last[f"{_POS}_max"]))
    live = latest.filter(pc.equal(latest[_OP], 1)).sort_by(_POS)
    return _project(live, columns)


def _apply_multiset(parts: list[tuple[pa.Table, int]]) -> pa.Table:
    columns = next((rows.schema for rows, op in reversed(parts) if op == 1), parts[-1][0].schema)
    combined = _with_order(parts)
    names = [n for n in combined.column_names if n not in (_POS, _OP)]
    signed = combined.append_column("__aurora_n", pc.subtract(pc.multiply(combined[_OP].cast(pa.int64()), 2), 1))
    counts = signed.group_by(names, use_threads=False).aggregate([("__aurora_n", "sum"), (_POS, "min")])
    counts = counts.filter(pc.greater(counts["__aurora_n_sum"], 0)).sort_by(f"{_POS}_min")
    repeats = counts["__aurora_n_sum"].to_pylist()
    if any(n > 1 for n in repeats):
        # Duplicate rows in a keyless table are rare; expanding them in Python is fine.
        indices = [i for i, n in enumerate(repeats) for _ in range(n)]
        counts = counts.take(pa.array(indices, pa.int64()))
    return _project(counts, columns)


def _project(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    out = rows.select([name for name in schema.names])
    return out.cast(schema.remove_metadata()).replace_schema_metadata(schema.metadata)
