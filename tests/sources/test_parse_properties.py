"""Property tests of the number/percent cell parsers shared by the source loaders."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.errors import DataError
from crmsec.sources._util import parse_numbers, parse_percent


@settings(deadline=None, max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=30),
       st.sampled_from(["", "e", " "]))
def test_thousands_separators_and_estimate_prefix_roundtrip(values, prefix):
    text = pd.Series([f"{prefix}{v:,}" for v in values])
    num, flag = parse_numbers(text, file="f.csv", field="Prod")
    assert num.tolist() == [float(v) for v in values]
    expected = "estimate_marker" if prefix == "e" else ""
    assert (flag == expected).all()


@settings(deadline=None, max_examples=50)
@given(st.lists(st.sampled_from(["W", "NA", "XX", "s", "—", "--", ""]), min_size=1, max_size=20))
def test_codes_are_nan_with_reason_or_zero_dash(codes):
    num, flag = parse_numbers(pd.Series(codes), file="f.csv", field="Value")
    for code, v, f in zip(codes, num, flag, strict=True):
        if code in ("—", "--"):
            assert v == 0.0 and f == "zero_dash"
        else:
            assert math.isnan(v) and f != ""


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(min_value=0.1, max_value=100, allow_nan=False).map(lambda x: round(x, 1)), min_size=1,
                max_size=20))
def test_percent_roundtrip(values):
    share, flag = parse_percent(pd.Series([f"{v}%" for v in values]), file="f.csv", field="Share")
    np.testing.assert_allclose(share.to_numpy(), np.array(values) / 100, rtol=1e-12)
    assert (flag == "").all()


@settings(deadline=None, max_examples=50)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=12).filter(lambda s: s.strip() not in {"s"}))
def test_free_text_is_an_error_naming_row_and_value(word):
    cells = pd.Series(["12", "1,200", word])
    with pytest.raises(DataError) as err:
        parse_numbers(cells, file="f.csv", field="Prod", rows=np.array([5, 6, 7]))
    assert (err.value.row, err.value.field, err.value.value) == (7, "Prod", word)
