"""Deliberate bugs that the simulator must catch ("test the tester").

Each bug is a module-level flag next to the code it breaks (named
``DELIBERATE_BUG_*``; never set outside these tests). `deliberate_bug(name)`
sets one for the duration of a block.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

BUGS: dict[str, tuple[str, str, object, str]] = {
    "quorum3": ("aurora_lite.storage.volume", "DELIBERATE_BUG_WRITE_QUORUM", 3,
                "acknowledge writes at 3/6 instead of 4/6"),
    "reader_above_vdl": ("aurora_lite.engine.replica", "DELIBERATE_BUG_APPLY_ABOVE_VDL", True,
                         "replicas apply records above VDL"),
    "truncate_at_vcl": ("aurora_lite.storage.recovery", "DELIBERATE_BUG_TRUNCATE_AT_VCL", True,
                        "recovery truncates at VCL instead of VDL"),
    "trust_tail": ("aurora_lite.storage.segment", "DELIBERATE_BUG_TRUST_TAIL_WITHOUT_CRC", True,
                   "a segment file's last frame is trusted without its checksum"),
}


@contextmanager
def deliberate_bug(name: str | None) -> Iterator[None]:
    """Switch on one deliberate bug (None: none) while the block runs."""
    if name is None:
        yield
        return
    if name not in BUGS:
        raise ValueError(f"unknown deliberate bug {name!r}; known: {', '.join(BUGS)}")
    module_name, attribute, value, _ = BUGS[name]
    module = importlib.import_module(module_name)
    old = getattr(module, attribute)
    setattr(module, attribute, value)
    try:
        yield
    finally:
        setattr(module, attribute, old)
