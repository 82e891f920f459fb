"""The spaCy pipeline: rule-based English with the domain lexicon.

Trained pipelines cannot be downloaded on the machines this runs on, so the default is
``spacy.blank("en")`` with the ``sentencizer`` and an ``entity_ruler`` built from the
lexicon plus token patterns for years, dates and counts. If ``en_core_web_sm`` happens to
be installed it is used instead (its parser gives sentence boundaries and its NER adds
people and organisations the lexicon does not list); the lexicon's ruler runs before its
NER, so lexicon types win.
"""
from __future__ import annotations

import threading

import spacy
from spacy.language import Language

from .lexicon import Lexicon

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve"]
DAY = r"^(?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?$"
YEAR = r"^(?:1[89]|20)\d\d$"

_CACHE: dict[tuple, Language] = {}
_LOCK = threading.Lock()
TRAINED_MODEL = "en_core_web_sm"


def _patterns(lexicon: Lexicon) -> list[dict]:
    patterns: list[dict] = []
    for entry in lexicon.entries:
        for form in entry.forms:
            patterns.append({"label": entry.type, "pattern": form, "id": entry.name})
    month = {"LOWER": {"IN": MONTHS}}
    day = {"TEXT": {"REGEX": DAY}}
    year = {"TEXT": {"REGEX": YEAR}}
    patterns += [
        {"label": "DATE", "pattern": [month, day, {"TEXT": ",", "OP": "?"}, year]},
        {"label": "DATE", "pattern": [month, day]},
        {"label": "DATE", "pattern": [day, month, year]},
        {"label": "DATE", "pattern": [day, month]},
        {"label": "DATE", "pattern": [{"LOWER": "the"}, day, {"LOWER": "of"}, month]},
        {"label": "YEAR", "pattern": [year]},
        {"label": "NUMBER", "pattern": [{"LOWER": {"IN": NUMBER_WORDS}}]},
    ]
    return patterns


def _trained() -> Language | None:
    try:
        return spacy.load(TRAINED_MODEL, exclude=["lemmatizer"])
    except (OSError, ImportError, ValueError):
        return None


def get_pipeline(lexicon: Lexicon) -> Language:
    """Return the pipeline for ``lexicon``, built once per process and lexicon content."""
    key = lexicon.fingerprint
    with _LOCK:
        nlp = _CACHE.get(key)
        if nlp is not None:
            return nlp
        nlp = _trained()
        if nlp is not None and "ner" in nlp.pipe_names:
            ruler = nlp.add_pipe("entity_ruler", before="ner",
                                 config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
        else:
            nlp = spacy.blank("en")
            nlp.add_pipe("sentencizer")
            ruler = nlp.add_pipe("entity_ruler",
                                 config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(_patterns(lexicon))
        _CACHE[key] = nlp
        return nlp


def is_trained(nlp: Language) -> bool:
    """Return True when ``nlp`` is a trained pipeline rather than the blank one."""
    return "parser" in nlp.pipe_names or "senter" in nlp.pipe_names
