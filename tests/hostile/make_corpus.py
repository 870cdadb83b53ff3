"""Write the hostile-file corpus of ``tests/test_hostile.py`` into this folder.

``python -m tests.hostile.make_corpus`` rewrites every file; the files are committed, so the
tests never depend on this script. ``*.json`` files are run through ``cabench benchmarks``,
``*.cats`` files through ``cabench import --format cats``. Each must end with exit 0, 2 or 3,
at most one line on standard error and no traceback. Very large inputs are made by the test
itself rather than committed.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

VALID = {"goods": ["a", "b"], "players": ["p", "q"],
         "valuations": {"p": {"xor": [[["a"], 5]]}, "q": {"xor": [[["b"], 3]]}}}


def _with(**changes) -> dict:
    data = json.loads(json.dumps(VALID))
    data.update(changes)
    return data


def _value(raw: str) -> str:
    """The valid instance with p's value replaced by the literal ``raw``."""
    return '{"goods": ["a", "b"], "players": ["p", "q"], "valuations": {"p": {"xor": [[["a"], ' + raw + \
        ']]}, "q": {"xor": [[["b"], 3]]}}}'


def _names(player: str = "p", good: str = "a", name: str | None = None) -> dict:
    data = {"goods": [good, "b"], "players": [player, "q"],
            "valuations": {player: {"xor": [[[good], 5]]}, "q": {"xor": [[["b"], 3]]}}}
    if name is not None:
        data["name"] = name
    return data


