"""Model size: the seed's numbers, the grammar, constraint solving, counts and errors.

The known-good totals here are computed by hand from the layer formulas; the torch
tests (test_model_size_torch.py) check them against real modules.
"""

import random
import time

import pytest
import sympy

import derive
from derive.errors import InputError
from derive.kinds import model_size as ms
from derive.modelsize import layers as L
from derive.modelsize.infer import conv_out_size
from derive.modelsize.spec import parse_input_shape, parse_layers, parse_loss
from derive.params import build

SEED_LAYERS = ("Linear(52, ?); LayerNorm; ReLU; Linear(128, 256); LayerNorm; ReLU; "
               "Linear(?, 20); LayerNorm; ReLU; Linear(?, ?)")
SEED = dict(layers=SEED_LAYERS, input_shape=[4, 52], num_classes=1000)


def solve(**kw):
    return derive.solve("model-size", checks="none", **kw)


def params(**kw):
    return build(ms.ModelSizeParams, kw)


def results(sol):
    return {r.name: r.value for r in sol.results}


def texts(column):
    return [row[0].text for row in column]


# -- the seed (acceptance) ----------------------------------------------------------------------
def test_seed_dimensions_shapes_and_counts():
    r = results(solve(**SEED))
    assert texts(r["dims"]) == [
        "Linear(52, 128)", "LayerNorm(128)", "ReLU", "Linear(128, 256)", "LayerNorm(256)", "ReLU",
        "Linear(256, 20)", "LayerNorm(20)", "ReLU", "Linear(20, 1000)"]
    assert texts(r["shapes"]) == ["[4, 128]"] * 3 + ["[4, 256]"] * 3 + ["[4, 20]"] * 3 + ["[4, 1000]", "[]"]
    assert r["params"] == 66756
    assert r["activations"] == 8848
    assert r["K"] == 2212
    assert r["activations_n"] == 2212 * sympy.Symbol("n", positive=True, integer=True)
    assert r["logits"].text == "z10"
    assert r["buffers"] == 0


def test_seed_crossover_batch_is_31():
    r = results(solve(**SEED))
    C, K, n = r["params"], r["K"], r["crossover_batch"]
    assert n == 31
    assert n * K > C >= (n - 1) * K        # 68572 > 66756 ≥ 66360


def test_seed_reduction_none_gives_a_vector_loss():
    r = results(solve(**SEED, loss="CrossEntropyLoss(reduction='none')"))
    assert texts(r["shapes"])[-1] == "[4]"
    assert r["activations"] == 8848          # the loss output is not an intermediate activation
    r = results(solve(**SEED, loss="CrossEntropyLoss(reduction='sum')"))
    assert texts(r["shapes"])[-1] == "[]"


def test_a_long_group_of_equal_activations_names_its_first_and_last():
    """Two blocks of equal width make a group of six outputs; named one by one, with six
    labels in its note, the group's row ran the LaTeX block 218 pt past the line."""
    sol = solve(layers="Linear(16, 32); LayerNorm; ReLU; Linear(32, 32); LayerNorm; ReLU; Linear(32, 10)",
                input_shape=[8, 16], num_classes=10)
    text = sol.to_text()
    assert "ẑ₁ + … + ẑ₆ = 6 · n · 32 = 192 · n    (the 6 layers Linear1 … ReLU2)" in text
    assert "ẑ₇ = n · 10    (Linear3)" in text
    assert "Z = ẑ₁ + ẑ₂ + … + ẑ₇    (Z is a multiple of n)" in text
    assert results(sol)["activations"] == 8 * (6 * 32 + 10)


