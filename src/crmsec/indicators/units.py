"""Unit and basis conversion (one implementation; factors live in the material registry with their source).

Mass units: t, kg, kt, Mt, g (all to tonnes). Basis: ``gross`` (weight of the traded/produced form),
``contained`` (element content), ``oxide:<formula>`` or ``compound:<formula>``. A conversion between bases
uses ``content_factors.csv`` (t of ``to_basis`` per t of ``from_basis``); a missing factor is an error,
never a silent 1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from crmsec.errors import DataError, InputError

TONNES_PER_UNIT = {"t": 1.0, "kg": 1e-3, "g": 1e-6, "kt": 1e3, "Mt": 1e6, "mt": 1.0}


def to_tonnes(quantity: npt.ArrayLike, unit: str) -> np.ndarray:
    """Convert a mass in ``unit`` (t, kg, g, kt, Mt; 'mt' = metric tons) to tonnes."""
    try:
        factor = TONNES_PER_UNIT[unit]
    except KeyError:
        raise InputError(f"unknown mass unit {unit!r}; use one of {', '.join(TONNES_PER_UNIT)}") from None
    return np.asarray(quantity, dtype=float) * factor


def basis_factor(material_id: str, from_basis: str, to_basis: str, factors: pd.DataFrame | None = None) -> float:
    """Tonnes of ``to_basis`` per tonne of ``from_basis`` for a material (1.0 when the bases are equal).

    Looks the pair up in the registry's content factors (also the inverse pair, as 1/factor).
    """
    if from_basis == to_basis:
        return 1.0
    if factors is None:
        from crmsec.registry.materials import content_factors

        factors = content_factors()
    sel = factors[(factors["material_id"] == material_id)]
    direct = sel[(sel["from_basis"] == from_basis) & (sel["to_basis"] == to_basis)]
    if not direct.empty:
        return float(direct["factor"].iloc[0])
    inverse = sel[(sel["from_basis"] == to_basis) & (sel["to_basis"] == from_basis)]
    if not inverse.empty:
        return 1.0 / float(inverse["factor"].iloc[0])
    raise DataError("no content factor in the registry", file="src/crmsec/registry/content_factors.csv",
                    field="factor", value=f"{material_id}: {from_basis} -> {to_basis}",
                    hint="add a sourced row (quantities on different bases must not be added)")


def convert_basis(quantity: npt.ArrayLike, material_id: str, from_basis: str, to_basis: str,
                  factors: pd.DataFrame | None = None) -> np.ndarray:
    """Convert quantities of one material between bases, e.g. Li2CO3 gross → contained Li."""
    return np.asarray(quantity, dtype=float) * basis_factor(material_id, from_basis, to_basis, factors)
