"""What one statement returns to the client: `Result`, shared by the session and its parts."""
from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Result:
    """What one statement returns to the client."""

    description: tuple[tuple[Any, ...], ...] | None
    rows: list[tuple[Any, ...]]
    rowcount: int
    lastrowid: int | None = None