def json_cases() -> dict[str, str | bytes | dict]:
    cases: dict[str, str | bytes | dict] = {
        "empty": "", "whitespace": "  \n\t ", "null": "null", "list": "[]", "string": '"instance"', "number": "123",
        "empty-object": "{}", "truncated": '{"goods": [', "trailing-garbage": json.dumps(VALID) + " xyz",
        "comments": "// an instance\n" + json.dumps(VALID), "single-quotes": "{'goods': ['a']}",
        "leading-zero": _value("05"), "nan": _value("NaN"), "infinity": _value("Infinity"),
        "minus-infinity": _value("-Infinity"), "float-1e400": _value("1e400"),
        "float-huge-exponent": _value("1e1000000000"), "float-tiny-exponent": _value("1e-1000000000"),
        "int-5000-digits": _value("9" * 5000), "int-25-digits": _value("9" * 25), "int-2-63": _value(str(2**63)),
        "negative-in-auction": _value("-5"), "float-1.5": _value("1.5"), "float-integral": _value("1.0"),
        "float-exponent-integral": _value("1E2"), "minus-zero": _value("-0"), "bool-value": _value("true"),
        "string-value": _value('"5"'), "above-cap": _value(str(10**12 + 1)), "at-cap": _value(str(10**12)),
        "nested-1500-lists": "[" * 1500 + "]" * 1500, "nested-2000-objects": '{"a":' * 2000 + "1" + "}" * 2000,
        "nested-100000-lists": "[" * 100000 + "]" * 100000,
        "nested-40-in-valuation": _value("[" * 40 + "5" + "]" * 40),
        "lone-surrogate-player": json.dumps(_names(player="\ud800")),
        "lone-surrogate-good": json.dumps(_names(good="x\udfff")),
        "lone-surrogate-name": json.dumps(_names(name="\udc00")),
        "markup-player": _names(player="[/]"), "markup-bold": _names(player="[bold red]boo", name="[link=x]y[/link]"),
        "markup-good": _names(good="[/]"), "ansi-clear-screen": _names(player="\u001b[2J\u001b[H", name="\u001b[31mred"),
        "ansi-c1-csi": _names(player="\u009b31mx"), "newline-name": _names(player="a\nb", name="two\nlines"),
        "nul-name": _names(player="a\u0000b"), "rtl-override": _names(player="\u202eevil"),
        "emoji-names": _names(player="\U0001f600", good="\u00e9"), "proto-name": _names(player="__proto__"),
        "long-name": _names(player="x" * 100_000), "empty-good-name": _names(good=""),
        "bom-valid": b"\xef\xbb\xbf" + json.dumps(VALID).encode(), "bom-invalid": b"\xef\xbb\xbf{",
        "utf16": json.dumps(VALID).encode("utf-16"), "latin1": '{"goods": ["caf\xe9"]}'.encode("latin-1"),
        "raw-control-char": '{"goods": ["a\u0001"]}', "binary": bytes(range(256)),
        "duplicate-top-key": '{"goods": ["a"], "goods": ["b"], "players": ["p"], "valuations": {}}',
        "duplicate-deep-key": _value("5").replace('"q": {"xor"', '"q": {"xor": [], "xor"'),
        "goods-empty": _with(goods=[]), "players-empty": _with(players=[]),
        "goods-5000": _with(goods=[f"g{k}" for k in range(5000)]), "goods-string": _with(goods="ab"),
        "goods-numbers": _with(goods=[1, 2]), "name-number": _with(name=5),
        "duplicate-goods": _with(goods=["a", "a", "b"]), "duplicate-players": _with(players=["p", "p", "q"]),
        "unknown-good": _with(valuations={"p": {"xor": [[["z"], 5]]}, "q": {"xor": [[["b"], 3]]}}),
        "unknown-player": _with(valuations={"p": {"xor": []}, "q": {"xor": []}, "r": {"xor": []}}),
        "missing-valuation": _with(valuations={"p": {"xor": []}}),
        "empty-bundle": _with(valuations={"p": {"xor": [[[], 5]]}, "q": {"xor": []}}),
        "bundle-repeats-good": _with(valuations={"p": {"xor": [[["a", "a"], 5]]}, "q": {"xor": []}}),
        "repeated-bundle": _with(valuations={"p": {"xor": [[["a"], 5], [["a"], 6]]}, "q": {"xor": []}}),
        "bid-three-items": _with(valuations={"p": {"xor": [[["a"], 5, 6]]}, "q": {"xor": []}}),
        "table-short": _with(valuations={"p": {"table": [0, 1, 2]}, "q": {"xor": []}}),
        "table-nonzero-empty": _with(valuations={"p": {"table": [1, 1, 2, 3]}, "q": {"xor": []}}),
        "table-21-goods": {"goods": [f"g{k}" for k in range(21)], "players": ["p"], "valuations": {"p": {"table": [0]}}},
        "two-forms": _with(valuations={"p": {"xor": [], "or": []}, "q": {"xor": []}}),
        "no-form": _with(valuations={"p": {}, "q": {"xor": []}}),
        "unknown-form": _with(valuations={"p": {"magic": []}, "q": {"xor": []}}),
        "single-minded-bad": _with(valuations={"p": {"single_minded": [["a"]]}, "q": {"xor": []}}),
        "additive-unknown-good": _with(valuations={"p": {"additive": {"z": 1}}, "q": {"xor": []}}),
        "or-valid": _with(valuations={"p": {"or": [[["a"], 2], [["b"], 3]]}, "q": {"xor": [[["b"], 3]]}}),
        "knowledge-self": _with(knowledge={"p": {"lower_bounds": {"p": {"xor": []}}}}),
        "knowledge-unknown-player": _with(knowledge={"p": {"lower_bounds": {"zz": {"xor": []}}}}),
        "knowledge-owner-unknown": _with(knowledge={"zz": {"lower_bounds": {}}}),
        "candidates-empty": _with(knowledge={"p": {"candidates": []}}),
        "candidates-bad-form": _with(knowledge={"p": {"candidates": [{"q": {"magic": 1}}]}}),
        "coalition-overlap": {**_with(players=["p", "q", "r"]), "coalitions": [["p", "q"], ["q", "r"]],
                              "valuations": {"p": {"xor": []}, "q": {"xor": []}, "r": {"xor": []}}},
        "coalition-single": _with(coalitions=[["p"]]), "coalition-unknown": _with(coalitions=[["p", "zz"]]),
        "endowment-overlap": _with(endowment={"p": ["a"], "q": ["a"]}),
        "endowment-unknown-good": _with(endowment={"p": ["z"]}),
        "unknown-field": _with(extra=1), "valid": VALID,
        "market-below-cap": _with(endowment={"p": ["a"]}, valuations={"p": {"xor": [[["a"], -10**12 - 1]]},
                                                                       "q": {"xor": []}}),
    }
    return cases


def _cats(body: str, header: str = "goods 2\nbids 1\ndummy 0\n") -> str:
    return header + body


