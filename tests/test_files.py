"""The file format round-trips, and the generated example files are what the generators make."""

from __future__ import annotations

import json
import os

import pytest
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


# ---------------------------------------------------------------- the instance writer's orjson path

_NAMES = st.text(max_size=6) | st.sampled_from(["a,b", "x:y", 'q"t', "b\\s", "é", "\U0001F600", "\x00", "\u2028",
                                                "1.5", "2e3", "null", "[", "}", ""])
_LEAVES = st.integers(-2**63, 2**63 - 1) | st.integers(-2**70, 2**70) | _NAMES | st.booleans() | st.none()


@settings(max_examples=400, deadline=None)
@given(st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_NAMES, inner, max_size=5),
                    max_leaves=40), st.integers(0, 3), st.integers(0, 60))
def test_the_writers_orjson_path_writes_the_bytes_of_json(data, indent, width):
    """``instances.writer._format`` from orjson's text (when ``_plain_strings`` allows it) is
    byte for byte the ``json`` version, on names holding separators, quotes, escapes, numbers
    and non-ASCII characters, at every width."""
    from instances.writer import _format, _plain_strings

    expected = _json_format(data, indent, width)
    assert _format(data, indent, width, _plain_strings(data)) == expected
    assert _format(data, indent, width) == expected  # (its parts by orjson where they are safe)


def _json_format(node, indent: int, width: int) -> str:
    """The writer's layout by ``json`` alone, part by part (its definition): compact where it
    fits in ``width`` or is a scalar or a list of scalars, else one entry per line."""
    compact = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(node, (list, dict)) or indent + len(compact) <= width or (
            isinstance(node, list) and all(not isinstance(x, (list, dict)) for x in node)):
        return compact
    pad = " " * (indent + 1)
    if isinstance(node, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_json_format(v, indent + 1, width)}" for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + _json_format(v, indent + 1, width) for v in node) + "\n" + " " * indent + "]"


_FLOATY = st.sampled_from(["0.8", "v1.5", "2e3", '1\\"2.5', '\\', '\\\\"', '"', "x:0.1", "9E9"])


def _has_float(node) -> bool:
    if isinstance(node, float):
        return True
    if isinstance(node, dict):
        return any(_has_float(v) for v in node.values())
    return isinstance(node, list) and any(_has_float(v) for v in node)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | _FLOATY | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_FLOATY | st.text(max_size=3), inner,
                                                                                  max_size=4), max_leaves=20))
def test_holds_float_finds_exactly_the_floats(data):
    """``instances.writer.holds_float``: a float anywhere, and never "0.8" or "2e3" inside a
    string, after escaped quotes and backslashes too."""
    import orjson

    from instances.writer import holds_float

    assert holds_float(orjson.dumps(data)) == _has_float(data)


def test_a_generated_name_and_description_leave_the_rest_to_orjson(monkeypatch):
    """A generated file's name ("…noisy-lower0.8") and description (quotes, colons) are written
    by ``json``; the valuations and knowledge by orjson, to the same bytes."""
    import instances.writer as writer

    inst = random_instance(7)
    data = {**writer.instance_to_json(inst), "name": "k-noisy-lower0.8", "description": 'made: {"a":1,"b":"0.8"}'}
    assert writer._plain_strings(data) is None
    expected = _json_format(data, 0, 100)
    calls = []
    real = writer._format_fast
    monkeypatch.setattr(writer, "_format_fast", lambda *a: calls.append(a[0]) or real(*a))
    assert writer._format(data) == expected
    assert any(node is data["valuations"] for node in calls)


def test_the_writers_orjson_path_is_taken_for_plain_instances_and_not_for_unsafe_names():
    from instances.writer import _format, _plain_strings, instance_to_json

    inst = random_instance(7)
    data = instance_to_json(inst)
    fast = _plain_strings(data)
    assert fast is not None and _format(data, fast=fast) + "\n" == instance_text(inst)
    for name in ("a,b", "a:b", 'a"b', "a\\b", "a\nb"):
        assert _plain_strings({**data, "name": name}) is None, name
    for name in ("é ü", "v1.5", "2e3"):  # no float: only characters of a string
        assert _plain_strings({**data, "name": name}) is not None, name


