"""Randomized problem sets: seeds, distinctness, constraints, verification, files, CLI."""

import csv
import dataclasses
import json
import random
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from derive import generate as G
from derive.api import make_params, solve_params
from derive.cli import main
from derive.errors import DeriveError, InputError
from derive.kinds.normalization import moments
from derive.kinds.sampling import solution_level
from derive.model import Check
from derive.registry import get_kind
from derive.variant_output import combine_documents, generate_into
from derive.worksheet import SolvedProblem, load_worksheet, parse_worksheet

ROOT = Path(__file__).resolve().parent.parent
SEED_SPEC = ROOT / "examples" / "normalization-regularization.toml"

SMALL_SPEC = '''
title = "Quiz"
course = "DL"
[[problems]]
kind = "layernorm"
[[problems.parts]]
points = 2
question = "Compute LayerNorm(X)."
[[problems.parts]]
points = 1
question = "Why?"
answer = "Because."
[[problems]]
kind = "dropout"
difficulty = "medium"
[[problems.parts]]
results = ["y_corr"]
[[problems]]
title = "Concepts"
[[problems.parts]]
question = "Which layer behaves differently at test time?"
answer = "Dropout."
'''


@pytest.fixture(scope="module")
def seed_ws():
    return load_worksheet(SEED_SPEC, require_params=False)


