"""Unit and basis conversion: closed forms from stoichiometry, inverse pairs, clear errors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmsec.errors import DataError, InputError
from crmsec.indicators.units import basis_factor, convert_basis, to_tonnes


def test_mass_units():
    assert to_tonnes(2.5, "kt") == pytest.approx(2500.0)
    assert to_tonnes(1500, "kg") == pytest.approx(1.5)
    with pytest.raises(InputError, match="unknown mass unit 'lb'"):
        to_tonnes(1, "lb")


def test_lithium_carbonate_to_contained_lithium():
    # Li2CO3: 2·6.94 / (2·6.94 + 12.011 + 3·15.999) = 13.88 / 73.888 = 0.18785
    assert convert_basis(1000.0, "lithium", "compound:Li2CO3", "contained") == pytest.approx(187.85, abs=0.01)


@given(st.floats(0.0, 1e9))
def test_round_trip(q):
    there = convert_basis(q, "lithium", "compound:Li2CO3", "contained")
    back = convert_basis(there, "lithium", "contained", "compound:Li2CO3")
    assert back == pytest.approx(q, rel=1e-12, abs=1e-9)


def test_missing_factor_is_an_error_not_one():
    assert basis_factor("cobalt", "gross", "gross") == 1.0
    with pytest.raises(DataError, match="no content factor"):
        basis_factor("cobalt", "oxide:CoO", "contained")