def test_annotate_writes_the_same_file_as_json_would(tmp_path):
    """The CLI (a subprocess) writes an annotated 60-player file byte for byte as the ``json``
    writer does."""
    from instances.generate import generate_instance
    from instances.knowledge_models import annotate
    from instances.writer import _format, instance_to_json
    from tests.conftest import run_cli

    inst = generate_instance("decay", 16, 60, None, 3)
    source, out = tmp_path / "plain.json", tmp_path / "annotated.json"
    source.write_text(instance_text(inst))
    result = run_cli("annotate", str(source), "--knowledge", "noisy-lower:0.8", "--seed", "1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    expected = annotate(load_instance(source), "noisy-lower:0.8", None, 1)
    assert out.read_text() == _format(instance_to_json(expected)) + "\n"


def test_the_lock_file_exists_while_the_lock_is_held(tmp_path):
    from instances.errors import CabenchError
    from instances.files import exclusive_lock

    lock = tmp_path / "r.csv.lock"
    lock.write_text("12345")  # left by a killed sweep: nobody holds it
    with exclusive_lock(lock, "r.csv"):
        assert lock.read_text() == str(os.getpid())
        with pytest.raises(CabenchError,
                           match=f"r.csv: another cabench sweep or experiment \\(pid {os.getpid()}\\) is writing it"):
            with exclusive_lock(lock, "r.csv"):
                pass
    assert not lock.exists()


@pytest.mark.parametrize("replaced", [False, True])
def test_a_lock_file_removed_before_it_is_locked_is_opened_again(tmp_path, monkeypatch, replaced):
    """The holder removes the file between this process's open and its flock (and a third
    process may create the next one): the lock taken is on a file no longer at the path, so it
    is opened again (else two sweeps would both run)."""
    import fcntl

    from instances.files import exclusive_lock

    lock = tmp_path / "r.csv.lock"
    real, locked = fcntl.flock, []

    def flock(fd, operation):
        if not locked:
            lock.unlink()  # the holder finished: its file is gone
            if replaced:
                lock.write_text("")
        locked.append(fd)
        return real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    with exclusive_lock(lock, "r.csv"):
        assert len(locked) == 2
        with open(lock) as other:  # the file at the path is the one held
            try:
                real(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = False
            except BlockingIOError:
                held = True
        assert held
    assert not lock.exists()


def test_a_write_removes_the_temporary_file_a_killed_writer_left(tmp_path):
    """SIGKILL runs no cleanup: a writer killed while writing ``fig.png`` left its hidden
    temporary file for ever. The next write of that target removes it, once the process that
    named it has ended; the files of a running process, of another machine or process-id
    namespace, of another target, or named otherwise stay."""
    import subprocess
    import sys

    from instances.files import _temporary_beside, atomic_write_text, process_space

    target = tmp_path / "fig.png"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f".fig.png.{ended.pid}.{process_space()}.0123456789abcdef.tmp"
        kept = [tmp_path / f".fig.png.{running.pid}.{process_space()}.0123456789abcdef.tmp",  # still running
                # another machine, or another container's process ids
                tmp_path / f".fig.png.{ended.pid}.{int(process_space(), 16) ^ 1:012x}.0123456789abcdef.tmp",
                tmp_path / f".fig.png.\u00b2.{process_space()}.0123456789abcdef.tmp",  # (a digit to isdigit, not to int)
                tmp_path / f".other.png.{ended.pid}.{process_space()}.0123456789abcdef.tmp",  # another target
                tmp_path / ".fig.png.0123456789abcdef.tmp"]  # the form before (no process named)
        for path in (left, *kept):
            path.write_text("half a figure")
        assert _temporary_beside(target).name.startswith(f".fig.png.{os.getpid()}.{process_space()}.")
        atomic_write_text(target, "the figure")
        assert target.read_text() == "the figure" and not left.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["fig.png", *(p.name for p in kept)])
    finally:
        running.kill()
        running.wait()