def test_seed_spec_file_and_blanks_written_like_the_worksheet():
    r = results(derive.solve("model-size", spec="examples/model.toml", checks="none"))
    assert (r["params"], r["activations"], r["crossover_batch"]) == (66756, 8848, 31)
    # the worksheet's own notation: numbered names and _____ blanks
    ws = ("Linear1(in_feats=52, out_feats=_____); LayerNorm; ReLU; Linear2(in_feats=128, out_feats=256); LayerNorm; "
          "ReLU; Linear3(in_feats=_____, out_feats=20); LayerNorm; ReLU; Linear4(in_feats=_____, out_feats=_____)")
    assert results(solve(layers=ws, input_shape=[4, 52], num_classes=1000))["params"] == 66756


def test_seed_steps_read_like_the_worksheet():
    sol = solve(**SEED)
    text = sol.to_text()
    # the line's symbol names the layer, so its note does not repeat it
    assert "C_Linear1 = 52 · 128 + 128 = 6784    (weights and biases)" in text
    assert "C_LayerNorm1 = 128 + 128 = 256    (γ and β parameters)" in text
    # seven values and their total: the total on a row of its own, as the seed writes it
    assert "C = 6784 + 256 + 33024 + 512 + 5140 + 40 + 21000    (total parameters)\n    = 66756\n" in text
    assert "ẑ₁ + ẑ₂ + ẑ₃ = 3 · n · 128 = 384 · n    (Linear1, LayerNorm1, ReLU1)" in text
    assert "Z = ẑ₁ + ẑ₂ + … + ẑ₁₀    (Z is a multiple of n)\n    = 3 · n · 128 + 3 · n · 256 + 3 · n · 20 + n · 1000\n" in text
    assert "Z = 3 · 4 · 128 + 3 · 4 · 256 + 3 · 4 · 20 + 4 · 1000    (n = 4)\n    = 8848\n" in text
    assert "Linear4 = Linear(?, ?) = Linear(20, 1000)" in text
    assert "shape(z₁₁) = []" in text
    assert "n* = ⌊C/K⌋ + 1 = 30 + 1 = 31" in text
    assert "is the logits" in text and "Softmax" in text
    titles = [s.title for s in sol.steps]
    assert titles == ["Missing dimensions", "Activation shapes", "Logits and probabilities", "Parameter count C",
                      "Activation count Z", "Memory", "Activations or parameters?"]


def test_the_solution_names_only_what_this_model_has():
    # The seed: four ? in the list, three LayerNorms without a size; no Dropout, BatchNorm,
    # tied weight or Conv2d, so the general sentences about them stay out.
    sol = solve(**SEED)
    text, tex = sol.to_text(), sol.to_latex()
    assert ("7 missing dimensions solved: 4 written ? and 3 that the layer list leaves out. Each layer's "
            "input must match the output of the layer before it (the first matches the input x); LayerNorm "
            "and ReLU keep the feature count; the logits have num_classes = 1000 entries per example.") in text
    assert "C counts trainable parameters (weights, biases, γ, β)." in text
    for absent in ("Dropout", "BatchNorm running statistics", "tied weight"):
        assert absent not in text, absent
    assert "channels for Conv2d" not in tex
    other = solve(layers="Conv2d(3, 4, 3); BatchNorm2d; ReLU; Flatten; Linear(?, 2)", input_shape=[2, 3, 5, 5])
    assert "BatchNorm2d and ReLU keep the feature count" in other.to_text()
    assert "; BatchNorm running statistics are buffers, counted separately." in other.to_text()
    assert "(channels for Conv2d)" in other.to_latex()


def test_seed_json_contract():
    import json

    d = json.loads(solve(**SEED).to_json())
    assert d["kind"] == "model-size"
    assert d["answer"]["exact"] == "66756"
    a = d["answers"]
    assert a["crossover_batch"]["exact"] == "31"
    assert a["activations_n"]["exact"] == "2212*n"
    assert [row[0] for row in a["dims"]["exact"]][0] == "Linear(52, 128)"
    assert d["params"]["layers"][0] == "Linear(52, ?)" and d["params"]["input_shape"] == [4, 52]