@pytest.fixture
def small_spec(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(SMALL_SPEC, encoding="utf-8")
    return path


def _small_ws():
    return parse_worksheet(SMALL_SPEC, require_params=False)


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# -- seeds and plans -------------------------------------------------------------------

def test_variant_seed_is_a_fixed_function_of_its_inputs():
    # Pinned: a change here reshuffles every problem set generated so far.
    assert G.variant_seed(7, 1, 2) == int.from_bytes(__import__("hashlib").sha256(b"7:1:2").digest()[:8], "big")
    seeds = {G.variant_seed(7, k, i, a) for k in range(1, 30) for i in range(1, 6) for a in range(3)}
    assert len(seeds) == 29 * 5 * 3
    assert G.variant_ids(3) == ("v01", "v02", "v03")
    assert G.variant_ids(120)[0] == "v001"


def test_the_seed_worksheet_varies_what_its_sheet_shows(seed_ws):
    plan = G.prepare(seed_ws, 3, 7)
    assert [(s.number, s.kind, s.difficulty) for s in plan.slots] == [
        (1, "model-size", "medium"), (2, "layernorm", "hard"), (3, "batchnorm", "hard"), (4, "dropout", "easy")]
    assert [n for n, _ in plan.fixed] == [5]  # statement = false: its own text holds the data
    forced = G.prepare(seed_ws, 3, 7, vary=[2, 5], difficulty="easy")
    assert [(s.number, s.difficulty, s.show_statement) for s in forced.slots] == [(2, "easy", False), (5, "easy", True)]
    assert [n for n, _ in forced.fixed] == [1, 3, 4]


def test_a_problem_s_own_difficulty_wins_over_the_run_s():
    plan = G.prepare(_small_ws(), 2, 1, difficulty="easy")
    assert [s.difficulty for s in plan.slots] == ["easy", "medium"]


def test_variant_k_depends_neither_on_n_nor_on_problems_appended():
    ws = _small_ws()
    few, many = G.plan_variants(ws, 3, 11), G.plan_variants(ws, 8, 11)
    assert [v.fingerprints for v in few.variants] == [v.fingerprints for v in many.variants[:3]]
    longer = parse_worksheet(SMALL_SPEC + '\n[[problems]]\nkind = "batchnorm"\n', require_params=False)
    grown = G.plan_variants(longer, 3, 11)
    assert [v.fingerprints[:2] for v in grown.variants] == [v.fingerprints for v in few.variants]
    assert G.plan_variants(ws, 3, 12).variants[0].fingerprints != few.variants[0].fingerprints


@pytest.mark.parametrize("kwargs, field", [
    ({"n": 0}, "variants"), ({"n": -3}, "variants"), ({"n": G.MAX_VARIANTS + 1}, "variants"),
    ({"n": "5"}, "variants"), ({"seed": -1}, "seed"), ({"seed": 2**63}, "seed"), ({"seed": 1.5}, "seed"),
    ({"difficulty": "brutal"}, "difficulty"), ({"vary": [9]}, "vary"),
])
def test_bad_requests_are_input_errors(kwargs, field):
    args = {"n": 3, "seed": 1, **kwargs}
    with pytest.raises(InputError) as info:
        G.prepare(_small_ws(), args.pop("n"), args.pop("seed"), **args)
    assert info.value.field == field


def test_a_spec_with_nothing_to_vary_is_refused():
    ws = parse_worksheet('title = "T"\n[[problems]]\nkind = "layernorm"\nstatement = false\n'
                         'params = { X = [[1, 2]] }\n')
    with pytest.raises(InputError, match="no problem can vary"):
        G.prepare(ws, 2, 1)


# -- distinctness -------------------------------------------------------------------------

TINY = [[[0, 1, 2, 3]], [[0, 2, 2, 4]], [[1, 1, 1, 5]]]


@pytest.fixture
def three_layernorms(monkeypatch):
    """LayerNorm with a generator that knows only three problems."""
    real = get_kind("layernorm")

    def tiny(rng, difficulty="hard"):
        return make_params("layernorm", X=TINY[rng.randrange(3)], eps=0)

    kind = dataclasses.replace(real, generate=tiny)
    monkeypatch.setattr(G, "get_kind", lambda name: kind if name == "layernorm" else get_kind(name))


def test_repeats_are_drawn_again_until_distinct(three_layernorms):
    # Seed 3 draws problems 2, 2, 0 first: v02 repeats v01 and is drawn again.
    plan = G.plan_variants(parse_worksheet('title = "T"\n[[problems]]\nkind = "layernorm"\n', require_params=False),
                           3, 3)
    assert sorted(v.params[0].X for v in plan.variants) == sorted(
        tuple(tuple(Fraction(x) for x in row) for row in X) for X in TINY)
    assert plan.variants[0].attempts == (0,) and plan.variants[1].attempts[0] > 0
    again = G.plan_variants(plan.worksheet, 3, 3)
    assert [v.params for v in again.variants] == [v.params for v in plan.variants]


def test_too_many_variants_for_the_space_names_the_problem(three_layernorms):
    ws = parse_worksheet('title = "T"\n[[problems]]\nkind = "layernorm"\n', require_params=False)
    with pytest.raises(InputError, match=r"problem 1 \(layernorm\): cannot make v04 differ from the 3 earlier"):
        G.plan_variants(ws, 4, 5)
    with pytest.raises(InputError, match=r"problem 1 \(layernorm\)"):
        list(G.iter_variants(G.prepare(ws, 4, 5), jobs=1))


def test_variants_of_the_seed_worksheet_are_distinct(seed_ws):
    plan = G.plan_variants(seed_ws, 60, 7)
    for j in range(len(plan.slots)):
        assert len({v.fingerprints[j] for v in plan.variants}) == 60


# -- every variant's constraints, on the exact solution ---------------------------------

def _blanks(p) -> int:
    return sum(layer.count("?") for layer in p.layers)


def _constraints_hold(kind: str, difficulty: str, p) -> None:
    """The promise of each kind's generator, checked on the exact solution."""
    sol = solve_params(kind, p, ())
    if kind in ("layernorm", "batchnorm"):
        vectors = p.X if kind == "layernorm" else tuple(zip(*p.X))
        assert p.eps == 0 and all(moments(v).var > 0 for v in vectors)
        assert len(set(vectors)) == len(vectors)
        assert solution_level(sol.results[0].value) == difficulty
    elif kind == "dropout":
        assert 0 < p.p < 1 and 0 < sum(p.mask) < len(p.mask)  # some units kept, some dropped
        if difficulty == "easy":
            assert set(p.w) == {1}
    elif kind == "l2":
        from derive.kinds.l2_params import setup
        from derive.kinds.l2_ridge import rank

        S = setup(p)
        gram = [[sum(r[i] * r[j] for r in S.X) for j in range(len(S.X[0]))] for i in range(len(S.X[0]))]
        assert rank(gram) == len(S.X[0])  # XᵀX has full rank: θ* is unique
    elif kind == "model-size":
        assert all(d is not None for shape in p.model.shapes for d in shape)  # every ? is determined
        # the number of blanks is chosen by the level, not by chance
        assert _blanks(p) == _blanks(get_kind(kind).generate(random.Random(0), difficulty)) >= 1


KINDS = ["layernorm", "batchnorm", "dropout", "l2", "model-size"]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), kind=st.sampled_from(KINDS), difficulty=st.sampled_from(["easy", "medium", "hard"]))
def test_every_generated_variant_keeps_its_kind_s_promise(seed, kind, difficulty):
    _constraints_hold(kind, difficulty, get_kind(kind).generate(random.Random(seed), difficulty))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_every_variant_s_key_is_verified_numerically(seed, seed_ws):
    for built in G.generate_variants(seed_ws, 2, seed):
        for sp in built.solved.problems:
            if sp.solution is not None:
                assert sp.solution.checks and all(c.ok for c in sp.solution.checks)
        for slot, params in zip(G.prepare(seed_ws, 2, seed).slots, built.planned.params):
            _constraints_hold(slot.kind, slot.difficulty, params)


