"""Fast paths of a variant's key, key.csv, fingerprints and copies give exactly what the
plain paths give: json.dumps, csv.writer row by row, dataclasses.replace, the key dict."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import random
from pathlib import Path

import pytest

import derive.generate as G
from derive.documents import build_documents, key_dict
from derive.key_json import KeyParts, csv_cell, csv_rows, csv_text, json_canonical, json_line, key_json_text
from derive.model import Precision
from derive.render.json import params_json, params_json_text
from derive.variant_output import label, variant_files
from derive.worksheet import load_worksheet

SEED = Path(__file__).resolve().parents[1] / "examples" / "normalization-regularization.toml"
STRINGS = ["", "plain", "a,b", 'q"uote', "new\nline", "cr\rlf", " lead", "trail ", "é ≈ √", "tab\t", "x;y", "'s'"]


@pytest.fixture(scope="module")
def built():
    """Variants of the seed worksheet at each level, solved without checks: (solved, docs, id)."""
    ws = load_worksheet(SEED, require_params=False)
    out = []
    for difficulty, seed in (("easy", 3), (None, 7), ("hard", 5)):
        plan = G.prepare(ws, 8, seed, difficulty=difficulty)
        fixed = G.solve_fixed(plan, checks=())
        for k in range(1, 9):
            vid = G.variant_id(k, 8)
            pv = G._planned(plan.slots, plan.seed, k, vid, (0,) * len(plan.slots))
            solved = G.solve_variant(plan, pv, fixed, checks=())
            out.append((solved, build_documents(solved, variant=f"Variant {k}"), vid, pv))
    return out


def _json_tree(rng: random.Random, depth: int = 0):
    pick = rng.random()
    if depth < 3 and pick < 0.3:
        keys = [rng.choice(["b", "a", "é", 'q"', "1", "B"]) + str(rng.randint(0, 3)) for _ in range(rng.randint(0, 4))]
        return {key: _json_tree(rng, depth + 1) for key in keys}
    if depth < 3 and pick < 0.5:
        return [_json_tree(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice([None, True, False, rng.randint(-10**20, 10**20), rng.random() * 10**rng.randint(-5, 5), -0.0,
                       *STRINGS, "\\frac{1}{3}", "\x01"])


def test_json_canonical_is_json_dumps_sorted_and_compact():
    rng = random.Random(5)
    for _ in range(3000):
        tree = _json_tree(rng)
        assert json_canonical(tree) == json.dumps(tree, sort_keys=True, separators=(",", ":"))


def test_fingerprints_and_params_texts_are_the_plain_encodings(built):
    for _, _, _, pv in built:
        for params, fp in zip(pv.params, pv.fingerprints):
            assert fp == json.dumps(params_json(params), sort_keys=True, separators=(",", ":"))
            assert params_json_text(params) == json_line(params_json(params))


def test_replace_is_dataclasses_replace(built):
    """`_replace` copies instances without __init__: only right for classes whose __init__
    just sets every field."""
    solved, docs, vid, pv = built[0]
    ws, problem = solved.worksheet, solved.problems[1].problem
    bv = G.BuiltVariant(pv, None, docs)
    cases = [(problem, {"params": None, "raw_params": {"a": 1}, "statement": False}), (ws, {"problems": ()}),
             (pv, {"params": ()}), (bv, {"planned": pv, "documents": None, "solved": None}), (bv, {})]
    for obj, changes in cases:
        cls = type(obj)
        assert not hasattr(cls, "__post_init__") and all(f.init for f in dataclasses.fields(cls))
        assert not [v for v in vars(cls).values() if isinstance(v, functools.cached_property)]  # copied stale
        new, plain = G._replace(obj, **changes), dataclasses.replace(obj, **changes)
        assert type(new) is cls and vars(new) == vars(plain) and new is not obj
        assert all(getattr(new, f.name) is getattr(plain, f.name) for f in dataclasses.fields(cls))
        with pytest.raises(dataclasses.FrozenInstanceError):
            new.x = 1
    with pytest.raises(TypeError, match="no field 'parms'"):
        G._replace(pv, parms=())


def _plain_csv(vid: str, key: dict) -> str:
    """key.csv's rows as csv.writer writes them from the key dict (the plain path)."""
    rows = io.StringIO()
    table = csv.writer(rows, lineterminator="\n")
    for group in ("parts", "written_parts"):
        for entry in key[group]:
            if entry["type"] == "computed":
                part = entry["part"]
                graded, result, points = group == "parts", entry["result"], entry["points"]
                row = (vid, label(vid, part), part, entry["problem"], entry["kind"])
                table.writerows([(*row, name, points, "yes" if graded and name == result else "no",
                                  csv_cell(answer["exact"]), csv_cell(answer["decimal"]))
                                 for name, answer in entry["answers"].items()])
    return rows.getvalue()


