"""Documents laid out once per spec and filled in per variant, and key.json put together from
pieces encoded once: both must give exactly what rendering and encoding each variant whole gives."""

import json
from pathlib import Path

import pytest

from derive import documents
from derive.documents import build_documents, key_dict
from derive.key_json import json_line, key_json_text
from derive.generate import _planned, prepare, solve_fixed, solve_variant, variant_id
from derive.variant_output import label, variant_files
from derive.worksheet import load_worksheet, solve_worksheet

SEED = Path(__file__).resolve().parents[1] / "examples" / "normalization-regularization.toml"


@pytest.fixture(scope="module")
def variants():
    ws = load_worksheet(SEED, require_params=False)
    plan = prepare(ws, 6, 11)
    fixed = solve_fixed(plan, checks=())
    return [solve_variant(plan, _planned(plan.slots, plan.seed, k, variant_id(k, 6), (0,) * len(plan.slots)),
                          fixed, checks=()) for k in range(1, 7)]


def _rendered_whole(solved, variant=None, notes=None):
    """The documents as a fresh layout gives them (no layout kept from another variant)."""
    documents._SPECS.clear()
    return build_documents(solved, variant=variant, notes=notes)


def test_a_kept_layout_gives_what_a_fresh_one_gives(variants):
    build_documents(variants[0], variant="Variant 1")  # the layout every later variant reuses
    kept = [build_documents(s, variant=f"Variant {k}") for k, s in enumerate(variants[1:], 2)]
    fresh = [_rendered_whole(s, variant=f"Variant {k}") for k, s in enumerate(variants[1:], 2)]
    for a, b in zip(kept, fresh):
        assert (a.questions, a.solutions, a.key) == (b.questions, b.solutions, b.key)
    assert len({d.solutions for d in kept}) == len(kept)  # the variants do differ


def test_holes_left_empty_get_their_own_layout(variants):
    with_notes = build_documents(variants[1], variant="Variant 2", notes={"2a": ["Check row 2."]})
    plain = build_documents(variants[1])
    assert r"\textit{Note:} Check row 2." in with_notes.solutions and "Note:" not in plain.solutions
    assert "Variant 2" in with_notes.key and "Variant" not in plain.key
    assert with_notes.solutions == _rendered_whole(variants[1], "Variant 2", {"2a": ["Check row 2."]}).solutions


def test_no_marker_reaches_a_document(variants):
    docs = build_documents(variants[2], variant="Variant 3")
    assert not any("\x00" in tex for tex in docs.tex().values())


def test_key_text_is_the_key_dict_encoded(variants):
    for k, solved in enumerate(variants, 1):
        docs = build_documents(solved, variant=f"Variant {k}")
        assert docs.key_text() == key_json_text(docs.key_json)  # every entry encoded whole
        assert json.loads(docs.key_text()) == docs.key_json == key_dict(solved, variant=f"Variant {k}")


def test_combined_key_lines_are_the_relabelled_entries(variants):
    docs = build_documents(variants[3], variant="Variant 4")
    files = variant_files("v04", docs)
    lines = (files.key_parts + files.key_written).splitlines()
    entries = docs.key_json["parts"] + docs.key_json["written_parts"]
    assert len(lines) == len(entries) == sum(files.counts)
    for line, entry in zip(lines, entries):
        part = entry["part"]
        relabelled = {**entry, "part": label("v04", part), "label": label("v04", part), "variant": "v04",
                      "variant_part": part}
        assert line == json_line(relabelled)


def test_documents_built_without_encoded_entries_encode_the_dict():
    docs = build_documents(solve_worksheet(load_worksheet(SEED), checks=()))
    bare = type(docs)(docs.questions, docs.solutions, docs.key, docs.key_json)
    assert bare.key_text() == docs.key_text()
    assert variant_files("v01", bare) == variant_files("v01", docs)
