"""key.json: a worksheet's answer key as JSON text, put together from pieces encoded once.

The schema is described in `derive.documents` (and docs/worksheets.md).  A problem set's
variants share everything but their numbers, so each part's fixed members (label, points,
question, tolerance) are encoded once per spec and each answer once per result; a
variant's entries are these pieces joined (`KeyEntryJSON`), and the combined key of a
problem set relabels the same text ("v07/2a") instead of encoding the entries again.
"""

from __future__ import annotations

import json
import json.encoder
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

__all__ = ["KEY_SCHEMA", "KEY_LISTS", "json_line", "json_name", "key_json_text", "points_json", "points_text",
           "KeyEntryJSON", "FixedEntry", "fixed_entry", "assemble_key"]

KEY_SCHEMA = 1
KEY_LISTS = ("parts", "written_parts")


def points_text(q: Fraction) -> str:
    """Points as the documents print them: "6", "2.5", "0.33"."""
    if q.denominator == 1:
        return str(q.numerator)
    return f"{float(q):.2f}".rstrip("0").rstrip(".")


def points_json(q: Fraction):
    """Points as key.json gives them: an int, else the number the documents print."""
    return q.numerator if q.denominator == 1 else float(points_text(q))


def json_line(entry) -> str:
    """One JSON value on one line (the C encoder: indenting runs the slow Python one)."""
    return "".join(_C_ENCODE(entry, 0)) if _C_ENCODE is not None else _ENCODER.encode(entry)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # json.dumps makes one a call
# The C encoder that `_ENCODER.encode` makes on every call, made once: without the markers
# of its check for circular references it keeps nothing between calls (key data are trees).
# ~20 calls a variant, each ~40 % cheaper.
# Its arguments are CPython's private interface (3.11): where it is missing, takes others or
# writes other text than `encode`, `json_line` uses `encode`.


def _c_encoder():
    try:
        made = json.encoder.c_make_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None,
                                           _ENCODER.key_separator, _ENCODER.item_separator, False, False, True)
        sample = {"a": [1, 2.5, None, True, "é\n"], "b": {"c": -0.0}}
        return made if "".join(made(sample, 0)) == _ENCODER.encode(sample) else None
    except (AttributeError, TypeError):
        return None


_C_ENCODE = _c_encoder()
json_name = lru_cache(maxsize=1024)(json_line)  # strings that recur: member names, titles, result names


