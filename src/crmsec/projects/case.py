"""Validated input of a project's business case (annual, real EUR) — pydantic models readable from YAML/JSON.

A case holds physical volumes, costs, financing terms, tax, and the price environment. It holds no
defaults that pretend to be data: volumes, prices and costs always come from the user (or the registry);
the few defaults of financing terms, tax and discount rates are listed with their source and evidence tag in
``assumptions.csv`` next to this module (a test keeps the two in step) and should be replaced per project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crmsec.errors import InputError
from crmsec.projects.prices import PriceModel, PriceSet


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceSpec(_Model):
    """Serializable form of :class:`crmsec.projects.prices.PriceModel`."""

    kind: Literal["gbm", "ou"]
    p0: float = Field(gt=0)
    sigma: float = Field(ge=0)
    mu: float = 0.0
    kappa: float | None = Field(None, gt=0)
    theta: float | None = None
    convenience_yield: float = 0.0
    market_price_of_risk: float = 0.0
    unit: str = "EUR/t"
    source: str = "user input"

    def to_model(self, name: str) -> PriceModel:
        return PriceModel(
            kind=self.kind, p0=self.p0, sigma=self.sigma, mu=self.mu,
            kappa=float("nan") if self.kappa is None else self.kappa,
            theta=float("nan") if self.theta is None else self.theta,
            convenience_yield=self.convenience_yield, market_price_of_risk=self.market_price_of_risk,
            name=name, unit=self.unit, source=self.source,
        )


class Product(_Model):
    """One saleable product (main product first; by-products after).

    quantity : output per year t = 0..n_years [t/yr] (list of n_years + 1 values).
    payable : payable share of contained metal [-].
    tc_rc : treatment/refining charges [EUR per t of product].
    feed_cost_share : recycling feedstock cost as a share of the product's payable value [-] (feed price
        indexed to the metal price, methods §6.1).
    currency : currency of ``price``; ``USD`` needs an FX model in the case.
    """

    name: str
    quantity: tuple[float, ...]
    price: PriceSpec
    payable: float = Field(1.0, gt=0, le=1)
    tc_rc: float = Field(0.0, ge=0)
    feed_cost_share: float = Field(0.0, ge=0, lt=1)
    currency: Literal["EUR", "USD"] = "EUR"

    @field_validator("quantity")
    @classmethod
    def _nonneg(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any((not np.isfinite(q)) or q < 0 for q in v):
            raise ValueError("quantities must be finite and >= 0 [t/yr]")
        return v


class Debt(_Model):
    """Senior debt raised during construction, repaid as an annuity from the first production year.

    share : debt share of construction capex [-]; base_rate : real base rate [1/yr]; spread [1/yr];
    tenor : repayment years (after ``grace_years`` interest-only years); reserve_years : debt-service reserve in years of debt service (funded by equity
    at financial close, released at maturity); lgd : lenders' loss given default [-].
    """

    share: float = Field(0.0, ge=0, lt=1)
    base_rate: float = Field(0.02, ge=-0.05, le=0.5)
    spread: float = Field(0.03, ge=0, le=0.5)
    tenor: int = Field(10, gt=0, le=40)
    grace_years: int = Field(0, ge=0, le=10, description="interest-only years from the first production year")
    reserve_years: float = Field(0.5, ge=0, le=3)
    lgd: float = Field(0.45, ge=0, le=1)


class Case(_Model):
    """A project business case in real EUR, annual steps t = 0..n_years (t = 0 is the decision year).

    Discount rates are annual effective real rates. ``valuation`` selects the measure for the whole
    appraisal (never mixed): ``real_world`` paths discounted at ``cost_of_equity`` (investor), ``wacc``
    (project) and ``public_rate`` (public cost); ``risk_neutral`` paths (drift ln(1 + risk_free) − y)
    discounted at ``risk_free`` throughout.
    """

    name: str
    n_years: int = Field(gt=0, le=80)
    start_year: int = 2026
    products: tuple[Product, ...] = Field(min_length=1)
    fx: PriceSpec | None = Field(None, description="EUR per USD")
    corr: tuple[tuple[float, ...], ...] | None = None
    capex: tuple[float, ...] = Field(description="capital expenditure per year [EUR]")
    opex_fixed: float = Field(0.0, ge=0, description="fixed opex in production years [EUR/yr]")
    opex_variable: float = Field(0.0, ge=0, description="variable opex per t of main product [EUR/t]")
    royalty_rate: float = Field(0.0, ge=0, lt=1)
    tax_rate: float = Field(0.258, ge=0, lt=1)
    depreciation_years: int = Field(10, gt=0)
    wc_fraction: float = Field(0.0, ge=0, lt=1, description="working capital as share of revenue")
    closure_cost: float = Field(0.0, ge=0, description="closure/rehabilitation cost in the final year [EUR]")
    debt: Debt = Debt()
    wacc: float = Field(0.08, gt=-0.5)
    cost_of_equity: float = Field(0.12, gt=-0.5)
    public_rate: float = Field(0.0225, gt=-0.5)
    risk_free: float = Field(0.02, gt=-0.5)
    hurdle_npv: float = Field(0.0, description="investor goes ahead when equity NPV >= hurdle [EUR]")
    host_country: str | None = None
    material_id: str | None = None
    stage: str | None = None

    @model_validator(mode="after")
    def _lengths(self) -> Case:
        n = self.n_years + 1
        if len(self.capex) != n:
            raise ValueError(f"capex has {len(self.capex)} values; need n_years + 1 = {n}")
        for p in self.products:
            if len(p.quantity) != n:
                raise ValueError(f"product '{p.name}': quantity has {len(p.quantity)} values; need {n}")
            if p.currency == "USD" and self.fx is None:
                raise ValueError(f"product '{p.name}' is priced in USD; give an fx model (EUR per USD)")
        names = [p.name for p in self.products]
        if len(set(names)) != len(names):
            raise ValueError(f"product names must be unique, got {names}")
        k = len(self.products) + (1 if self.fx is not None else 0)
        if self.corr is not None and (len(self.corr) != k or any(len(r) != k for r in self.corr)):
            raise ValueError(f"corr must be {k}x{k} (products then fx)")
        return self

    def price_set(self) -> PriceSet:
        """The joint price environment. EUR-priced products are not multiplied by FX."""
        return PriceSet(
            products=tuple(p.price.to_model(p.name) for p in self.products),
            corr=None if self.corr is None else np.asarray(self.corr, dtype=float),
            fx=None if self.fx is None else self.fx.to_model("fx"),
        )


ASSUMPTIONS = Path(__file__).resolve().parent / "assumptions.csv"


def assumptions() -> pd.DataFrame:
    """The documented default parameters of a case (parameter, value, unit, evidence, source, note)."""
    return pd.read_csv(ASSUMPTIONS)


def load_case(source: str | Path | dict) -> Case:
    """Parse and validate a case from a YAML/JSON file or a dict; errors name the field and file."""
    where = None
    if isinstance(source, str | Path):
        where = Path(source)
        from crmsec.safe_input import load_yaml_file

        data = load_yaml_file(where)
    else:
        data = source
    try:
        return Case.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise InputError(
            f"case{f' {where}' if where else ''}: field '{loc}': {e['msg']} (value {e.get('input')!r})"
        ) from err


def production_profile(capacity: float, n_years: int, first_year: int, ramp: tuple[float, ...] = (1.0,),
                       last_year: int | None = None) -> tuple[float, ...]:
    """Output per year t = 0..n_years: 0 before ``first_year``, then ``capacity`` × ramp factors, then full.

    A convenience to build ``Product.quantity``; ``last_year`` (inclusive) ends production (default n_years).
    """
    q = np.zeros(n_years + 1)
    end = n_years if last_year is None else last_year
    q[first_year : end + 1] = capacity
    for i, f in enumerate(ramp):
        if first_year + i <= end:
            q[first_year + i] = capacity * f
    return tuple(float(x) for x in q)
