"""Reading and writing Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format)."""
from pathlib import Path

import pytest

from studyapp.interchange.bankfile import read_bank_file
from studyapp.interchange.gift import GiftError, parse_gift, write_gift
from studyapp.interchange.records import ItemRecord, OptionRecord

DATA = Path(__file__).parent / "data" / "gift"
BANK = Path(__file__).parent.parent / "questions" / "banks" / "harbin-symposium-2023.yaml"
FIELDS = ("ext_id", "kind", "stem", "options", "answers", "explanation")


def _same(a: ItemRecord, b: ItemRecord) -> None:
    for name in FIELDS:
        assert getattr(a, name) == getattr(b, name), (a.ext_id, name)


def test_symposium_bank_round_trip():
    """Every item of the shipped bank survives write_gift then parse_gift."""
    items = read_bank_file(BANK).items
    skipped = []
    text = write_gift(items, "symposium", skipped=skipped)
    assert skipped == []
    result = parse_gift(text, "symposium.gift")
    assert len(result.items) == len(items)
    for a, b in zip(items, result.items):
        _same(a, b)
    assert set(result.categories.values()) == {"symposium"}
    assert result.problems == []
