"""key.json: a worksheet's answer key as JSON text, put together from pieces encoded once.

The schema is described in `derive.documents` (and docs/worksheets.md).  A problem set's
variants share everything but their numbers, so each part's fixed members (label, points,
question, tolerance) are encoded once per spec and each answer once per result; a
variant's entries are these pieces joined (`KeyEntryJSON`), and the combined key of a
problem set relabels the same text ("v07/2a") instead of encoding the entries again.
"""

from __future__ import annotations

import csv
import json
import json.encoder
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Callable

__all__ = ["KEY_SCHEMA", "KEY_LISTS", "json_line", "json_canonical", "json_name", "key_json_text", "points_json", "points_text",
           "KeyEntryJSON", "KeyParts", "FixedEntry", "fixed_entry", "assemble_key", "csv_text", "csv_cell", "csv_rows"]

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


def json_canonical(value) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``: one text per value
    whatever the order of its dicts (what variants' params are told apart by).  json.dumps
    with options builds an encoder per call, three times the cost of the encoding."""
    return "".join(_C_CANONICAL(value, 0)) if _C_CANONICAL is not None else _CANONICAL.encode(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # json.dumps makes one a call
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
# The C encoder that `encode` makes on every call, made once: without the markers of its
# check for circular references it keeps nothing between calls (key data are trees).
# ~20 calls a variant, each ~40 % cheaper.
# Its arguments are CPython's private interface (3.11): where it is missing, takes others or
# writes other text than `encode`, `json_line` and `json_canonical` use `encode`.


def _c_encoder(encoder: json.JSONEncoder):
    try:
        strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
        made = json.encoder.c_make_encoder(None, encoder.default, strings, None, encoder.key_separator,
                                           encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                                           encoder.allow_nan)
        sample = {"b": [1, 2.5, None, True, "é\n", {"z": 1, "y": [-0.0, 1e300]}], "a": {"c": "\"x\""}}
        return made if "".join(made(sample, 0)) == encoder.encode(sample) else None
    except (AttributeError, TypeError):
        return None


_C_ENCODE = _c_encoder(_ENCODER)
_C_CANONICAL = _c_encoder(_CANONICAL)
json_name = lru_cache(maxsize=1024)(json_line)  # strings that recur: member names, titles, result names


def key_json_text(key: dict, lists: tuple[str, ...] = KEY_LISTS, *,
                  encoded: dict[str, list[str]] | None = None) -> str:
    """key.json's text: the header indented, then each part on a line of its own
    (readable and diffable, and five times faster to write than indenting every level).
    `encoded`: list name → its entries' JSON text, when the caller has it already (the
    lists in `key` are then not read)."""
    lines = ["{"]
    items = list(key.items())
    for i, (name, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        texts = None  # an empty list is written as [] on the name's line
        if name in lists:
            texts = encoded[name] if encoded is not None else [json_line(entry) for entry in value]
        if texts:
            body = ",\n    ".join(texts)
            lines.append(f'  {json_name(name)}: [\n    {body}\n  ]{comma}')
        else:
            text = json_name(value) if isinstance(value, str) else json_line(value)
            lines.append(f"  {json_name(name)}: {text}{comma}")
    return "\n".join(lines) + "\n}\n"


# ---------------------------------------------------------------------------------
# key.csv's rows (derive.variant_output writes them): a row's cells are quoted one by one,
# so a row is its pieces' texts joined by commas, and each piece is written once.

class _Returned:
    write = str  # csv's writerow returns what `write` returns: here the row's text


_CSV = csv.writer(_Returned(), lineterminator="\n")


def csv_text(cells) -> str:
    """The cells (two or more) as a row of key.csv, without its line end."""
    return _CSV.writerow(cells)[:-1]


def csv_cell(value) -> str:
    """A CSV cell as a student would type it: ``5/3``, ``[1, -sqrt(3)]``, ``[[1, 2], [3, 4]]``."""
    if not isinstance(value, list):
        return str(value)
    try:
        return "[" + ", ".join(value) + "]"  # a vector's or a matrix row's strings, in one call
    except TypeError:  # lists or numbers inside
        return "[" + ", ".join(map(csv_cell, value)) + "]"


def csv_rows(entry: dict, group: str) -> tuple[str, ...]:
    """A key entry's rows of key.csv after the variant and label columns (one per result)."""
    if entry["type"] != "computed":
        return ()
    graded = group == "parts"
    return tuple(csv_text((entry["part"], entry["problem"], entry["kind"], name, entry["points"],
                           "yes" if graded and name == entry["result"] else "no",
                           csv_cell(answer["exact"]), csv_cell(answer["decimal"])))
                 for name, answer in entry["answers"].items())


# ---------------------------------------------------------------------------------
# A variant's key put together from pieces.

@dataclass(frozen=True)
class KeyEntryJSON:
    """One entry of key.json's parts or written parts as JSON text, cut after its label:
    the combined key of a problem set relabels it ("v07/2a") and adds the variant."""

    group: str      # "parts" or "written_parts"
    part: str       # "2a"
    part_json: str  # '"2a"'
    members: str    # its members after "part" and "label", as JSON
    csv_rows: tuple[str, ...] = ()  # its rows of key.csv after the variant and label columns

    @classmethod
    def of(cls, group: str, entry: dict) -> KeyEntryJSON:
        """Encode an entry of `key_dict` (whose first members are "part" and "label")."""
        rest = {name: value for name, value in entry.items() if name not in ("part", "label")}
        return cls(group, entry["part"], json_line(entry["part"]), json_line(rest)[1:-1], csv_rows(entry, group))

    def text(self, label_json: str | None = None, more: str = "") -> str:
        """The entry as JSON, labelled `label_json` (its part by default), `more` members after."""
        name = label_json or self.part_json
        return f'{{"part": {name}, "label": {name}, {self.members}{more}}}'