def test_a_disagreeing_check_stops_the_run():
    sol = solve_params("layernorm", make_params("layernorm", X=[[1, 2]]), ())
    problem = _small_ws().problems[0]
    with pytest.raises(DeriveError, match="no numeric check ran"):
        G.verify(SolvedProblem(problem, sol), "v01, problem 1")
    bad = dataclasses.replace(sol, checks=(Check("numpy", "float64", 0.5, False),))
    with pytest.raises(DeriveError, match=r"v01, problem 1: the numeric check disagrees .*numpy: float64, max \|error\| 0.5"):
        G.verify(SolvedProblem(problem, bad), "v01, problem 1")


# -- output --------------------------------------------------------------------------------

def _generate(spec, out, *args) -> int:
    return main(["generate", str(spec), "-o", str(out), "--quiet", *args])


def test_same_seed_same_bytes_any_number_of_jobs(seed_ws, tmp_path):
    assert _generate(SEED_SPEC, tmp_path / "a", "--variants", "6", "--seed", "7", "--no-pdf", "--jobs", "1") == 0
    assert _generate(SEED_SPEC, tmp_path / "b", "--variants", "6", "--seed", "7", "--no-pdf", "--jobs", "2") == 0
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert {name.split("/")[0] for name in a} == {"key.json", "key.csv", *G.variant_ids(6)}
    assert _generate(SEED_SPEC, tmp_path / "c", "--variants", "6", "--seed", "8", "--no-pdf") == 0
    assert _tree(tmp_path / "c")["v01/questions.tex"] != a["v01/questions.tex"]


def test_workers_send_text_and_the_text_is_what_one_process_writes(seed_ws):
    """Variants built in worker processes come back as their files' text only; that text
    is the same as the documents a single process builds."""
    one = G.generate_variants(seed_ws, 4, 3)
    many = list(G.iter_variants(G.prepare(seed_ws, 4, 3), jobs=2))
    assert [b.id for b in many] == [b.id for b in one]
    assert all(b.documents is None and b.solved is None for b in many[1:])  # v01 is built before forking
    for a, b in zip(one, many):
        assert a.files == b.files
        assert a.files.tex == a.documents.tex()
        assert json.loads(a.files.key_json) == a.documents.key_json
        lines = a.files.key_parts.splitlines()
        assert len(lines) == a.files.counts[0] == len(a.documents.key_json["parts"])
        assert all(json.loads(line)["variant"] == a.id for line in lines)


