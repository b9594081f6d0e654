"""Validated input of a club-market case: one material, its regions, supply blocks and the policy packages.

A case spec is YAML (built-in ones in ``club/cases/``, user ones by path); every number in it carries a
``source`` or is read from the labelled assumption table ``club/assumptions.csv`` (parameter, value, unit,
evidence, source, note), which the case refers to by parameter name (``{assumption: name}``).

Units: price in the case's ``price_unit`` (USD/kg for NdPr oxide), quantities in t/yr of the named product,
capex in million USD, money results in million EUR (converted with the ``eur_per_usd`` assumption).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crmsec.errors import InputError
from crmsec.safe_input import load_yaml

HERE = Path(__file__).resolve().parent
ASSUMPTIONS = HERE / "assumptions.csv"
CASES = HERE / "cases"
MAX_PATHS = 200_000
MAX_YEARS = 40
MAX_BLOCKS = 200


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_M):
    """Demand of one region at the reference price: q0 [t/yr], point elasticity (absolute) and growth [1/yr]."""

    q0: float = Field(gt=0)
    elasticity: float = Field(gt=0, le=5)
    growth: float = Field(0.0, ge=-0.2, le=0.5)
    source: str


class Member(_M):
    """A club member with its burden-sharing keys (shares of the club, summing to 1 over members)."""

    id: str
    name: str
    consumption_share: float = Field(ge=0, le=1)
    gdp_share: float = Field(ge=0, le=1)
    source: str


class Block(_M):
    """A capacity block: existing (``capex_musd`` = 0, ``start_year`` <= base year) or a candidate project.

    capacity [t/yr], cash_cost [price unit], capex_musd [million USD, overnight], build_years, compliant
    (meets the club's standard, see the compliance rule in the assumption table), start_year (first
    possible production year), contracted_share (privately contracted offtake share of capacity).
    """

    name: str
    region: str
    capacity: float = Field(ge=0)
    cash_cost: float = Field(ge=0)
    capex_musd: float = Field(0.0, ge=0)
    compliant: bool = False
    start_year: int
    contracted_share: float = Field(0.0, ge=0, le=1)
    candidate: bool = False
    compliance_basis: str = Field("rule", description="'rule' (see compliance_rule) or the reason for an exception")
    source: str


class Dominant(_M):
    """The dominant supplier: region, capacity [t/yr], cash cost [price unit], conduct outside flooding."""

    region: str
    capacity: float = Field(gt=0)
    cash_cost: float = Field(ge=0)
    capacity_growth: float = Field(0.0, ge=-0.2, le=0.5)
    flood_capacity_factor: float = Field(1.0, ge=1, le=5, description="capacity multiplier in flooding years")
    conduct: Literal["competitive", "cournot", "leader"] = "leader"
    source: str


class Floor(_M):
    """Club fund pays max(F − P, 0) per tonne of eligible (compliant) output for ``years`` years and, with an
    upside share u, receives u·max(P − F, 0) per tonne back (net payment per tonne max(F − P, 0) − u·max(P − F, 0)).

    The US DoD–MP Materials price protection agreement (9 July 2025) has F = 110 USD/kg NdPr for 10 years and
    u = 0.30 (MP 8-K of 10 July 2025, as summarised by stocktitan.net and nasdaq.com; the 8-K ties the 30 % share to
    the 10X facility reaching full production — the model applies it over the whole floor term, a simplification).
    """

    price: float = Field(gt=0)
    years: int = Field(10, gt=0, le=MAX_YEARS)
    eligible: tuple[str, ...] | None = Field(None, description="block names covered (None = all compliant blocks)")
    upside_share: float = Field(0.0, ge=0, le=1, description="share u of max(P − F, 0) paid back to the fund")


class Offtake(_M):
    """Public (or buyers') long-term offtake of volume V [t/yr] at fixed price K for T years, per project."""

    volume_share: float = Field(gt=0, le=1, description="share of each supported project's capacity")
    price: float = Field(gt=0)
    years: int = Field(10, gt=0, le=MAX_YEARS)
    payer: Literal["treasury", "buyers"] = "treasury"


class JointPurchasing(_M):
    """Demand aggregation: members commit ``tender_share`` of their demand to tenders; pooled or national."""

    members: tuple[str, ...]
    tender_share: float = Field(gt=0, le=1)
    price: float = Field(gt=0, description="fixed tender price K [price unit], paid by the buyers")
    years: int = Field(10, gt=0, le=MAX_YEARS)
    pooled: bool = True


class Package(_M):
    """One policy package (all fields optional; the empty package is the no-club baseline)."""

    name: str
    floor: Floor | None = None
    tariff: float = Field(0.0, ge=0, description="standards: penalty τ per unit on non-compliant supply to the club")
    capex_subsidy: float = Field(0.0, ge=0, lt=1, description="share of candidate capex paid by the club")
    production_subsidy: float = Field(0.0, ge=0, description="per unit of compliant output [price unit]")
    offtake: Offtake | None = None
    joint_purchasing: JointPurchasing | None = None
    burden_key: Literal["consumption", "gdp", "negotiated"] = "gdp"
    burden_shares: dict[str, float] | None = Field(None, description="negotiated key: member id → share (sum 1)")
    description: str = ""

    @model_validator(mode="after")
    def _key(self) -> Package:
        if self.burden_key == "negotiated":
            if not self.burden_shares or abs(sum(self.burden_shares.values()) - 1.0) > 1e-6 \
                    or any(v < 0 for v in self.burden_shares.values()):
                raise ValueError(f"package '{self.name}': a negotiated burden key needs burden_shares >= 0 summing to 1")
        elif self.burden_shares is not None:
            raise ValueError(f"package '{self.name}': burden_shares needs burden_key: negotiated")
        return self


class Uncertainty(_M):
    """Demand shocks (OU in log demand via projects.prices) and a flooding regime of the dominant supplier."""

    demand_sigma: float = Field(ge=0, le=2)
    demand_kappa: float = Field(gt=0, le=10)
    flood_probability: float = Field(ge=0, le=1, description="annual probability a flooding episode starts")
    flood_years: int = Field(ge=1, le=10)
    source: str


class Ban(_M):
    """Export ban of the dominant supplier to the club in year base_year + ``year_offset``."""

    year_offset: int = Field(ge=1, le=MAX_YEARS)
    source: str


class Finance(_M):
    """Investor view of a candidate: real hurdle rate, public discount rate, life, lenders' contracted share."""

    hurdle_rate: float = Field(gt=-0.5, lt=1)
    public_rate: float = Field(gt=-0.5, lt=1)
    min_contracted_share: float = Field(ge=0, le=1)
    tax_rate: float = Field(0.25, ge=0, lt=1, description="corporate income tax rate of candidate projects")
    source: str


class ClubCase(_M):
    """A club-market case for one material (see module docstring for units)."""

    id: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    title: str
    material_id: str
    product: str
    price_unit: str = "USD/kg"
    base_year: int
    n_years: int = Field(gt=0, le=MAX_YEARS)
    p0: float = Field(gt=0, description="reference price [price unit] where regional demand equals q0")
    p0_source: str
    eur_per_usd: float = Field(gt=0)
    club: Region
    row: Region
    members: tuple[Member, ...] = Field(min_length=1)
    nl_share_of_eu_gdp: float = Field(ge=0, le=1)
    nl_share_of_eu_consumption: float = Field(ge=0, le=1)
    dominant: Dominant
    blocks: tuple[Block, ...] = Field(min_length=1, max_length=MAX_BLOCKS)
    uncertainty: Uncertainty
    ban: Ban
    finance: Finance
    packages: tuple[Package, ...] = ()
    notes: str = ""

    @model_validator(mode="after")
    def _check(self) -> ClubCase:
        for key in ("consumption_share", "gdp_share"):
            tot = sum(getattr(m, key) for m in self.members)
            if abs(tot - 1.0) > 1e-6:
                raise ValueError(f"members' {key} must sum to 1, got {tot:.6f}")
        ids = {m.id for m in self.members}
        for p in self.packages:
            if p.joint_purchasing is not None and set(p.joint_purchasing.members) - ids:
                raise ValueError(f"package '{p.name}': joint purchasing members {sorted(set(p.joint_purchasing.members) - ids)} "
                                 f"are not club members {sorted(ids)}")
        blocks = {b.name for b in self.blocks}
        for p in self.packages:
            if p.floor is not None and p.floor.eligible is not None and set(p.floor.eligible) - blocks:
                raise ValueError(f"package '{p.name}': floor.eligible names unknown blocks "
                                 f"{sorted(set(p.floor.eligible) - blocks)}")
        for p in self.packages:
            if p.burden_shares is not None and set(p.burden_shares) - ids:
                raise ValueError(f"package '{p.name}': burden_shares names unknown members "
                                 f"{sorted(set(p.burden_shares) - ids)}")
        names = [p.name for p in self.packages]
        if len(set(names)) != len(names) or "none" in names:
            raise ValueError(f"package names must be unique and not 'none' (the baseline), got {names}")
        if self.ban.year_offset > self.n_years:
            raise ValueError(f"ban year_offset {self.ban.year_offset} is beyond n_years {self.n_years}")
        return self

    def package(self, name: str) -> Package:
        if name == "none":
            return Package(name="none", description="no club (baseline)")
        for p in self.packages:
            if p.name == name:
                return p
        raise InputError(f"case '{self.id}' has no package '{name}'; packages: {['none', *[p.name for p in self.packages]]}")


@lru_cache(maxsize=1)
def assumption_values() -> dict[str, float]:
    """``{parameter: value}`` of the assumption table (the table itself: :func:`assumptions`)."""
    import pandas as pd

    t = pd.read_csv(ASSUMPTIONS)
    return dict(zip(t["parameter"], t["value"].astype(float), strict=True))


def assumptions():  # noqa: ANN201 - pandas imported lazily
    """The labelled assumption table: parameter, value, unit, evidence, source, note."""
    import pandas as pd

    return pd.read_csv(ASSUMPTIONS)


def _resolve(node: Any, where: str) -> Any:
    """Replace ``{assumption: name}`` by the table's value (an unknown name is an error naming it)."""
    if isinstance(node, dict):
        if set(node) == {"assumption"}:
            vals = assumption_values()
            name = node["assumption"]
            if name not in vals:
                raise InputError(f"{where}: assumption '{name}' is not in {ASSUMPTIONS.name}; add it with its source")
            return vals[name]
        return {k: _resolve(v, where) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, where) for v in node]
    return node


def builtin_cases() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.yaml"))


def load_case(source: str | Path | dict) -> ClubCase:
    """A case from a built-in id, a YAML path or a dict; errors name the file and field."""
    where = "case"
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        if not path.suffix and (CASES / f"{source}.yaml").exists():
            path = CASES / f"{source}.yaml"
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise InputError(f"club case {path} not found; built-in cases: {builtin_cases()}") from err
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"club case {path} cannot be read ({err}); give a YAML file or a built-in case "
                             f"{builtin_cases()}") from err
        data = load_yaml(text, f"club case {path}")  # the strict loader: no aliases, depth limit, no duplicate keys
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping at the top level")
    data = _resolve(data, where)
    try:
        return ClubCase.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise InputError(f"{where}: field '{loc}': {e['msg']} (value {e.get('input')!r})") from err
