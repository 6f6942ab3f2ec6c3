"""Batch grading: key.json + CSV of answers -> verdicts, scores, diagnoses, summary."""

import csv
import io
import json
from fractions import Fraction

import pytest

from derive.cli import main
from derive.errors import InputError
from derive.grading import Submission, grade, load_key, read_answers

SEED_LN = {"X": [[4, 4, 8, 8], [0, 2, 2, 8], [1, 1, 1, 5]], "gamma": [1, 2, 3, 4], "beta": [0, -1, 1, 0], "eps": 0}
SEED_BN = {"X": [[2, 2, 1, 1], [2, 5, 4, 1], [5, 5, 10, 10]], "gamma": [1, 2, 3, 4], "beta": [0, -1, 1, 0],
           "eps": 0}
PRINTED = "[[-1,-3,4,4],[-1,-1.66,0.01,6.68],[-0.58,-2.16,-0.74,6.92]]"
RIGHT = "[[-1,-3,4,4],[-1,-1.67,0,6.67],[-0.58,-2.15,-0.73,6.93]]"

KEY = {
    "title": "Seed worksheet",
    "generator": "anything; unknown keys are ignored",
    "parts": [
        {"part": "2a", "kind": "layernorm", "points": 4, "params": SEED_LN, "result": "output",
         "exact": [["-1", "-3", "4", "4"], ["-1", "-5/3", "0", "20/3"],
                   ["-sqrt(3)/3", "-1 - 2*sqrt(3)/3", "1 - sqrt(3)", "4*sqrt(3)"]],
         "decimal": [["-1", "-3", "4", "4"]], "latex": "\\begin{bmatrix}...", "extra": {"a": 1}},
        {"part": "3a", "kind": "batchnorm", "points": 2, "params": SEED_BN},
        {"part": "4b", "kind": "dropout", "points": "1.5", "result": "y_corr",
         "params": {"x": [2, 6, 4, 4, 5, 3, 4, 4], "p": 0.75, "dropped": [0, 1, 2, 3, 4, 5]}},
        {"part": "q", "exact": "20/3", "tolerance": {"mode": "relative", "rtol": 0.001}},
    ],
}

ANSWERS = """student,part,answer
ann,2a,"{printed}"
bob,2a,"{right}"
cat,2a,"[[-1,-3,4,4],[-1,-1.67,0,6.67],[-0.58,-2.15,-0.73"
dan,2a,"{printed}"
ann,4b,10.67
bob,4b,32
cat,4b,8
dan,4b,\\frac{{32}}{{3}}
eve,q,6.667
eve,q,6.6
eve,zz,1
fay,2a,
""".format(printed=PRINTED, right=RIGHT)


@pytest.fixture(scope="module")
def report():
    return grade(load_key(KEY), read_answers(ANSWERS))


def test_statuses_scores_and_diagnoses(report):
    by = [(r.student, r.part, r.status, r.score) for r in report.rows]
    assert by == [
        ("ann", "2a", "wrong", Fraction(2)), ("bob", "2a", "correct", Fraction(4)),
        ("cat", "2a", "malformed", Fraction(0)), ("dan", "2a", "wrong", Fraction(2)),
        ("ann", "4b", "wrong", Fraction(0)), ("bob", "4b", "correct", Fraction(3, 2)),
        ("cat", "4b", "wrong", Fraction(0)), ("dan", "4b", "wrong", Fraction(0)),
        ("eve", "q", "correct", Fraction(1)), ("eve", "q", "wrong", Fraction(0)),
        ("eve", "zz", "unknown_part", Fraction(0)), ("fay", "2a", "blank", Fraction(0)),
    ]
    assert report.rows[0].diagnosis.name == "rounded_intermediates"
    assert report.rows[0].report is report.rows[3].report  # identical answers judged once
    assert [report.rows[i].diagnosis.name for i in (4, 6, 7)] == ["scaled_by_inverse_p", "no_correction",
                                                                  "scaled_by_inverse_p"]
    assert "position 50" in report.rows[2].message


def test_summary_most_common_mistakes(report):
    top = report.mistakes()
    assert (top[0]["part"], top[0]["name"], top[0]["count"]) in {("2a", "rounded_intermediates", 2),
                                                                  ("4b", "scaled_by_inverse_p", 2)}
    assert {(m["part"], m["name"]): m["count"] for m in top} == {
        ("2a", "rounded_intermediates"): 2, ("4b", "scaled_by_inverse_p"): 2, ("4b", "no_correction"): 1}
    parts = {p["part"]: p for p in report.parts()}
    assert parts["2a"]["answers"] == 5 and parts["2a"]["correct"] == 1 and parts["2a"]["malformed"] == 2
    students = {s["student"]: s for s in report.students()}
    assert students["eve"]["parts"] == {"q": "0"}  # the resubmission replaces the first
    assert students["bob"]["score"] == "5.5" and students["bob"]["points"] == "8.5"
    text = report.to_text()
    assert "Most common mistakes" in text and "rounded intermediates: 2 answers" in text


def test_part_labels_ignore_case_and_spaces():
    r = grade(load_key(KEY), [Submission("ann", " 4B ", "32")])
    assert r.rows[0].status == "correct" and r.rows[0].part == "4b"


def test_no_partial_credit():
    key = load_key(KEY)
    r = grade(key, [Submission("ann", "2a", PRINTED)], partial=False)
    assert r.rows[0].score == 0 and r.rows[0].status == "wrong"