def test_csv_rows_joined_from_pieces_are_csv_writer_s(built):
    for solved, docs, vid, _ in built:
        for v in (vid, "v,1", 'v"2', "v\n3", ""):
            assert variant_files(v, docs).key_csv == _plain_csv(v, docs.key_json)
        bare = type(docs)(docs.questions, docs.solutions, docs.key, docs.key_json)  # rows from the dict
        assert variant_files(vid, bare) == variant_files(vid, docs)
        for entry, (group, plain) in zip(docs.entries(), [(g, e) for g in ("parts", "written_parts")
                                                          for e in docs.key_json[g]]):
            assert entry.group == group and entry.csv_rows == csv_rows(plain, group)


def test_csv_text_quotes_each_cell_as_a_row_does():
    rng = random.Random(8)
    cells = [*STRINGS, 0, -3, 2.5, 1e-7, None]
    for _ in range(3000):
        row = [rng.choice(cells) for _ in range(rng.randint(2, 7))]
        cut = rng.randint(2, len(row))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        assert csv_text(row) + "\n" == out.getvalue()
        if cut <= len(row) - 2:  # two rows of two or more cells joined: the row of all
            assert csv_text(row[:cut]) + "," + csv_text(row[cut:]) == csv_text(row)


def test_key_parts_are_the_key_dict(built):
    for solved, docs, vid, _ in built:
        key = docs.key_json
        assert key is docs.key_json  # made once
        assert key == key_dict(solved, variant=docs.key_json["variant"])
        assert docs.key_text() == key_json_text(key) == KeyParts.of(key).text()
        assert [e.text() for e in docs.entries()] == [json_line(e) for g in ("parts", "written_parts")
                                                      for e in key[g]]


def test_renderings_are_kept_per_precision(built):
    solved = built[0][0]
    a = build_documents(solved, Precision(2))
    b = build_documents(solved, Precision(5))
    assert a.key_json["parts"] != b.key_json["parts"]
    assert a.key_json["parts"] == build_documents(solved, Precision(2)).key_json["parts"]


def _plain_cell(value) -> str:
    return "[" + ", ".join(map(_plain_cell, value)) + "]" if isinstance(value, list) else str(value)


