"""Model size against torch: each model is built here, by hand, in torch.nn (not through
derive's bridge), and run on real CPU tensors with forward hooks; derive's exact C, buffers,
shapes and Z must equal what torch reports.
"""

import random

import pytest
from hypothesis import given, settings, strategies as st

import derive
from derive.kinds import model_size as ms

pytestmark = pytest.mark.requires_module("torch")


def torch_facts(seq, x, loss=None):
    """sum(p.numel()), sum(b.numel()), the output shape of every child, and the loss's."""
    import torch

    shapes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(list(out.shape))) for m in seq]
    with torch.no_grad():
        out = seq(x)
        if loss is not None:
            shapes.append(list(loss(out, torch.zeros(out.shape[0], dtype=torch.long)).shape))
    for h in hooks:
        h.remove()
    return (sum(p.numel() for p in seq.parameters()), sum(b.numel() for b in seq.buffers()), shapes)


def derived(sol):
    r = {x.name: x.value for x in sol.results}
    shapes = [eval_shape(row[0].text) for row in r["shapes"]]
    return r["params"], r["buffers"], shapes, r


def eval_shape(text):
    import json

    return json.loads(text)   # "[4, 128]" is JSON


def solve(**kw):
    return derive.solve("model-size", checks="none", **kw)


def assert_torch_checks_agree(**kw):
    sol = derive.solve("model-size", checks="numpy,torch", **kw)
    assert sol.checks and all(c.ok for c in sol.checks), [(c.backend, c.note) for c in sol.checks if not c.ok]
    assert any(c.backend.startswith("torch") for c in sol.checks)


def test_seed_against_torch():
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(52, 128), nn.LayerNorm(128), nn.ReLU(), nn.Linear(128, 256), nn.LayerNorm(256),
                        nn.ReLU(), nn.Linear(256, 20), nn.LayerNorm(20), nn.ReLU(), nn.Linear(20, 1000))
    for reduction, last in (("mean", []), ("none", [4])):
        C, B, shapes = torch_facts(seq, torch.randn(4, 52), nn.CrossEntropyLoss(reduction=reduction))
        sol = solve(spec="examples/model.toml", loss=f"CrossEntropyLoss(reduction='{reduction}')")
        dC, dB, dshapes, r = derived(sol)
        assert (dC, dB, dshapes) == (C, B, shapes) == (66756, 0, shapes)
        assert shapes[-1] == last
        assert r["activations"] == sum(torch.Size(s).numel() for s in shapes[:-1]) == 8848
    assert_torch_checks_agree(spec="examples/model.toml")


LENET = ("Conv2d(1, 6, kernel_size=5); Tanh; AvgPool2d(2); Conv2d(6, 16, 5); Tanh; AvgPool2d(2); Flatten; "
         "Linear(?, 120); Tanh; Linear(120, 84); Tanh; Linear(84, ?)")


def lenet_torch():
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
                         nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84),
                         nn.Tanh(), nn.Linear(84, 10))


def test_lenet5_against_torch():
    import torch
    import torch.nn as nn

    seq = lenet_torch()
    C, B, shapes = torch_facts(seq, torch.zeros(2, 1, 32, 32), nn.CrossEntropyLoss())
    assert C == 61706
    kw = dict(layers=LENET, input_shape=[2, 1, 32, 32], num_classes=10)
    assert derived(solve(**kw))[:3] == (C, B, shapes)
    assert_torch_checks_agree(**kw)
    # the same network handed over as a torch module
    r = derived(solve(layers=seq, input_shape=[2, 1, 32, 32]))
    assert r[:3] == (C, B, shapes)


VGG = ("Conv2d(3, 64, 3, padding=1); ReLU; Conv2d(64, 64, 3, padding=1); ReLU; MaxPool2d(2); "
       "Conv2d(64, 128, 3, padding=1); BatchNorm2d; ReLU; Conv2d(128, ?, 3, padding=1); ReLU; MaxPool2d(2); "
       "Flatten; Linear(8192, 256); ReLU; Dropout(0.5); Linear(256, ?)")