@dataclass(frozen=True)
class KeyParts:
    """A key as what its text is joined from: its members before the lists of parts (`head`)
    and its entries as JSON text.  The dict itself (`key`) is made only when asked for:
    writing a variant's files never needs it."""

    head: dict
    entries: tuple[KeyEntryJSON, ...]
    make: Callable[[], dict] = field(compare=False, repr=False)

    @classmethod
    def of(cls, key: dict) -> KeyParts:
        """The parts of a whole key dict (its entries encoded here)."""
        head = {name: value for name, value in key.items() if name not in KEY_LISTS}
        entries = tuple(KeyEntryJSON.of(group, entry) for group in KEY_LISTS for entry in key[group])
        return cls(head, entries, lambda: key)

    @cached_property
    def key(self) -> dict:
        return self.make()

    def text(self) -> str:
        encoded = {group: [e.text() for e in self.entries if e.group == group] for group in KEY_LISTS}
        return key_json_text({**self.head, **encoded}, encoded=encoded)


def _head(spec, precision, variant: str | None) -> dict:
    header = spec.header
    return {
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
    }


def _by_name(rendered) -> tuple[dict, str | None]:
    """A part's rendered results by name (as in its entry's "answers") and the name of the
    one graded automatically: the first number.  Only numbers can be graded so; a part
    without any (layer names, shapes, formulas in n) goes to people, in written_parts."""
    results = {r.name: r for r in rendered}
    return results, next((name for name, r in results.items() if r.numeric), None)


def assemble_key(solved, spec, precision, *, variant: str | None, answers) -> KeyParts:
    """`derive.documents.key_dict` as `KeyParts`: its entries' text (and key.csv's rows) put
    together from pieces, its dict made when asked for.

    `spec` holds what every variant of the worksheet shares (`header`: title, course, date,
    source, total points; `entries`: each problem's `FixedEntry`s), `answers.of(sp, part)`
    a part's rendered results: each part's fixed members are encoded once per spec, each
    answer once, and only what they are put together with for each variant.
    """
    from .render.json import params_json_text

    texts = {group: [] for group in KEY_LISTS}
    for sp, fixed_entries in zip(solved.problems, spec.entries):
        problem = sp.problem
        params_text = None
        for part, fixed in zip(problem.parts, fixed_entries):
            if fixed.written is not None:
                texts["written_parts"].append(fixed.written)
                continue
            results, graded = _by_name(answers.of(sp, part))
            main = graded or next(iter(results))
            if params_text is None:
                params_text = params_json_text(problem.params)
            members = (f'{fixed.members_json}, "params": {params_text}, "result": {json_name(main)}, '
                       f'"answer": {results[main].value_json}, '
                       f'"answers": {{{", ".join(r.member_json for r in results.values())}}}, '
                       f'"tolerance": {fixed.tolerance_json}')
            rows = tuple(f'{fixed.csv_head(name)},{"yes" if name == graded else "no"},{r.csv_values}'
                         for name, r in results.items())
            group = "parts" if graded is not None else "written_parts"
            texts[group].append(KeyEntryJSON(group, fixed.label, fixed.label_json, members, rows))
    return KeyParts(_head(spec, precision, variant), tuple(texts["parts"] + texts["written_parts"]),
                    lambda: _key_dict(solved, spec, precision, variant, answers))


def _key_dict(solved, spec, precision, variant: str | None, answers) -> dict:
    """The key as a dict (see `derive.documents.key_dict`)."""
    from .render.json import params_json

    entries = {group: [] for group in KEY_LISTS}
    for sp, fixed_entries in zip(solved.problems, spec.entries):
        problem = sp.problem
        for part, fixed in zip(problem.parts, fixed_entries):
            entry = {"part": fixed.label, "label": fixed.label, **fixed.members}
            group = "written_parts"
            if part.type == "computed":
                results, graded = _by_name(answers.of(sp, part))
                main = graded or next(iter(results))
                entry.update({
                    "params": params_json(problem.params),
                    "result": main,
                    "answer": dict(results[main].value),  # a copy: the rendering is shared
                    "answers": {name: {**r.value, "description": r.description} for name, r in results.items()},
                    "tolerance": None if fixed.tolerance is None else dict(fixed.tolerance),
                })
                group = "parts" if graded is not None else "written_parts"
            entries[group].append(entry)
    return {**_head(spec, precision, variant), **entries}


@dataclass(frozen=True)
class FixedEntry:
    """What a part's key entry has in every variant: the members after its label (up to
    "kind" for a computed part, all of them for the others: `written`, the entry itself)
    and its tolerance."""

    label: str
    label_json: str
    members: dict
    members_json: str
    tolerance: dict | None
    tolerance_json: str
    written: KeyEntryJSON | None = None  # a text or choice part's entry (the same in every variant)
    csv_heads: dict = field(default_factory=dict, compare=False, repr=False)  # result name → `csv_head`

    def csv_head(self, name: str) -> str:
        """The cells of a result's row of key.csv from the part's label to its points."""
        head = self.csv_heads.get(name)
        if head is None:
            m = self.members
            head = self.csv_heads[name] = csv_text((self.label, m["problem"], m["kind"], name, m["points"]))
        return head


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
    label_json, members_json = json_line(label), json_line(members)[1:-1]
    written = None if part.type == "computed" else KeyEntryJSON("written_parts", label, label_json, members_json)
    return FixedEntry(label, label_json, members, members_json, tol, json_line(tol), written)


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