def test_workers_write_their_folders_and_a_repeat_is_rewritten_here(three_layernorms, tmp_path):
    """With workers writing each variant's folder, a variant that repeats an earlier one is
    built again by the main process, whose files replace the worker's: the same bytes as
    one process writes, combined documents included."""
    ws = parse_worksheet('title = "T"\n[[problems]]\nkind = "layernorm"\n', require_params=False)
    for jobs in (1, 2):  # seed 3: v02 (built by a worker) repeats v01 and is drawn again
        generate_into(G.prepare(ws, 3, 3), tmp_path / f"j{jobs}", {"format": "t"}, pdf=False, combined=True,
                      jobs=jobs, checks=())
    one, two = _tree(tmp_path / "j1"), _tree(tmp_path / "j2")
    assert one == two
    keys = [json.loads(one[f"{vid}/key.json"])["parts"][0]["params"]["X"] for vid in G.variant_ids(3)]
    assert sorted(keys) == sorted([[str(x) for x in row] for row in X] for X in TINY)  # all three, once each
    assert all(b"Variant 0%d" % k in one["questions.tex"] for k in (1, 2, 3))


def test_the_combined_key_grades_each_variant(small_spec, tmp_path):
    from derive.grading import grade, load_key, read_answers

    out = tmp_path / "out"
    assert _generate(small_spec, out, "--variants", "4", "--seed", "3", "--no-pdf") == 0
    key = json.loads((out / "key.json").read_text())
    assert key["format"] == "derive-variants-key" and key["seed"] == 3 and key["variants"] == 4
    assert [p["part"] for p in key["parts"]] == [f"v0{k}/{p}" for k in range(1, 5) for p in ("1a", "2a")]
    assert [p["part"] for p in key["written_parts"]] == [f"v0{k}/{p}" for k in range(1, 5) for p in ("1b", "3a")]
    rows = list(csv.DictReader((out / "key.csv").open()))
    graded = [r for r in rows if r["graded"] == "yes"]
    assert len(graded) == 8
    answers = "student,part,answer\n" + "".join(
        f'{r["variant"]},{r["label"]},"{r[column]}"\n' for r in graded for column in ("decimal", "exact"))
    report = grade(load_key(out / "key.json"), read_answers(answers))
    assert {r.status for r in report.rows} == {"correct"} and len(report.rows) == 16
    per_variant = json.loads((out / "v02" / "key.json").read_text())
    assert per_variant["variant"] == "Variant 02" and per_variant["parts"][0]["part"] == "1a"


def test_moodle_bank_has_a_category_per_part(small_spec, tmp_path):
    out = tmp_path / "out"
    assert _generate(small_spec, out, "--variants", "3", "--seed", "3", "--no-pdf", "--moodle") == 0
    quiz = ET.parse(out / "moodle.xml").getroot()
    categories = [q.find("category/text").text for q in quiz if q.get("type") == "category"]
    assert categories == ["$course$/top/Quiz/1a Layer normalization", "$course$/top/Quiz/1b Layer normalization",
                          "$course$/top/Quiz/2a Dropout", "$course$/top/Quiz/3a Concepts"]
    names = [q.find("name/text").text for q in quiz if q.get("type") != "category"]
    assert names[:3] == [f"1a Layer normalization (v0{k})" for k in (1, 2, 3)]
    # 1b asks about each variant's own data; 3a is the same in every variant and kept once.
    assert names[3:6] == [f"1b Layer normalization (v0{k})" for k in (1, 2, 3)]
    assert names[-1] == "3a Concepts (v01)" and len(names) == 10


def test_combined_document_restarts_pages_and_questions():
    ws = _small_ws()
    built = G.generate_variants(ws, 2, 1)
    tex = combine_documents([(b.id, b.documents.questions) for b in built])
    assert tex.count("\\begin{document}") == 1 and tex.count("\\end{document}") == 1
    assert tex.count("\\setcounter{page}{1}\\setcounter{question}{0}\\makeatletter\\set@hlfcntr{numpoints}{0}") == 2
    assert "Questions --- Variant 02" in tex and "\\pageref{derive@last@v02}" in tex


