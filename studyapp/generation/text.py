"""Small text helpers shared by the generator's stages (no spaCy, no Flask)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

GAP = "___"
"""The blank written in cloze stems (``studyapp.kinds.GAP`` matches three or more '_')."""
GAP_RE = re.compile(r"_{3,}")

_PUNCT = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")

STOPWORDS = frozenset("""
a an the of in on at to for from by with and or as is are was were be been being that this
these those it its their his her he she they them which what who whom whose when where why how
did do does has have had not no into than then so such also its s according text following
""".split())

SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                              "\u00a0": " ", "\u2013": "-", "\u2014": " - "})


@lru_cache(maxsize=1 << 16)
def norm(text: str) -> str:
    """Return ``text`` folded for comparison: NFKC, case-folded, punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "").translate(SMART_QUOTES).casefold()
    text = text.replace("'s ", " ").replace("-", " ")
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


def words(text: str) -> list[str]:
    """Return the lower-case words of ``text``."""
    return [w.casefold() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    """Return the words of ``text`` that are not stop words (lower case)."""
    return {w for w in words(text.replace("-", " ")) if w not in STOPWORDS and len(w) > 1}


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Return True if ``phrase`` occurs in ``haystack`` as whole words, after :func:`norm`."""
    needle = norm(phrase)
    if not needle:
        return False
    return f" {needle} " in f" {norm(haystack)} "


def jaccard(a: set[str], b: set[str]) -> float:
    """Return the Jaccard index of two sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def sentence_case(text: str) -> str:
    """Return ``text`` with its first letter upper case."""
    return text[:1].upper() + text[1:] if text else text


def lower_first(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Return ``text`` with its first letter lower case unless the first word must keep its case."""
    first = text.split(" ", 1)[0]
    if not text or first in keep or (len(first) > 1 and first[1:2].isupper()):
        return text
    return text[:1].lower() + text[1:]


def clean_phrase(text: str) -> str:
    """Strip surrounding space and punctuation (but not closing brackets) from a phrase."""
    return text.strip().strip(",;:. ").strip()
