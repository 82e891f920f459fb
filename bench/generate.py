"""Benchmark the question generator on texts of about 1,000, 10,000 and 50,000 words.

The texts are made from the project's study text (questions/sources/harbin-symposium-2023.md):
its paragraphs are repeated with their sentences in a varied order and with names varied
from the lexicon (people, cities, provinces, years), so later copies are not verbatim
duplicates. Prints, for each size: words, seconds, words per second and items kept, then the
ratio of times against the ratio of sizes (linear growth: the two ratios are about equal).

Run: python bench/generate.py [--seed N]
Goal: 10,000 words in under 5 s on one core, cost growing no faster than linearly.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studyapp.generation import generate, load_lexicon  # noqa: E402
from studyapp.interchange.sourcetext import parse_source  # noqa: E402

SIZES = (1_000, 10_000, 50_000)


def make_text(words: int, seed: int = 0) -> str:
    """Return a text of about ``words`` words made by repeating and varying the study text."""
    rng = random.Random(seed)
    doc = parse_source((ROOT / "questions" / "sources" / "harbin-symposium-2023.md").read_text("utf-8"))
    lexicon = load_lexicon()
    pools = {t: [e.name for e in lexicon.of_type(t)] for t in ("PERSON", "CITY", "PROVINCE")}
    paragraphs: list[str] = []
    count, copy = 0, 0
    while count < words:
        swap = {}
        if copy:
            for type_, names in pools.items():
                a, b = rng.sample(names, 2)
                swap[a], swap[b] = b, a
        for passage in doc.passages:
            sentences = re.split(r"(?<=[.!?])\s+", passage.text)
            if copy and len(sentences) > 2:
                head, rest = sentences[:1], sentences[1:]
                rng.shuffle(rest)
                sentences = head + rest
            text = " ".join(sentences)
            for a, b in swap.items():
                text = re.sub(rf"\b{re.escape(a)}\b", f"\0{b}\0", text)
            text = text.replace("\0", "")
            if copy:
                text = re.sub(r"\b(20[0-2]\d)\b", lambda m: str(int(m.group(1)) - copy % 7), text)
            paragraphs.append(text)
            count += len(text.split())
            if count >= words:
                break
        copy += 1
    return "\n\n".join(paragraphs) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generate(make_text(300), seed=args.seed)          # warm up: builds the spaCy pipeline once
    rows = []
    print(f"{'target':>8} {'words':>8} {'seconds':>9} {'words/s':>9} {'items':>7}")
    for size in SIZES:
        text = make_text(size, args.seed)
        n = len(text.split())
        started = time.perf_counter()
        result = generate(text, title="bench", slug="bench", seed=args.seed)
        seconds = time.perf_counter() - started
        rows.append((n, seconds))
        print(f"{size:>8} {n:>8} {seconds:>9.2f} {n / seconds:>9.0f} {len(result.items):>7}")
    print()
    for (n1, t1), (n2, t2) in zip(rows, rows[1:]):
        print(f"{n2:>6} / {n1:<6} words: size ratio {n2 / n1:5.1f}, time ratio {t2 / t1:5.1f}")
    ten = dict(zip(SIZES, rows))[10_000][1]
    print(f"\n10,000 words: {ten:.2f} s (goal: under 5 s)")


if __name__ == "__main__":
    main()