def test_tolerance_override():
    key = load_key(KEY)
    r = grade(key, [Submission("ann", "q", "6.6")], tolerance="prairielearn")
    assert r.rows[0].status == "correct"  # |6.6 − 20/3| ≤ 1 % of 20/3


def test_csv_and_json_outputs(report):
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows[0]["status"] == "wrong" and rows[0]["diagnosis"] == "rounded_intermediates"
    assert rows[0]["entries_correct"] == "6" and rows[0]["entries_total"] == "12"
    assert rows[0]["step"] == "Scale and shift" and rows[0]["score"] == "2"
    assert rows[7]["answer"] == "\\frac{32}{3}"
    data = json.loads(report.to_json())
    assert data["summary"]["statuses"] == {"correct": 3, "wrong": 6, "malformed": 1, "blank": 1,
                                           "unknown_part": 1}
    assert data["results"][0]["wrong_entries"] == [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]]
    assert data["results"][0]["value"][1][1] == "-83/50"


def test_formula_injection_is_neutralized():
    key = load_key(KEY)
    r = grade(key, [Submission("=cmd|' /C calc'!A0", "q", "=1+1"), Submission("x", "q", "-6.67")])
    rows = list(csv.reader(io.StringIO(r.to_csv())))
    assert rows[1][0].startswith("'=") and rows[1][2] == "'=1+1" and rows[1][3] == "malformed"
    assert rows[2][2] == "-6.67"


def test_key_formats():
    nested = {"problems": [{"part": "2", "kind": "layernorm", "params": SEED_LN,
                            "parts": [{"part": "a", "points": 3}]}]}
    key = load_key(nested)
    assert [p.label for p in key.parts] == ["2a"] and key.parts[0].points == 3
    listed = load_key(json.dumps([{"id": 7, "kind": "dropout", "result": "y_drop",
                                   "params": {"x": [1, 2], "p": "1/2", "mask": [1, 0]}}]))
    assert listed.parts[0].label == "7" and listed.parts[0].params.p == Fraction(1, 2)
    exact_dict = load_key({"parts": [{"part": "z", "exact": {"exact": ["1/2", "sqrt(2)"], "decimal": ["0.5"]}}]})
    assert grade(exact_dict, [Submission("a", "z", "[0.5, 1.41]")]).rows[0].status == "correct"


@pytest.mark.parametrize("bad, message", [
    ({"parts": [{"kind": "layernorm", "params": SEED_LN}]}, "no \"part\" label"),
    ({"parts": [{"part": "a", "kind": "layernorm"}]}, "params"),
    ({"parts": [{"part": "a", "kind": "layernorm", "params": {"X": [[1, 2]], "gama": [1, 2]}}]}, "gama"),
    ({"parts": [{"part": "a", "kind": "layernorm", "params": SEED_LN, "exact": [["1"]]}]}, "differs"),
    ({"parts": [{"part": "a", "exact": "1"}, {"part": "a", "exact": "2"}]}, "twice"),
    ({"parts": [{"part": "a", "exact": "__import__('os')"}]}, "exact"),
    ({"nothing": 1}, "parts"),
    ("{not json", "not valid JSON"),
    ('{"parts": [{"part": "a", "exact": ' + "[" * 5000 + '"1"' + "]" * 5000 + "}]}", "nested more than 32 levels"),
])
def test_bad_keys(bad, message):
    with pytest.raises(InputError, match=message):
        load_key(json.dumps(bad) if isinstance(bad, dict) else bad)


def test_read_answers_headers():
    subs = read_answers("\ufeffStudent ID,Question,Response,extra\ns1,2a,1,x\n\n")
    assert subs == [Submission("s1", "2a", "1", 2)]
    with pytest.raises(InputError, match="no 'answer' column"):
        read_answers("student,part\ns,1\n")


def test_cli_grade_writes_all_or_nothing(tmp_path, capsys):
    key, answers = tmp_path / "key.json", tmp_path / "answers.csv"
    key.write_text(json.dumps(KEY))
    answers.write_text(ANSWERS)
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["grades.csv", "grades.json", "summary.txt"]
    assert "Most common mistakes" in capsys.readouterr().out
    assert main(["grade", str(key), str(answers), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["answers"] == 12
    key.write_text('{"parts": [{"part": "a"}]}')
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "part a" in err and not (tmp_path / "out2").exists()


def test_worksheet_key_json_grades(tmp_path):
    """The key `derive worksheet` writes (derive.documents.key_dict) is read as it is."""
    pytest.importorskip("derive.kinds.l2")  # the example worksheet has an L2 problem
    from derive.documents import key_dict
    from derive.worksheet import load_worksheet, solve_worksheet

    key_json = key_dict(solve_worksheet(load_worksheet("examples/normalization-regularization.toml"), checks=()))
    key = load_key(json.loads(json.dumps(key_json)))
    labels = {p.label: p for p in key.parts}
    assert labels["2a"].kind == "layernorm" and labels["2a"].exact is not None
    subs = [Submission("ann", "2a", PRINTED), Submission("ann", "4b", "32"), Submission("bob", "4b", "8"),
            Submission("bob", "2a", RIGHT)]
    rows = grade(key, subs).rows
    assert [r.status for r in rows] == ["wrong", "correct", "wrong", "correct"]
    assert rows[0].diagnosis.name == "rounded_intermediates" and rows[2].diagnosis.name == "no_correction"
    assert rows[0].points == labels["2a"].points