def _nested(rng: random.Random, depth: int = 0):
    if depth < 3 and rng.random() < 0.4:
        return [_nested(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice([*STRINGS, "5/3", "-sqrt(3)", 7, -0.5, None])


def test_csv_cell_is_the_plain_recursion():
    rng = random.Random(3)
    for _ in range(5000):
        value = _nested(rng)
        assert csv_cell(value) == _plain_cell(value)


def _plain_is_numeric(value) -> bool:
    from derive.documents import is_numeric_value

    if isinstance(value, tuple):
        return bool(value) and all(_plain_is_numeric(v) or type(v).__name__ == "Undefined" for v in value)
    return is_numeric_value(value)  # scalars: the same code


def test_is_numeric_value_is_the_plain_walk():
    from fractions import Fraction

    import sympy

    from derive.documents import is_numeric_value
    from derive.exact import Surd
    from derive.kinds.normalization import Undefined

    rng = random.Random(4)
    scalars = [3, Fraction(1, 3), Surd(Fraction(1), Fraction(2), 3), True, "x", None, sympy.Integer(2),
               sympy.Symbol("n"), Undefined("0/0"), 2.5]

    def value(depth=0):
        if depth < 2 and rng.random() < 0.6:
            return tuple(value(depth + 1) for _ in range(rng.randint(0, 4)))
        return rng.choice(scalars[:3] * 3 + scalars[3:])

    for _ in range(5000):
        v = value()
        assert is_numeric_value(v) == _plain_is_numeric(v)


def test_kept_by_identity_tells_objects_and_key_parts_apart():
    from derive.memo import KeptByIdentity

    kept = KeptByIdentity(3)
    a, b = [1], [1]  # equal, not the same
    assert kept.get(a, lambda: "a") == "a" and kept.get(b, lambda: "b") == "b"
    assert kept.get(a, lambda: "no") == "a" and kept.get(a, lambda: "a2", 2) == "a2"
    assert kept.get(a, lambda: "no", 2) == "a2" and kept.get(a, lambda: "no") == "a"
    kept.get([2], lambda: "c")  # the least recently used (b) goes
    assert kept.get(b, lambda: "b again") == "b again"
    objects = ([1], [2], [3])
    assert kept.get_all(objects, lambda: "all") == "all" and kept.get_all(objects, lambda: "no") == "all"
    assert kept.get_all((objects[0], objects[1], [3]), lambda: "other") == "other"


def _plain_jsonable(value):
    """render.json.jsonable without its fast paths (every check in order)."""
    from fractions import Fraction

    from derive.render.values import exact_strings, is_exact_scalar

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction) or is_exact_scalar(value):
        return exact_strings(value)
    if isinstance(value, (tuple, list)):
        return [_plain_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain_jsonable(getattr(value, f.name)) for f in dataclasses.fields(type(value))}
    return str(value)


def test_jsonable_is_the_plain_chain_of_checks(built):
    from fractions import Fraction

    from derive.exact import Surd
    from derive.render.json import jsonable

    @dataclasses.dataclass(frozen=True)
    class Inner:
        q: object
        s: object = "x"

    rng = random.Random(6)
    leaves = [True, False, None, 0, -7, Fraction(5, 3), Fraction(-4), Surd(Fraction(1), Fraction(2), 3), "s", 2.5,
              Path("p"), Inner(Fraction(1, 2)), {"a": 1, 2: Fraction(1, 3)}]

    def value(depth=0):
        pick = rng.random()
        if depth < 3 and pick < 0.3:
            seq = [value(depth + 1) for _ in range(rng.randint(0, 4))]
            return tuple(seq) if rng.random() < 0.6 else seq
        if depth < 3 and pick < 0.4:
            return Inner(value(depth + 1), value(depth + 1))
        return rng.choice(leaves)

    for _ in range(3000):
        v = value()
        assert jsonable(v) == _plain_jsonable(v)
        assert json_line(jsonable(v)) == json_line(_plain_jsonable(v))  # the same types too (True is not 1)
    for _, _, _, pv in built:
        for params in pv.params:
            assert jsonable(params) == _plain_jsonable(params)
    with pytest.raises(TypeError):
        jsonable(Inner)  # a dataclass itself, not an instance: as before


@pytest.mark.parametrize("sizes", [(), (0,), (1,), (0, 2, 0, 3), (7, 1, 0, 40)])
def test_appended_entries_are_the_per_line_copy(sizes):
    """key.json's arrays appended variant by variant, as the per-line loop wrote them."""
    from derive.variant_output import _append_entries

    rng = random.Random(len(sizes) * 31 + sum(sizes))
    variants = [[json.dumps({"part": f"v{k}/{i}a", "answer": "x" * rng.randrange(0, 90), "note": "a\nb"})
                 for i in range(size)] for k, size in enumerate(sizes)]
    entries = [entry for variant in variants for entry in variant]
    plain = "".join(("\n    " if i == 0 else ",\n    ") + line for i, line in enumerate(entries))
    out, count = io.BytesIO(), 0
    for variant in variants:
        _append_entries(out, "".join(line + "\n" for line in variant).encode("utf-8"), count)
        count += len(variant)
    assert out.getvalue().decode("utf-8") == plain
    assert json.loads("[" + out.getvalue().decode("utf-8") + "]") == [json.loads(e) for e in entries]


@pytest.mark.parametrize("header", [{}, {"title": "Quiz — ü", "n": 2}])
@pytest.mark.parametrize("sizes", [((0, 0), (0, 0)), ((3, 0), (0, 2)), ((0, 1),), ((2, 2), (1, 1))])
def test_key_writer_writes_the_key_json_dump(tmp_path, header, sizes):
    """The streamed key.json is the key as json.dumps(indent=2) writes its header, with one
    entry per line; empty arrays as []."""
    from derive.variant_output import KeyWriter, VariantFiles

    writer = KeyWriter(tmp_path, header)
    key = {**header, "parts": [], "written_parts": []}
    for k, (parts, written) in enumerate(sizes):
        groups = {}
        for group, size in (("parts", parts), ("written_parts", written)):
            entries = [{"part": f"v{k}/{i}", "group": group} for i in range(size)]
            key[group] += entries
            groups[group] = "".join(json_line(e) + "\n" for e in entries)
        writer.add(VariantFiles({}, "", groups["parts"], groups["written_parts"], "", (parts, written)))
    writer.close()
    text = (tmp_path / "key.json").read_text(encoding="utf-8")
    assert json.loads(text) == key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.csv", "key.json"]
    if not key["parts"]:
        assert '  "parts": [],\n' in text
    if not key["written_parts"]:
        assert text.endswith('  "written_parts": []\n}\n')
    for entry in key["parts"] + key["written_parts"]:
        assert f"\n    {json_line(entry)}" in text