def test_seed_latex_has_the_layer_table():
    tex = solve(**SEED).to_latex()
    assert r"\toprule" in tex and r"\bottomrule" in tex
    assert r"$z_{1}$ & Linear1 & 52 & 128 & 6784 & {[}4, 128{]} \\" in tex
    assert r"$z_{11}$ & CrossEntropyLoss & \textendash{} & \textendash{} & 0 & {[}{]} \\" in tex
    assert r"\mathrm{Linear}\left(\text{?}, \text{?}\right) = \mathrm{Linear}\left(20, 1000\right)" in tex
    # one unbreakable unit: TeX broke a variant's question sheet between num_classes and "= 20"
    # (a tie: a line may still end after "=", TeX's usual break in a formula, when nothing else fits)
    assert r"and \texttt{num\_classes}~$= 1000$. Dimensions" in tex


# -- memory -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, optimizer, expected", [
    ("fp32", "none", (66756 + 8848) * 4),
    ("fp16", "none", (66756 + 8848) * 2),
    ("bf16", "sgd", (2 * 66756 + 8848) * 2),
    ("fp32", "momentum", (3 * 66756 + 8848) * 4),
    ("fp32", "adam", (4 * 66756 + 8848) * 4),
])
def test_memory_bytes(dtype, optimizer, expected):
    assert results(solve(**SEED, dtype=dtype, optimizer=optimizer))["memory_bytes"] == expected


def test_batchnorm_buffers_are_not_parameters():
    r = results(solve(layers="Linear(10, 8); BatchNorm1d; ReLU; Linear(8, 2)", input_shape=[4, 10], loss="none"))
    assert r["params"] == (10 * 8 + 8) + (8 + 8) + (8 * 2 + 2)
    assert r["buffers"] == 8 + 8 + 1          # running mean, running var, num_batches_tracked
    mem = results(solve(layers="Linear(10, 8); BatchNorm1d", input_shape=[4, 10], loss="none"))["memory_bytes"]
    assert mem == (88 + 16) * 4 + 2 * 4 * 32 + (2 * 8 * 4 + 8)   # params, activations, buffers (+ int64 counter)


# -- the layer grammar ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("Linear(52, ?)", "Linear(52, ?)"),
    ("Linear(in_features=52, out_features=?, bias=false)", "Linear(52, ?, bias=false)"),
    ("Conv2d(3, 6, kernel_size=5, stride=1, padding=0, dilation=1, groups=1, bias=true)", "Conv2d(3, 6, kernel_size=5)"),
    ("nn.Conv2d(3, 6, (5, 3), padding=[1, 2])", "Conv2d(3, 6, kernel_size=(5, 3), padding=(1, 2))"),
    ("MaxPool2d(2)", "MaxPool2d(2)"),
    ("AvgPool2d(kernel_size=2, stride=2)", "AvgPool2d(2, stride=2)"),
    ("Dropout(0.5)", "Dropout"), ("Dropout(p=0.25)", "Dropout(0.25)"),
    ("torch.nn.GELU(approximate='tanh')", "GELU(approximate='tanh')"),
    ("Embedding(1000, 64)", "Embedding(1000, 64)"),
    ("TransformerBlock(d_model=64, heads=4, d_ff=256)", "TransformerBlock(d_model=64, heads=4, d_ff=256)"),
    ("TransformerEncoderLayer(64, nhead=4, dim_feedforward=256)", "TransformerBlock(d_model=64, heads=4, d_ff=256)"),
    ("relu", "ReLU"), ("Flatten(1, -1)", "Flatten"), ("Softmax(dim=1)", "Softmax(dim=1)"),
    ("LayerNorm(eps=1e-5)", "LayerNorm"), ("BatchNorm2d(16, momentum=None)", "BatchNorm2d(16, momentum=None)"),
])
def test_layer_grammar(text, expected):
    layers, loss = parse_layers(text)
    assert loss is None and [x.text() for x in layers] == [expected]


