"""Public instruments that change a project's cash flows, alone or combined in packages (methods §6.4).

Each instrument is a validated pydantic model with a ``type`` tag, so packages can be read from YAML/JSON
(CLI, REST API) and validated before any computation. The cash-flow effects are applied by
:func:`crmsec.projects.appraisal.appraise`; this module only defines and parses them.

All money is real EUR; prices and strikes EUR per tonne of the product named in ``product``
(default: the main product, the first in the case).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from crmsec.errors import InputError
from crmsec.safe_input import check_magnitude


class _Instrument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _magnitude(cls, value: object) -> object:
        return check_magnitude(value)  # e.g. floor:strike=1e308 is refused


class CapexGrant(_Instrument):
    """Capital grant G paid to the project in year ``year`` [EUR]; public cost G (methods §6.4)."""

    type: Literal["grant"] = "grant"
    amount: float = Field(gt=0, description="grant [EUR]")
    year: int = Field(0, ge=0, description="year index of payment")
    taxable: bool = Field(False, description="grant counts as taxable income")


class LoanGuarantee(_Instrument):
    """Public guarantee of a share g of senior debt (methods §6.4).

    Debt becomes cheaper (spread → ``spread``) and may be larger (``debt_share``). Public cost per path =
    Σ_t DF_t · g · EAD_t · LGD · 1[default at t] − PV(guarantee fees).
    """

    type: Literal["guarantee"] = "guarantee"
    share: float = Field(gt=0, le=1, description="guaranteed share g of the debt")
    spread: float = Field(ge=0, description="credit spread with the guarantee [1/yr]")
    fee: float = Field(0.0, ge=0, description="guarantee fee on the guaranteed outstanding [1/yr]")
    debt_share: float | None = Field(None, gt=0, lt=1, description="debt share of construction capex with guarantee")


class FirstLossTranche(_Instrument):
    """Public junior capital F that absorbs equity losses first (methods §6.4).

    Private loss = max(0, Loss − F); public cost = min(Loss, F), with Loss the shortfall of the present
    value of equity distributions below the equity invested; the tranche earns no return (forgone return).
    """

    type: Literal["first_loss"] = "first_loss"
    amount: float = Field(gt=0, description="first-loss capital F [EUR], replaces private equity")


class PriceFloor(_Instrument):
    """Minimum price K (a strip of puts): project receives Q_t·max(K − P_t, 0) (methods §6.4)."""

    type: Literal["floor"] = "floor"
    strike: float = Field(gt=0, description="floor K [EUR/t]")
    product: str | None = None
    share: float = Field(1.0, gt=0, le=1, description="share of payable tonnes covered")
    years: int | None = Field(None, gt=0, description="number of production years covered (None = all)")


class ContractForDifference(_Instrument):
    """Two-sided CfD at strike K: project receives Q_t·(K − P_t), pays back when P_t > K (methods §6.4)."""

    type: Literal["cfd"] = "cfd"
    strike: float = Field(gt=0, description="strike K [EUR/t]")
    product: str | None = None
    share: float = Field(1.0, gt=0, le=1)
    years: int | None = Field(None, gt=0)


class Collar(_Instrument):
    """Collar K_f < K_c: + Q_t·max(K_f − P_t, 0) − Q_t·max(P_t − K_c, 0) (methods §6.4)."""

    type: Literal["collar"] = "collar"
    floor: float = Field(gt=0, description="K_f [EUR/t]")
    cap: float = Field(gt=0, description="K_c [EUR/t]")
    product: str | None = None
    share: float = Field(1.0, gt=0, le=1)
    years: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Collar:
        if not self.floor < self.cap:
            raise ValueError(f"collar floor {self.floor} must be below cap {self.cap}")
        return self


class Offtake(_Instrument):
    """Long-term offtake of a share phi of payable tonnes (methods §6.4).

    ``price`` given → fixed price K_o; otherwise market price × (1 − ``discount``) bounded by ``floor`` /
    ``ceiling``. With a public offtaker (e.g. a stockpile agency) the public cost per year is
    phi·Q_t·(price paid − P_t), i.e. net of the market value of the tonnes acquired.
    """

    type: Literal["offtake"] = "offtake"
    share: float = Field(gt=0, le=1, description="phi, share of payable tonnes")
    price: float | None = Field(None, gt=0, description="fixed price K_o [EUR/t]")
    discount: float = Field(0.0, ge=0, lt=1)
    floor: float | None = Field(None, gt=0)
    ceiling: float | None = Field(None, gt=0)
    public_offtaker: bool = True
    product: str | None = None
    years: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _shape(self) -> Offtake:
        if self.price is not None and (self.floor is not None or self.ceiling is not None or self.discount):
            raise ValueError("offtake: give either a fixed price, or discount/floor/ceiling on the market price")
        if self.floor is not None and self.ceiling is not None and self.floor >= self.ceiling:
            raise ValueError("offtake: floor must be below ceiling")
        return self


class PublicEquity(_Instrument):
    """Public equity share eta: private equity cash flows scaled by (1 − eta); the state funds eta of the
    equity and receives eta of the distributions (methods §6.4)."""

    type: Literal["equity"] = "equity"
    share: float = Field(gt=0, lt=1, description="eta")


Instrument = Annotated[
    CapexGrant | LoanGuarantee | FirstLossTranche | PriceFloor | ContractForDifference | Collar | Offtake | PublicEquity,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Instrument] = TypeAdapter(Instrument)


class Package(BaseModel):
    """A named combination of instruments (empty = the no-support baseline)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    instruments: tuple[Instrument, ...] = ()

    @model_validator(mode="after")
    def _one_each(self) -> Package:
        seen = [i.type for i in self.instruments]
        dup = {t for t in seen if seen.count(t) > 1 and t in {"guarantee", "first_loss", "equity"}}
        if dup:
            raise ValueError(f"package '{self.name}': at most one instrument of type {sorted(dup)}")
        return self


def parse_instrument(spec: str | dict) -> Instrument:
    """An instrument from a dict or a CLI string ``type:key=value,key=value``.

    Examples: ``floor:strike=18000``, ``grant:amount=5e7``, ``guarantee:share=0.8,spread=0.01``,
    ``offtake:share=0.5,price=21000``.
    """
    if isinstance(spec, str):
        m = re.fullmatch(r"\s*([a-z_]+)\s*(?::(.*))?", spec)
        if not m:
            raise InputError(f"--instrument {spec!r}: write it as type:key=value,... e.g. floor:strike=18000")
        data: dict[str, object] = {"type": m.group(1)}
        for part in filter(None, (m.group(2) or "").split(",")):
            if "=" not in part:
                raise InputError(f"--instrument {spec!r}: '{part}' is not key=value")
            k, v = (s.strip() for s in part.split("=", 1))
            data[k] = {"true": True, "false": False}.get(v.lower(), v)
        spec = data
    try:
        return _ADAPTER.validate_python(spec)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InputError(
            f"instrument {spec!r}: {first['msg']} at '{loc}'. Types: grant, guarantee, first_loss, floor, cfd, "
            "collar, offtake, equity"
        ) from err


def package(name: str, *instruments: Instrument | str | dict) -> Package:
    """Build a :class:`Package` from instruments or their specs."""
    parsed = tuple(i if isinstance(i, BaseModel) else parse_instrument(i) for i in instruments)
    try:
        return Package(name=name, instruments=parsed)
    except ValidationError as err:
        raise InputError(str(err.errors()[0]["msg"])) from err
