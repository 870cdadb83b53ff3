"""The file format round-trips, and the generated example files are what the generators make."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from instances import instance_text, load_instance, parse_instance
from instances.loader import schema
from instances.synthetic import bundled_random_examples, random_instance
from tests.conftest import EXAMPLES


@settings(max_examples=300)
@given(st.integers(0, 2**32))
def test_write_then_read_gives_the_same_instance(seed):
    inst = random_instance(seed)
    assert parse_instance(json.loads(instance_text(inst))) == inst


def test_same_seed_same_bytes():
    assert instance_text(random_instance(42)) == instance_text(random_instance(42))


def test_bundled_generated_examples_are_up_to_date():
    """Regenerate with ``python -m instances.synthetic`` after changing a generator."""
    for filename, inst in bundled_random_examples().items():
        assert (EXAMPLES / filename).read_text(encoding="utf-8") == instance_text(inst), filename


def test_every_example_validates_and_licences_are_full_tables():
    for path in EXAMPLES.glob("*.json"):
        load_instance(path)
    licences = load_instance(EXAMPLES / "licences-8x8.json")
    assert licences.m == 8 and licences.n == 8
    data = json.loads((EXAMPLES / "licences-8x8.json").read_text())
    assert all(len(v["table"]) == 256 for v in data["valuations"].values())
    assert all(name in data["knowledge"] for name in data["players"])


def test_schema_is_shipped_and_documents_every_form():
    forms = schema()["$defs"]["valuation"]["properties"]
    assert sorted(forms) == ["additive", "explicit", "or", "single_minded", "table", "xor"]
