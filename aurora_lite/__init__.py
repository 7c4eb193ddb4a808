"""aurora_lite: an Amazon Aurora cluster inside one Python process."""
from __future__ import annotations

__version__ = "0.1.0"