def test_rerun_replaces_its_own_folder_but_never_a_foreign_one(small_spec, tmp_path):
    out = tmp_path / "out"
    assert _generate(small_spec, out, "--variants", "3", "--seed", "1", "--no-pdf") == 0
    assert _generate(small_spec, out, "--variants", "2", "--seed", "1", "--no-pdf") == 0
    assert sorted(p.name for p in out.iterdir()) == ["key.csv", "key.json", "v01", "v02"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert _generate(small_spec, foreign, "--variants", "2", "--seed", "1", "--no-pdf") == 2
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args, message", [
    (["--variants", "0", "--seed", "1"], "--variants: must be at least 1, got 0"),
    (["--variants", "10001", "--seed", "1"], "--variants: at most 10000 variants per run"),
    (["--variants", "many", "--seed", "1"], "--variants: must be a whole number, got 'many'"),
    (["--variants", "2", "--seed", "-4"], "--seed: must be between 0 and 2^63 - 1"),
    (["--variants", "2", "--seed", "1", "--difficulty", "brutal"], "--difficulty: must be one of easy, medium, hard"),
    (["--variants", "2", "--seed", "1", "--vary", "7"], "--vary: no problem 7"),
    (["--variants", "2", "--seed", "1", "--jobs", "0"], "--jobs: must be between 1 and 64"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(small_spec, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert _generate(small_spec, out, *args, "--no-pdf") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["quiz.toml"]


def test_an_unwritable_output_is_one_line(small_spec, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert _generate(small_spec, tmp_path / "file" / "out", "--variants", "2", "--seed", "1", "--no-pdf") == 2
    assert capsys.readouterr().err.startswith("derive generate: error: output: cannot write")


def test_unmeetable_constraints_exit_2_and_leave_nothing(small_spec, tmp_path, capsys, three_layernorms):
    assert _generate(small_spec, tmp_path / "out", "--variants", "5", "--seed", "1", "--no-pdf", "--jobs", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith("derive generate: error: problem 1 (layernorm): cannot make v04 differ")
    assert [p.name for p in tmp_path.iterdir()] == ["quiz.toml"]


def test_summary_names_what_varied(capsys, tmp_path):
    assert main(["generate", str(SEED_SPEC), "--variants", "2", "--seed", "7", "-o", str(tmp_path / "o"),
                 "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "2 variants (v01-v02)" in out and "4 dropout (easy)" in out and "kept as written: problem 5" in out


@pytest.mark.requires_tool("pdflatex", "pdftotext")
def test_pdfs_are_byte_identical_and_combined_once(small_spec, tmp_path):
    import subprocess

    for name in ("a", "b"):
        assert _generate(small_spec, tmp_path / name, "--variants", "2", "--seed", "9", "--combined") == 0
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert {n for n in a if n.endswith(".pdf")} == {"questions.pdf", "solutions.pdf", "key.pdf"}
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "a" / "questions.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    first = pages[0]
    second = next(p for p in pages if "Questions — Variant 02" in p)  # a fresh start: page 1 of its own
    for page in (first, second):
        assert "Page 1 of 2" in page and "Total" in page  # grade table with one variant's questions
    assert "Questions — Variant 01" in first


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_the_example_spec_s_prose_holds_for_every_variant(seed_ws, difficulty):
    """Its model-size text speaks of four linear layers and z_1 ... z_11: the problem pins the
    generator level that draws such models, whatever the run asks for."""
    plan = G.plan_variants(seed_ws, 12, 5, difficulty=difficulty)
    j = [s.kind for s in plan.slots].index("model-size")
    assert plan.slots[j].difficulty == "medium"
    for v in plan.variants:
        layers = v.params[j].layers
        assert len(layers) == 10 and sum(str(layer).startswith("Linear") for layer in layers) == 4
    texts = " ".join(part.question.source for problem in seed_ws.problems for part in problem.parts)
    assert "has 3 examples" not in texts and "much closer" not in texts  # facts of the seed's data only
