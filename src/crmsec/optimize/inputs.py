"""Validated input models (pydantic) for the allocation model: the YAML/JSON/web form of a problem.

Example (``crmsec allocate INPUT.yaml``; a complete file ships as
``crmsec/optimize/examples/allocation_example.yaml``)::

    name: Gallium crisis, 4 weeks
    periods: 4                      # or a list of labels: [w1, w2, w3, w4]
    weight_unit: points/t
    tiers:                          # every tier a sector uses needs weights (or the sector its own)
      - {tier: T1, rank: 1, weight_essential: 1000, weight_nonessential: 50}
    sectors:
      - {sector: hospitals, tier: T1, va_meur_per_period: 120, min_operating_share: 0.5, restart_cost: 0}
    materials:
      - {material_id: gallium, availability_t: 45, stock_t: 60, release_limit_t: 15, reserve_floor_t: 0}
    demand:                         # per period; a list gives one value per period
      - {sector: hospitals, material_id: gallium, demand_t: 10, essential_t: 10}
    conversions:                    # optional: stock in another form (methods §5.5)
      - {from_material: gallium_crude, to_material: gallium, yield: 0.95, capacity_t_per_period: 0.2}

Every error names the field (``demand[3].essential_t``) and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from crmsec.errors import InputError
from crmsec.safe_input import check_magnitude, load_yaml_file, short

#: size bounds checked before any array is built (issue 16: ``periods: 3000000`` once used 5.5 GB)
MAX_PERIODS = 520  # ten years of weeks
MAX_ITEMS = 2_000  # tiers, sectors, materials, demand rows, conversions


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _magnitude(cls, value: object) -> object:
        return check_magnitude(value)


class TierIn(_Base):
    """A priority tier with its weights [weight unit per t of unmet demand]."""

    tier: str
    rank: int = Field(ge=1, description="1 = highest priority (strict-tiers order)")
    weight_essential: float | None = Field(None, gt=0)
    weight_nonessential: float | None = Field(None, gt=0)
    description: str = ""


class SectorIn(_Base):
    sector: str
    tier: str
    weight_essential: float | None = Field(None, gt=0, description="overrides the tier weight")
    weight_nonessential: float | None = Field(None, gt=0, description="overrides the tier weight")
    va_meur_per_period: float | None = Field(None, ge=0, description="value added per period [MEUR]")
    output_elasticity: float = Field(1.0, ge=0, le=1)
    min_operating_share: float | None = Field(None, ge=0, le=1)
    restart_cost: float = Field(0.0, ge=0)


class MaterialIn(_Base):
    material_id: str
    availability_t: NonNegativeFloat | list[NonNegativeFloat] = Field(description="t per period")
    stock_t: NonNegativeFloat = 0.0
    release_limit_t: NonNegativeFloat | None = Field(None, description="t per period; none = unlimited")
    reserve_floor_t: NonNegativeFloat = 0.0


class ConversionIn(_Base):
    """A stock held in another form (ore, oxide, crude metal) that reaches users through conversion
    (methods §5.5): ``yield`` t of ``to_material`` per t of ``from_material``, at most ``capacity_t_per_period``
    t of input per period."""

    from_material: str
    to_material: str
    conversion_yield: float = Field(gt=0, alias="yield")
    capacity_t_per_period: NonNegativeFloat | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DemandIn(_Base):
    sector: str
    material_id: str
    demand_t: NonNegativeFloat | list[NonNegativeFloat]
    essential_t: NonNegativeFloat | list[NonNegativeFloat] = 0.0


def _period_labels(periods: int | list[str]) -> list[str]:
    """``w1..wN`` for a number of periods, else the given labels as strings."""
    if isinstance(periods, int):
        return [f"w{i + 1}" for i in range(periods)]
    return [str(p) for p in periods]


def _per_period(value, n: int, where: str) -> np.ndarray:
    arr = np.asarray(value, float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.size != n:
        raise ValueError(f"{where}: {arr.size} values for {n} periods; give one value or one per period")
    return arr


class AllocationInput(_Base):
    """The allocation problem as a user writes it (YAML/JSON); ``to_problem()`` gives the array form."""

    name: str = ""
    periods: Annotated[int, Field(ge=1, le=MAX_PERIODS)] | Annotated[
        list[str], Field(min_length=1, max_length=MAX_PERIODS)] = Field(
        description=f"number of periods (weeks, at most {MAX_PERIODS}) or their labels")
    weight_unit: str = "points/t"
    tiers: list[TierIn] = Field(max_length=MAX_ITEMS)
    sectors: list[SectorIn] = Field(min_length=1, max_length=MAX_ITEMS)
    materials: list[MaterialIn] = Field(min_length=1, max_length=MAX_ITEMS)
    demand: list[DemandIn] = Field(min_length=1, max_length=MAX_ITEMS)
    conversions: list[ConversionIn] = Field(default_factory=list, max_length=MAX_ITEMS)

    @property
    def period_labels(self) -> list[str]:
        return _period_labels(self.periods)

    @model_validator(mode="after")
    def _check(self) -> AllocationInput:
        if isinstance(self.periods, int) and self.periods < 1:
            raise ValueError("periods: give at least 1 period")
        n = len(self.period_labels)
        tiers = {t.tier: t for t in self.tiers}
        for i, s in enumerate(self.sectors):
            t = tiers.get(s.tier)
            we = s.weight_essential if s.weight_essential is not None else (t.weight_essential if t else None)
            wn = (
                s.weight_nonessential
                if s.weight_nonessential is not None
                else (t.weight_nonessential if t else None)
            )
            if we is None or wn is None:
                raise ValueError(
                    f"sectors[{i}] ({s.sector!r}): tier {s.tier!r} has no weight"
                    + ("" if t else " (it is not listed under tiers)")
                    + "; add the tier with weight_essential and weight_nonessential, or give the sector its own weights"
                )
            if we <= wn:
                raise ValueError(
                    f"sectors[{i}] ({s.sector!r}): weight_essential {we:g} must exceed "
                    f"weight_nonessential {wn:g}"
                )
            if t is None:
                raise ValueError(
                    f"sectors[{i}] ({s.sector!r}): tier {s.tier!r} is not listed under tiers "
                    "(it needs a rank); add it"
                )
        sec = {s.sector for s in self.sectors}
        mat = {m.material_id for m in self.materials}
        for i, m in enumerate(self.materials):
            _per_period(m.availability_t, n, f"materials[{i}].availability_t")
            if m.reserve_floor_t > m.stock_t:
                raise ValueError(
                    f"materials[{i}].reserve_floor_t ({m.reserve_floor_t:g} t) is above "
                    f"stock_t ({m.stock_t:g} t) for {m.material_id!r}; lower the floor or raise the stock"
                )
        for i, c in enumerate(self.conversions):
            for col in ("from_material", "to_material"):
                if getattr(c, col) not in mat:
                    raise ValueError(
                        f"conversions[{i}].{col} {getattr(c, col)!r} is not listed under materials"
                    )
            if c.from_material == c.to_material:
                raise ValueError(f"conversions[{i}]: from_material and to_material must differ")
        seen: set[tuple[str, str]] = set()
        for i, d in enumerate(self.demand):
            if d.sector not in sec:
                raise ValueError(f"demand[{i}].sector {d.sector!r} is not listed under sectors")
            if d.material_id not in mat:
                raise ValueError(f"demand[{i}].material_id {d.material_id!r} is not listed under materials")
            if (d.sector, d.material_id) in seen:
                raise ValueError(f"demand[{i}]: {d.sector!r}/{d.material_id!r} given twice; merge the rows")
            seen.add((d.sector, d.material_id))
            dem = _per_period(d.demand_t, n, f"demand[{i}].demand_t")
            ess = _per_period(d.essential_t, n, f"demand[{i}].essential_t")
            if (ess > dem + 1e-12).any():
                j = int(np.argmax(ess > dem + 1e-12))
                raise ValueError(
                    f"demand[{i}].essential_t ({ess[j]:g} t) is above demand_t ({dem[j]:g} t) for "
                    f"{d.sector!r}/{d.material_id!r} in period {self.period_labels[j]}; floors are part of demand"
                )
        return self

    @classmethod
    def from_frames(
        cls,
        *,
        periods: int | list[str],
        tiers: pd.DataFrame,
        sectors: pd.DataFrame,
        materials: pd.DataFrame,
        demand: pd.DataFrame,
        conversions: pd.DataFrame | None = None,
        name: str = "",
        weight_unit: str = "points/t",
    ) -> AllocationInput:
        """Build from tidy frames whose columns are the field names above (for the dashboard/API).

        ``demand`` may be long (one row per sector × material × ``period``): the per-period values are
        then gathered into lists in period order. Raises :class:`InputError` naming the field.
        """
        labels = _period_labels(periods)

        def records(frame: pd.DataFrame | None) -> list[dict]:
            if frame is None:
                return []
            return [
                {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                for r in frame.to_dict(orient="records")
            ]

        dem = demand
        if "period" in demand.columns:
            dem = demand.assign(period=demand["period"].astype(str))
            unknown = sorted(set(dem["period"]) - set(labels))
            if unknown:
                raise InputError(f"demand: period {unknown[0]!r} is not one of the periods {labels}")
            cols = ["demand_t"] + (["essential_t"] if "essential_t" in dem else [])
            wide = dem.pivot_table(
                index=["sector", "material_id"], columns="period", values=cols, aggfunc="sum", fill_value=0.0
            )
            dem = pd.DataFrame(
                {
                    "sector": [k[0] for k in wide.index],
                    "material_id": [k[1] for k in wide.index],
                    **{
                        c: [list(row) for row in wide[c].reindex(columns=labels, fill_value=0.0).to_numpy()]
                        for c in cols
                    },
                }
            )
        data = {
            "name": name,
            "periods": periods,
            "weight_unit": weight_unit,
            "tiers": records(tiers),
            "sectors": records(sectors),
            "materials": records(materials),
            "demand": records(dem),
            "conversions": records(conversions),
        }
        return parse_allocation(data, source="frames")

    def to_problem(self):
        """The array form :class:`crmsec.optimize.allocation.AllocationProblem`."""
        from crmsec.optimize.allocation import AllocationProblem

        labels = self.period_labels
        n = len(labels)
        sectors = [s.sector for s in self.sectors]
        materials = [m.material_id for m in self.materials]
        ks = {s: i for i, s in enumerate(sectors)}
        ms = {m: i for i, m in enumerate(materials)}
        tiers = {t.tier: t for t in self.tiers}
        demand = np.zeros((len(sectors), len(materials), n))
        essential = np.zeros_like(demand)
        for d in self.demand:
            demand[ks[d.sector], ms[d.material_id]] = _per_period(d.demand_t, n, "demand_t")
            essential[ks[d.sector], ms[d.material_id]] = _per_period(d.essential_t, n, "essential_t")

        def w(s: SectorIn, attr: str) -> float:
            own = getattr(s, attr)
            return own if own is not None else getattr(tiers[s.tier], attr)

        nan = float("nan")
        return AllocationProblem(
            sectors=tuple(sectors),
            materials=tuple(materials),
            periods=tuple(labels),
            tiers=tuple(s.tier for s in self.sectors),
            tier_rank=np.array([tiers[s.tier].rank for s in self.sectors], float),
            demand=demand,
            essential=essential,
            weight_essential=np.array([w(s, "weight_essential") for s in self.sectors]),
            weight_nonessential=np.array([w(s, "weight_nonessential") for s in self.sectors]),
            availability=np.array(
                [_per_period(m.availability_t, n, "availability_t") for m in self.materials]
            ),
            stock=np.array([m.stock_t for m in self.materials]),
            release_limit=np.array(
                [np.inf if m.release_limit_t is None else m.release_limit_t for m in self.materials]
            ),
            reserve_floor=np.array([m.reserve_floor_t for m in self.materials]),
            va_meur_per_period=np.array(
                [nan if s.va_meur_per_period is None else s.va_meur_per_period for s in self.sectors]
            ),
            output_elasticity=np.array([s.output_elasticity for s in self.sectors]),
            min_operating_share=np.array(
                [nan if s.min_operating_share is None else s.min_operating_share for s in self.sectors]
            ),
            restart_cost=np.array([s.restart_cost for s in self.sectors]),
            weight_unit=self.weight_unit,
            name=self.name,
            conversions=pd.DataFrame(
                [
                    {
                        "from_material": c.from_material,
                        "to_material": c.to_material,
                        "conversion_yield": c.conversion_yield,
                        "capacity_t_per_period": np.nan
                        if c.capacity_t_per_period is None
                        else c.capacity_t_per_period,
                    }
                    for c in self.conversions
                ],
                columns=["from_material", "to_material", "conversion_yield", "capacity_t_per_period"],
            ),
        )


def validation_message(err: ValidationError, source: str) -> str:
    """Turn a pydantic error into one line per problem naming the field, e.g. ``materials[0].stock_t``."""
    parts = []
    for e in err.errors():
        loc = ""
        for item in e["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        shown = "" if isinstance(value, dict | list) or value is None else f" (value {short(value)})"
        parts.append(f"{loc}: {msg}{shown}" if loc else msg)
    return f"{source}: invalid allocation input — " + "; ".join(parts)


def parse_allocation(data: dict, *, source: str = "input") -> AllocationInput:
    """Validate a dict (parsed YAML/JSON) as :class:`AllocationInput`; errors → :class:`InputError`."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with periods, tiers, sectors, materials, demand")
    try:
        return AllocationInput.model_validate(data)
    except ValidationError as err:
        raise InputError(validation_message(err, source)) from None


def load_allocation(path: str | Path) -> AllocationInput:
    """Read and validate an allocation YAML (or JSON) file."""
    path = Path(path)
    return parse_allocation(load_yaml_file(path), source=str(path))
