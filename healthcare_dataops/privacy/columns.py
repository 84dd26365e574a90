"""Accept a column or its name, as pyspark's own functions do."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

ColumnOrName = Column | str


def as_column(column: ColumnOrName) -> Column:
    return F.col(column) if isinstance(column, str) else column
