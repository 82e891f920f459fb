"""The generation report: per kind, candidates generated, rejected by each gate, kept."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..interchange.records import ItemRecord

KIND_ORDER = ("cloze", "single_choice", "true_false", "short_answer", "multiple_response")
KIND_LABELS = {"cloze": "cloze", "single_choice": "single choice", "true_false": "true/false",
               "short_answer": "short answer", "multiple_response": "multi response"}


@dataclass
class GenerationReport:
    """Counts and lint of one generation run.

    Attributes:
        gates: gate names in the order applied.
        generated: kind -> candidates built.
        rejected: kind -> gate -> candidates rejected by that gate (first failing gate only).
        kept: kind -> items kept (after ``max_items``).
        key_longest_share: share of single-choice items whose key is the longest option.
        lint: bank lint messages.
        near_duplicates: (kept stem, rejected stem) pairs caught as near duplicates.
        passages, statements, words: size of the source.
        seconds: wall time of the run.
    """

    gates: list[str] = field(default_factory=list)
    generated: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    key_longest_share: float = 0.0
    lint: list[str] = field(default_factory=list)
    near_duplicates: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    statements: int = 0
    words: int = 0
    seconds: float = 0.0

    def count_generated(self, kind: str) -> None:
        """Count one candidate of ``kind``."""
        self.generated[kind] = self.generated.get(kind, 0) + 1

    def count_rejected(self, kind: str, gate: str) -> None:
        """Count one candidate of ``kind`` rejected by ``gate``."""
        per = self.rejected.setdefault(kind, {})
        per[gate] = per.get(gate, 0) + 1

    def finish(self, items: list[ItemRecord], share: float, lint: list[str],
               near: list[tuple[str, str]], *, passages: int, statements: int, words: int,
               seconds: float) -> None:
        """Record the kept items and the bank-level figures."""
        self.kept = {}
        for item in items:
            self.kept[item.kind] = self.kept.get(item.kind, 0) + 1
        self.key_longest_share = share
        self.lint = list(lint)
        self.near_duplicates = list(near)
        self.passages, self.statements, self.words, self.seconds = passages, statements, words, seconds

    @property
    def total_kept(self) -> int:
        """Return the number of items kept."""
        return sum(self.kept.values())

    def format(self) -> str:
        """Return the report as printable text (a table per kind, then the lint)."""
        kinds = [k for k in KIND_ORDER if k in self.generated or k in self.kept]
        gates = [g for g in self.gates if any(self.rejected.get(k, {}).get(g) for k in kinds)]
        width = max([len("generated")] + [len(g) + 4 for g in gates] + [len("kept")]) + 2
        head = "".ljust(width) + "".join(KIND_LABELS.get(k, k).rjust(16) for k in kinds) + "total".rjust(8)
        lines = [f"Source: {self.passages} passages, {self.statements} statements, {self.words} words; "
                 f"{self.seconds:.2f} s", "", head]

        def row(label: str, values: list[int]) -> str:
            return label.ljust(width) + "".join(str(v).rjust(16) for v in values) + str(sum(values)).rjust(8)

        lines.append(row("generated", [self.generated.get(k, 0) for k in kinds]))
        for g in gates:
            lines.append(row(f"  - {g}", [self.rejected.get(k, {}).get(g, 0) for k in kinds]))
        lines.append(row("kept", [self.kept.get(k, 0) for k in kinds]))
        lines.append("")
        lines.append(f"Key is the longest option in {self.key_longest_share:.0%} of single-choice items "
                     f"(limit 40%).")
        lines.extend(f"lint: {m}" for m in self.lint)
        return "\n".join(lines)