def cats_cases() -> dict[str, str | bytes]:
    return {
        "empty": "", "comments-only": "% nothing\n% here\n", "goods-billion": _cats("0 5 0 #\n", "goods 1000000000\nbids 1\n"),
        "goods-zero": _cats("0 5 0 #\n", "goods 0\nbids 1\n"), "goods-superscript": "goods \u00b2\nbids 0\n",
        "goods-negative": "goods -5\nbids 0\n", "goods-repeated": "goods 2\ngoods 5\nbids 1\n0 5 0 #\n",
        "bids-repeated": "goods 2\nbids 1\nbids 1\n0 5 0 #\n", "dummy-repeated": "goods 2\nbids 1\ndummy 1\ndummy 1\n0 5 0 #\n",
        "bids-missing": "goods 2\n0 5 0 #\n", "bid-before-header": "0 5 0 #\ngoods 2\nbids 1\n",
        "good-index-1e12": _cats("0 5 1000000000000 #\n"), "good-index-negative": _cats("0 5 -1 #\n"),
        "good-index-5000-digits": _cats("0 5 " + "9" * 5000 + " #\n"), "good-index-out-of-range": _cats("0 5 2 #\n"),
        "price-1e1000000000": _cats("0 1e1000000000 0 #\n"), "price-1e400": _cats("0 1e400 0 #\n"),
        "price-1e30": _cats("0 1e30 0 #\n"), "price-above-cap": _cats("0 1000000000001 0 #\n"),
        "price-at-cap": _cats("0 1000000000000 0 #\n"), "price-negative": _cats("0 -5 0 #\n"),
        "price-nan": _cats("0 nan 0 #\n"), "price-inf": _cats("0 inf 0 #\n"), "price-fraction": _cats("0 1/3 0 #\n"),
        "price-1.5": _cats("0 1.5 0 #\n"), "price-hex": _cats("0 0x10 0 #\n"), "price-1e-400": _cats("0 1e-400 0 #\n"),
        "price-5000-digits": _cats("0 " + "9" * 5000 + " 0 #\n"), "price-zero-huge-exponent": _cats("0 0e999999 0 #\n"),
        "missing-hash": _cats("0 5 0\n"), "only-hash": _cats("#\n"), "no-goods": _cats("0 5 #\n"),
        "only-dummy": _cats("0 5 2 #\n", "goods 2\nbids 1\ndummy 1\n"),
        "two-dummies": _cats("0 5 0 2 3 #\n", "goods 2\nbids 1\ndummy 2\n"),
        "count-mismatch": _cats("0 5 0 #\n1 6 1 #\n"), "valid": _cats("0 5 0 #\n1 6 0 1 #\n", "goods 2\nbids 2\n"),
        "bom-valid": b"\xef\xbb\xbf" + _cats("0 5 0 #\n").encode(), "dummy-1e12": _cats("0 5 0 #\n", "goods 2\nbids 1\ndummy 1000000000000\n"),
        "latin1": "goods 2\nbids 1\n% caf\xe9\n0 5 0 #\n".encode("latin-1"), "nul-bytes": b"goods 2\x00\nbids 1\n",
        "goods-no-number": "goods\nbids 1\n", "goods-extra-word": "goods 5 extra\n", "tabs": "goods\t2\nbids\t1\n0\t5\t0\t#\n",
        "crlf": _cats("0 5 0 #\r\n").replace("\n", "\r\n"), "long-line": _cats("0 5 " + "0 " * 10000 + "#\n"),
        "ansi-comment": "% \u001b[2J\u001b[31m\n" + _cats("0 5 0 #\n"), "repeated-bundle": _cats("0 5 0 #\n1 7 0 #\n", "goods 2\nbids 2\n"),
        "empty-price": _cats("0 #\n"),
    }


def write() -> int:
    count = 0
    for suffix, cases in ((".json", json_cases()), (".cats", cats_cases())):
        for name, content in cases.items():
            path = HERE / f"{name}{suffix}"
            if isinstance(content, dict):
                content = json.dumps(content, ensure_ascii=False)
            if isinstance(content, str):
                content = content.encode("utf-8", "surrogatepass")
            path.write_bytes(content)
            count += 1
    return count


if __name__ == "__main__":
    print(f"wrote {write()} files to {HERE}")