def test_separators_comments_and_lists():
    a, _ = parse_layers("Linear(52, ?)\n  LayerNorm  # a comment\n\nReLU;Linear(\n 128,\n 256)")
    b, _ = parse_layers(["Linear(52, ?)", "LayerNorm; ReLU", "Linear(128, 256)"])
    assert [x.text() for x in a] == [x.text() for x in b] == ["Linear(52, ?)", "LayerNorm", "ReLU", "Linear(128, 256)"]
    layers, loss = parse_layers("Linear(3, 2); CrossEntropyLoss(reduction='none')")
    assert loss == L.CrossEntropyLoss(reduction="none")


@pytest.mark.parametrize("text, layer, column, words", [
    ("Linear(52, ?", 1, 13, "expected ',' or ')', got end of text"),
    ("ReLU; Linar(3, 4)", 2, 1, "unknown layer type 'Linar' (did you mean 'Linear'?)"),
    ("Linear(52, 0)", 1, 12, "out_features must be positive"),
    ("Linear(52)", 1, 1, "Linear needs out_features"),
    ("Linear(52, ?, 3, 4)", 1, 18, "at most 3 positional"),
    ("Linear(52, ?, foo=3)", 1, 15, "has no argument 'foo'"),
    ("Linear(52, ?, bias=1, bias=0)", 1, 23, "given twice"),
    ("Conv2d(3, 6, kernel_size=?)", 1, 26, "cannot be '?'"),
    ("Linear(52, ?) Linear", 1, 15, "expected ';' or a new line"),
    ("Linear(52, $)", 1, 12, "unexpected character '$'"),
    ("Linear(1" + "0" * 50 + ", 3)", 1, 8, "number longer than 40"),
    ("Linear(52, 3.5)", 1, 12, "must be a whole number, got 3.5"),
    ("Dropout(1.5)", 1, 9, "p must be between 0 and 1"),
    ("Linear(a=1, 2)", 1, 13, "positional argument after keyword"),
    ("os.system('x')", 1, 1, "unknown module 'os'"),
    ("__import__('os')", 1, 1, "unknown layer type '__import__'"),
    ("Conv2d(3, 7, 3, groups=2)", 1, 8, "not divisible by groups"),
    ("TransformerBlock(d_model=64, heads=5, d_ff=8)", 1, 36, "heads must divide d_model = 64, got 5"),
])
def test_grammar_errors_name_the_layer_and_column(text, layer, column, words):
    with pytest.raises(InputError) as e:
        parse_layers(text)
    assert e.value.field == "layers"
    assert f"layer {layer} " in str(e.value) and f"column {column}:" in str(e.value)
    assert words in str(e.value)
    assert (e.value.layer, e.value.column) == (layer, column)


def test_grammar_is_bounded():
    start = time.perf_counter()
    for hostile in ["Linear(" * 100_000, "(" * 100_000, "Linear(1e999999999, 2)", "ReLU;" * 20_000,
                    "Linear(" + "9" * 10_000 + ", 1)", "x" * 2_000_000]:
        with pytest.raises(InputError):
            parse_layers(hostile)
    assert time.perf_counter() - start < 5


def test_input_shape_and_loss_parsing():
    assert parse_input_shape("[4, 52]") == parse_input_shape([4, 52]) == parse_input_shape("4, 52") == (4, 52)
    assert parse_input_shape("[4, ?]") == parse_input_shape([4, "?"]) == (4, None)
    for bad, words in [("[?, 3]", "batch size"), ("[4, 0]", "positive"), ("[4, x]", "whole number"),
                       ("[4, 3", "expected"), ([], "empty")]:
        with pytest.raises(InputError, match=words):
            parse_input_shape(bad)
    assert parse_loss("none") is None
    assert parse_loss("NLLLoss(reduction='sum')") == L.NLLLoss("sum")
    with pytest.raises(InputError, match="is not a loss"):
        parse_loss("ReLU")


