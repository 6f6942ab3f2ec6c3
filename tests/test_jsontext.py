"""User JSON's nesting limit: the same answer on every Python (3.12's json parses what 3.11's refuses)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import jsontext

leaves = st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none())
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                      max_leaves=20)


def depth(value) -> int:
    """Nesting depth of a decoded value, by walking it (the reference)."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(values)
def test_depth_of_the_text_is_the_depth_of_the_value(value):
    text = json.dumps(value)  # strings full of brackets and escaped quotes included
    assert jsontext.nesting_depth(text) == depth(value)
    assert jsontext.loads(text, max_depth=depth(value)) == value


@pytest.mark.parametrize("n", [33, 5000, 200_000])
def test_deeper_than_the_limit_is_refused_before_parsing(n):
    with pytest.raises(jsontext.TooDeep, match="nested more than 32 levels deep"):
        jsontext.loads("[" * n + "]" * n)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps([["[[[[" * 40, "{" * 50]])
    assert jsontext.nesting_depth(text) == 2
    assert jsontext.loads(text)[0][1] == "{" * 50


def test_exactly_at_the_limit_parses():
    assert jsontext.loads("[" * 32 + "1" + "]" * 32) is not None