def key_json_text(key: dict, lists: tuple[str, ...] = KEY_LISTS, *,
                  encoded: dict[str, list[str]] | None = None) -> str:
    """key.json's text: the header indented, then each part on a line of its own
    (readable and diffable, and five times faster to write than indenting every level).
    `encoded`: list name → its entries' JSON text, when the caller has it already."""
    lines = ["{"]
    items = list(key.items())
    for i, (name, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if name in lists and value:
            texts = encoded[name] if encoded is not None else [json_line(entry) for entry in value]
            body = ",\n    ".join(texts)
            lines.append(f'  {json_name(name)}: [\n    {body}\n  ]{comma}')
        else:
            text = json_name(value) if isinstance(value, str) else json_line(value)
            lines.append(f"  {json_name(name)}: {text}{comma}")
    return "\n".join(lines) + "\n}\n"


@dataclass(frozen=True)
class KeyEntryJSON:
    """One entry of key.json's parts or written parts as JSON text, cut after its label:
    the combined key of a problem set relabels it ("v07/2a") and adds the variant."""

    group: str      # "parts" or "written_parts"
    part: str       # "2a"
    part_json: str  # '"2a"'
    members: str    # its members after "part" and "label", as JSON

    @classmethod
    def of(cls, group: str, entry: dict) -> KeyEntryJSON:
        """Encode an entry of `key_dict` (whose first members are "part" and "label")."""
        rest = {name: value for name, value in entry.items() if name not in ("part", "label")}
        return cls(group, entry["part"], json_line(entry["part"]), json_line(rest)[1:-1])

    def text(self, label_json: str | None = None, more: str = "") -> str:
        """The entry as JSON, labelled `label_json` (its part by default), `more` members after."""
        name = label_json or self.part_json
        return f'{{"part": {name}, "label": {name}, {self.members}{more}}}'


def assemble_key(solved, spec, precision, *, variant: str | None, answers) -> tuple[dict, tuple[KeyEntryJSON, ...]]:
    """`derive.documents.key_dict`, and its entries as JSON text.

    `spec` holds what every variant of the worksheet shares (`header`: title, course, date,
    source, total points; `entries`: each problem's `FixedEntry`s), `answers.of(sp, part)`
    a part's rendered results: each part's fixed members are encoded once per spec, each
    answer once, and only what they are put together with for each variant.
    """
    from .render.json import params_json

    entries = {group: [] for group in KEY_LISTS}
    texts = {group: [] for group in KEY_LISTS}
    for sp, fixed_entries in zip(solved.problems, spec.entries):
        problem = sp.problem
        params = params_text = None
        for part, fixed in zip(problem.parts, fixed_entries):
            entry = {"part": fixed.label, "label": fixed.label, **fixed.members}
            members = fixed.members_json
            group = "written_parts"
            if part.type == "computed":
                results = {r.name: r for r in answers.of(sp, part)}  # by name, as in the dict
                # Only numbers can be graded automatically (`result` names the one graded);
                # layer names, shapes and formulas in n go to people, in written_parts.
                numeric = [name for name, r in results.items() if r.numeric]
                main = numeric[0] if numeric else next(iter(results))
                if params is None:
                    params = params_json(problem.params)
                    params_text = json_line(params)
                entry.update({
                    "params": params,
                    "result": main,
                    "answer": dict(results[main].value),  # a copy: the rendering is shared
                    "answers": {name: {**r.value, "description": r.description} for name, r in results.items()},
                    "tolerance": None if fixed.tolerance is None else dict(fixed.tolerance),
                })
                members += (f', "params": {params_text}, "result": {json_name(main)}, '
                            f'"answer": {results[main].value_json}, '
                            f'"answers": {{{", ".join(r.member_json for r in results.values())}}}, '
                            f'"tolerance": {fixed.tolerance_json}')
                group = "parts" if numeric else "written_parts"
            entries[group].append(entry)
            texts[group].append(KeyEntryJSON(group, fixed.label, fixed.label_json, members))
    header = spec.header
    key = {
        "schema": KEY_SCHEMA,
        "format": "derive-worksheet-key",
        "title": header["title"],
        "course": header["course"],
        "date": header["date"],
        "variant": variant,
        "source": header["source"],
        "total_points": header["total_points"],
        "precision": {"decimals": precision.decimals, "sigfigs": precision.sigfigs,
                      "rounding": "half away from zero, from the exact value"},
        **entries,
    }
    return key, tuple(texts["parts"] + texts["written_parts"])


@dataclass(frozen=True)
class FixedEntry:
    """What a part's key entry has in every variant: the members after its label (up to
    "kind" for a computed part, all of them for the others) and its tolerance."""

    label: str
    label_json: str
    members: dict
    members_json: str
    tolerance: dict | None
    tolerance_json: str


def fixed_entry(problem, part, tolerance, problem_title: str) -> FixedEntry:
    """A part's `FixedEntry`; `problem_title` is the problem's title as plain text."""
    members = {
        "problem": problem.number,
        "subpart": part.label,
        "problem_title": problem_title,
        "type": part.type,
        "points": points_json(part.points),
        "question": part.question.source,
    }
    tol = None
    if part.type == "computed":
        if part.answer:
            members["model_answer"] = part.answer.source
        members["kind"] = problem.kind
        tol = _tolerance_dict(part.tolerance or tolerance)
    else:
        if part.type == "choice":
            members.update({"choices": [c.source for c in part.choices], "correct": part.correct_letter})
        members["model_answer"] = part.answer.source
    label = problem.label(part)
    return FixedEntry(label, json_line(label), members, json_line(members)[1:-1], tol, json_line(tol))


def _tolerance_dict(tol) -> dict | None:
    if tol is None:
        return None
    out = {"mode": tol.mode}
    if tol.digits is not None:
        out["digits"] = tol.digits
    for name in ("rtol", "atol"):  # exact fractions as strings ("1/100"), as verify reads them
        value = getattr(tol, name)
        if value is not None:
            out[name] = str(value)
    if tol.last_place_slack:
        out["last_place_slack"] = True
    return out