# -- constraint solving ---------------------------------------------------------------------------------
def test_under_determined_names_layer_dimension_and_why():
    with pytest.raises(InputError) as e:
        solve(layers=SEED_LAYERS, input_shape=[4, 52])
    assert str(e.value) == ("layers: layer 10 'Linear(?, ?)': out_features is under-determined: nothing after "
                            "it fixes it; give num_classes or write the number")
    with pytest.raises(InputError, match=r"layer 1 'Linear\(52, \?\)': out_features is under-determined: it is "
                                         r"linked only to other unknowns: the in_features of Linear2 \(layer 2\)"):
        solve(layers="Linear(52, ?); Linear(?, 20)", input_shape=[4, 52])
    with pytest.raises(InputError, match="in_features is under-determined.*input_shape\\[1\\]"):
        solve(layers="Linear(?, 20)", input_shape=[4, "?"])


def test_contradictions_name_layer_dimension_values_and_why():
    with pytest.raises(InputError) as e:
        solve(layers="Linear(52, 128); LayerNorm; Linear(100, 10)", input_shape=[4, 52])
    assert str(e.value) == ("layers: layer 3 'Linear(100, 10)': in_features = 100 contradicts 128 from the "
                            "out_features of Linear1 (layer 1); in_features must equal the last dimension of z2")
    with pytest.raises(InputError, match="layer 1 'Linear\\(50, 8\\)': in_features = 50 contradicts 52 from input_shape"):
        solve(layers="Linear(50, 8)", input_shape=[4, 52])
    with pytest.raises(InputError, match="num_classes: 1000 contradicts .* class dimension 1 is 999"):
        solve(layers="Linear(52, 999)", input_shape=[4, 52], num_classes=1000)
    with pytest.raises(InputError, match="LayerNorm normalizes over the last dimension"):
        solve(layers="Linear(52, 8); LayerNorm(9)", input_shape=[4, 52])


def test_structural_errors():
    cases = [
        (dict(layers="Conv2d(3, 6, 5)", input_shape=[4, 3]), "expects an input \\[n, C, H, W\\]"),
        (dict(layers="Conv2d(1, 6, 50); Flatten; Linear(?, 2)", input_shape=[1, 1, 28, 28]), "kernel does not fit"),
        (dict(layers="Linear(3, 4); Embedding(10, 4)", input_shape=[2, 3]), "must be the first layer"),
        (dict(layers="Embedding(?, 8); Linear(8, 2)", input_shape=[2, 5]), "no shape depends on the vocabulary"),
        (dict(layers="Linear(4, 4, tie=nothing)", input_shape=[2, 4]), "names no layer"),
        (dict(layers="Linear(2, 3); Linear(3, 2, tie=Linear1)", input_shape=[2, 2]), "contradicts"),
        (dict(layers="Linear(2, 2); CrossEntropyLoss", input_shape=[2, 2], loss="NLLLoss"), "loss: given twice"),
        (dict(layers="CrossEntropyLoss; Linear(2, 2)", input_shape=[2, 2]), "must be the last item"),
        (dict(layers="Conv2d(1, 3, 5); Flatten; Linear(1000, 10)", input_shape=[1, 1, 28, 28]), "1728"),
        (dict(layers="Linear(2, 2)"), "input_shape: is required"),
        (dict(input_shape=[2, 2]), "layers: is required"),
    ]
    for kw, words in cases:
        with pytest.raises(InputError, match=words):
            solve(**kw)


def test_flatten_solved_backwards():
    m = params(layers="Conv2d(1, ?, 5); MaxPool2d(2); Flatten; Linear(1728, 10)", input_shape=[1, 1, 28, 28],
               loss="none").model
    assert m.layers[0].text() == "Conv2d(1, 12, kernel_size=5)"
    assert m.shapes == ((1, 12, 24, 24), (1, 12, 12, 12), (1, 1728), (1, 10))


