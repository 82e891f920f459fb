"""Errors shared by the interchange parsers (Aiken, CSV)."""
from __future__ import annotations


class InterchangeError(ValueError):
    """A file that cannot be imported; nothing of it is imported.

    Attributes:
        source: the file name (or a label such as ``<csv>``).
        line: the 1-based line (Aiken) or row (CSV, header = row 1), or None.
        reason: a readable sentence.
        column: the CSV column concerned, or None.
    """

    def __init__(self, source: str, line: int | None, reason: str, column: str | None = None):
        self.source = source
        self.line = line
        self.reason = reason
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"
