"""Row factories under psycopg's names: ``from aurora_lite.rows import dict_row`` (defined in dbapi/rows.py)."""
from .dbapi.rows import RowFactory, RowMaker, class_row, dict_row, namedtuple_row, tuple_row

__all__ = ["RowFactory", "RowMaker", "class_row", "dict_row", "namedtuple_row", "tuple_row"]