def test_tied_weights_count_once_and_fix_dimensions():
    r = results(solve(layers="emb = Embedding(1000, 64); TransformerBlock(d_model=?, heads=4, d_ff=256); "
                             "Linear(?, ?, bias=false, tie=emb)", input_shape=[2, 16], loss="none"))
    d, ff, V = 64, 256, 1000
    block = 4 * (d * d + d) + 2 * (2 * d) + (d * ff + ff + ff * d + d)
    assert block == 49984
    assert texts(r["dims"])[2] == "Linear(64, 1000, bias=false, tie=emb)"
    assert r["params"] == V * d + block
    assert texts(r["shapes"]) == ["[2, 16, 64]", "[2, 16, 64]", "[2, 16, 1000]"]


@pytest.mark.parametrize("size, k, s, p, d, ceil, expected", [
    (32, 5, 1, 0, 1, False, 28), (28, 2, 2, 0, 1, False, 14), (7, 3, 2, 1, 1, False, 4),
    (7, 2, 2, 0, 1, True, 4), (6, 2, 2, 0, 1, True, 3), (10, 3, 1, 0, 2, False, 6), (224, 7, 2, 3, 1, False, 112),
    (5, 3, 2, 1, 1, True, 3),
])
def test_window_output_size(size, k, s, p, d, ceil, expected):
    assert conv_out_size(size, k, s, p, d, ceil) == expected


def test_lenet_counts_by_hand():
    lenet = ("Conv2d(1, 6, kernel_size=5); Tanh; AvgPool2d(2); Conv2d(6, 16, 5); Tanh; AvgPool2d(2); Flatten; "
             "Linear(?, 120); Tanh; Linear(120, 84); Tanh; Linear(84, ?)")
    r = results(solve(layers=lenet, input_shape=[1, 1, 32, 32], num_classes=10))
    assert r["params"] == (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10) == 61706
    assert texts(r["dims"])[7] == "Linear(400, 120)"
    assert r["K"] == 2 * 6 * 28 * 28 + 6 * 14 * 14 + 2 * 16 * 10 * 10 + 16 * 5 * 5 * 2 + 120 * 2 + 84 * 2 + 10


def test_python_layer_objects():
    layers = [L.Linear(52, None), L.LayerNorm(), L.ReLU(), L.Linear(128, 256), L.LayerNorm(), L.ReLU(),
              L.Linear("?", 20), L.LayerNorm(), L.ReLU(), L.Linear(None, None)]
    r = results(solve(layers=layers, input_shape=(4, 52), num_classes=1000))
    assert (r["params"], r["activations"]) == (66756, 8848)
    with pytest.raises(InputError, match="in_features: must be positive"):
        L.Linear(0, 3)


def test_absurd_sizes_count_exactly():
    big = 10**29
    r = results(solve(layers=f"Linear({big}, {big}); ReLU", input_shape=[2, big], loss="none", optimizer="adam"))
    assert r["params"] == big * big + big
    assert r["memory_bytes"] == 4 * (big * big + big) * 4 + 2 * 2 * big * 4
    with pytest.raises(InputError, match="larger than"):
        L.Linear(10**31, 2)


def test_mistakes():
    p = params(**SEED)
    found = {m.name: m.results for m in ms.mistakes(p)}
    assert found["forgot_biases"] == {"params": 66756 - (128 + 256 + 20 + 1000)}
    assert found["forgot_layernorm_parameters"] == {"params": 66756 - 2 * (128 + 256 + 20)}
    assert found["counted_input"] == {"activations": 8848 + 4 * 52, "K": 2212 + 52}
    assert found["counted_loss_output"] == {"activations": 8849}
    assert found["counted_input_and_loss"] == {"activations": 8848 + 208 + 1}
    assert found["only_weight_layer_outputs"] == {"activations": 4 * (128 + 256 + 20 + 1000), "K": 1404}
    assert "counted_buffers" not in found and "tied_counted_twice" not in found
    bn = params(layers="Linear(4, 8); BatchNorm1d; ReLU; Linear(8, 2)", input_shape=[3, 4], optimizer="adam")
    found = {m.name: m.results for m in ms.mistakes(bn)}
    C = (4 * 8 + 8) + 16 + (8 * 2 + 2)
    assert found["counted_buffers"] == {"params": C + 16}
    assert found["forgot_batchnorm_parameters"] == {"params": C - 16}
    assert "forgot_gradients" in found and "forgot_optimizer_state" in found