def test_vgg_style_stack_against_torch():
    import torch
    import torch.nn as nn

    seq = nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1),
        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 8 * 8, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 10))
    seq.eval()
    C, B, shapes = torch_facts(seq, torch.zeros(2, 3, 32, 32), nn.CrossEntropyLoss())
    kw = dict(layers=VGG, input_shape=[2, 3, 32, 32], num_classes=10)
    dC, dB, dshapes, r = derived(solve(**kw))
    assert (dC, dB, dshapes) == (C, B, shapes)
    assert B == 2 * 128 + 1                       # running mean, running var, num_batches_tracked
    assert [row[0].text for row in r["dims"]][8] == "Conv2d(128, 128, kernel_size=3, padding=1)"   # from Flatten
    assert_torch_checks_agree(**kw)


def test_small_transformer_with_tied_head_against_torch():
    import torch
    import torch.nn as nn

    seq = nn.Sequential(nn.Embedding(1000, 64),
                        nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, batch_first=True),
                        nn.LayerNorm(64), nn.Linear(64, 1000, bias=False))
    seq[3].weight = seq[0].weight                 # weight tying: one Parameter, counted once
    C, B, shapes = torch_facts(seq, torch.zeros(2, 16, dtype=torch.long))
    spec = ("emb = Embedding(1000, 64); TransformerBlock(d_model=64, heads=4, d_ff=256); LayerNorm; "
            "Linear(?, ?, bias=false, tie=emb)")
    kw = dict(layers=spec, input_shape=[2, 16], loss="none")
    assert derived(solve(**kw))[:3] == (C, B, shapes)
    assert C == 1000 * 64 + 49984 + 128
    assert_torch_checks_agree(**kw)
    # from the module: the shared weight becomes tie=
    sol = solve(layers=seq, input_shape=[2, 16], loss="none")
    assert sol.params.layers[-1] == "Linear(64, 1000, bias=false, tie=Embedding1)"
    assert derived(sol)[0] == C


def test_torch_check_reports_a_shape_difference(monkeypatch):
    from derive.modelsize import torch_bridge

    real = torch_bridge.trace

    def lying_trace(model, device="meta"):
        facts = real(model, device)
        facts["shapes"][0] = (4, 127)
        return facts

    monkeypatch.setattr(torch_bridge, "trace", lying_trace)
    sol = derive.solve("model-size", spec="examples/model.toml", checks="torch")
    bad = [c for c in sol.checks if not c.ok]
    assert bad and "z1: torch [4, 127], derived [4, 128]" in bad[0].note


def test_unsupported_torch_modules():
    import torch.nn as nn

    with pytest.raises(derive.InputError, match="only nn.Sequential"):
        solve(layers=nn.Linear(2, 3), input_shape=[1, 2])
    with pytest.raises(derive.InputError, match="nn.GRU"):
        solve(layers=nn.Sequential(nn.GRU(2, 3)), input_shape=[1, 2])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), difficulty=st.sampled_from(["easy", "medium", "hard"]))
def test_generated_variants_match_torch(seed, difficulty):
    """Property: for any seeded variant, C = sum(p.numel()) and the shapes are torch's."""
    import torch
    import torch.nn as nn

    from derive.modelsize.spec import parse_layers
    from derive.modelsize.torch_bridge import _module

    p = ms.generate(random.Random(seed), difficulty)
    filled = [row[0].text for row in {r.name: r.value for r in ms.solve(p).results}["dims"]]
    seq = nn.Sequential(*[_module(layer, "cpu") for layer in parse_layers(filled)[0]]).eval()
    C, B, shapes = torch_facts(seq, torch.zeros(*p.input_shape), nn.CrossEntropyLoss())
    assert derived(ms.solve(p))[:3] == (C, B, shapes)