def test_check_diagnoses_a_mistake():
    v = derive.check("model-size", "65352", part="params", **SEED)
    assert not v.correct and v.diagnosis.mistake.name == "forgot_biases"
    assert derive.check("model-size", "31", part="crossover_batch", **SEED).correct


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_generated_variants_solve(seed, difficulty):
    p = ms.generate(random.Random(seed), difficulty)
    assert p == ms.generate(random.Random(seed), difficulty)        # reproducible
    sol = ms.solve(p)
    r = results(sol)
    # the independent recount from tensor shapes agrees with the displayed formulas
    ref = ms.reference(p)
    assert ref["params"] == r["params"] and ref["K"] == r["K"]
    assert r["crossover_batch"] * r["K"] > r["params"] >= (r["crossover_batch"] - 1) * r["K"]
    assert texts(r["dims"])[-1].endswith(f", {p.num_classes})")


def test_hundred_layers_under_half_a_second():
    layers = ["Linear(64, 128)"] + ["LayerNorm", "ReLU", "Linear(128, ?)"] * 33
    solve(layers="Linear(2, 2)", input_shape=[1, 2]).to_latex()      # warm the imports and templates
    start = time.perf_counter()
    sol = derive.solve("model-size", layers=layers, input_shape=[8, 64], num_classes=10)
    sol.to_text(), sol.to_latex(), sol.to_json()
    assert len(sol.params.layers) == 100
    assert time.perf_counter() - start < 0.5


def test_numpy_checks_buffers_only_where_the_model_has_some():
    """B = 0 from the same tensor list as the exact count checks nothing, and the seed's
    solution never defines B; a BatchNorm's buffers are checked."""
    seed = derive.solve("model-size", **SEED)
    assert "numpy:buffers" not in {c.backend for c in seed.checks}
    assert {"numpy:params", "numpy:K", "numpy:activations"} <= {c.backend for c in seed.checks}
    assert ", B:" not in seed.to_text()
    with_bn = derive.solve("model-size", layers="Linear(10, 8); BatchNorm1d; ReLU; Linear(8, 2)",
                           input_shape=[4, 10], loss="none")
    (buffers,) = [c for c in with_bn.checks if c.backend == "numpy:buffers"]
    assert buffers.ok and buffers.result == "buffers"
    big = ms._reference_by_tensor(params(**SEED))
    assert "buffers" not in big and big["params"] == 66756


def test_the_activation_step_says_what_z_hat_is():
    step = next(s for s in solve(**SEED).steps if s.title == "Activation count Z")
    assert "ẑᵢ is the number of elements of zᵢ." in step.explanation


def test_floor_and_ceil_are_brackets():
    """n* = ⌊C/K⌋ + 1, as a worksheet writes it (was \\operatorname{floor}(C/K))."""
    tex = solve(**SEED).to_latex()
    assert r"n^{*} &= \left\lfloor \frac{C}{K}\right\rfloor + 1 = 30 + 1 = 31" in tex and "floor}" not in tex
    pool = solve(layers="Conv2d(3, 4, 3, stride=2); MaxPool2d(2, ceil_mode=True); Flatten; Linear(?, 2)",
                 input_shape=[2, 3, 9, 9])
    assert "⌈(4 - 2 + 2 · 0)/2⌉ + 1 = ⌈1⌉ + 1 = 2" in pool.to_text()
    assert r"\left\lceil \frac{4 - 2 + 2 \cdot 0}{2}\right\rceil + 1" in pool.to_latex()
