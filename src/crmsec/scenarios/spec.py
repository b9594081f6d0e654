"""Disruption scenario specification: a pydantic schema, loadable from YAML with clear errors.

A scenario says *who* (actor countries or a chokepoint) does *what* (ban, quota, licensing delay,
chokepoint closure) to *which* materials at *which* supply-chain stages, *how hard* (depth 0–1),
*when and for how long* (onset, duration in days), *how likely* (annual probability) and what the
market can do about it (rerouting lag/ramp, share of the lost volume that can be replaced).
Parameters that are uncertain carry a range ``[low, high]`` used by the ensemble sampler.

References
----------
[1] methods.md §5.2 (shortfall propagation model) and §5.3 (scenario inputs: probability, depth by supplier,
    duration, onset, market rerouting). [2] Regulation (EU) 2024/1252 (CRMA) Art. 5 for the benchmarks the
    built-in library is read against.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crmsec.errors import InputError
from crmsec.safe_input import load_yaml, load_yaml_file, short

STAGES = ("extraction", "processing", "component", "end_product")


class Measure(enum.StrEnum):
    """Kind of disruption. ``licensing_delay`` and ``quota`` cut flows partially (depth < 1 typical)."""

    ban = "ban"
    quota = "quota"
    licensing_delay = "licensing_delay"
    chokepoint_closure = "chokepoint_closure"


class Range(BaseModel):
    """A parameter range ``[low, high]`` for the ensemble sampler (uniform unless stated)."""

    model_config = ConfigDict(extra="forbid")
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high < self.low:
            raise ValueError(f"range high {self.high} < low {self.low}; write [low, high]")
        return self


def _as_range(value: object) -> object:
    """Accept ``x`` (point), ``[a, b]`` or ``{low:, high:}``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"low": float(value), "high": float(value)}
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"a range needs two numbers [low, high], got {list(value)!r}")
        return {"low": value[0], "high": value[1]}
    return value


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    url: str | None = None
    year: int | None = None
    note: str | None = None


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class Scenario(BaseModel):
    """One disruption scenario (see module docstring).

    Fields
    ------
    id : str, snake_case, unique in a library.
    name, description : English title and narrative; ``name_nl``, ``description_nl`` their Dutch form (optional
        for uploads; every built-in scenario has both). :meth:`Scenario.text` picks by language; likewise
        ``assumptions_nl`` (one per assumption, same order) and ``probability_basis_nl`` (:meth:`Scenario.notes`).
    measure : Measure.
    actors : ISO3 codes of the countries imposing the measure (empty for a chokepoint closure).
    chokepoint : name of the chokepoint (must exist in the chokepoint table) for ``chokepoint_closure``.
    materials : registry material ids affected (``*`` = every material the chokepoint table lists).
    stages : supply-chain stages the measure applies to (``extraction``, ``processing``, ``component``).
    depth : share of the actor's exports (or of the transits) cut, 0..1 [-]; a point or a range.
    onset_days : days from t0 to the start [d]. duration_days : length [d]; point or range.
    probability : annual probability of occurrence [1/yr], 0..1; omitted when ``ledger`` names export-control
        ledger entries: then the ledger base rate fills it (``crmsec.scenarios.controls.base_rate``).
    probability_basis : how the probability was obtained (filled by the base-rate method; text otherwise).
    ledger : ids of the export-control ledger measures the scenario represents (``crmsec controls list``).
    reroute_lag_days, reroute_ramp_days : rerouting starts after the lag and reaches ``reroute_max`` after
        the ramp [d]; ``reroute_max`` is the share of the lost volume other suppliers/routes can replace [-].
        ``None`` takes the per-material defaults of the exposure table.
    spare_share : spare capacity elsewhere as a share of world supply that offsets the loss at once (market
        mode, methods §5.2 Eq. 2) [-]; ``None`` takes the exposure table default.
    exempt_importers : importers excluded from the measure (ISO3 or group ``EU27``), e.g. licences granted.
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    description: str = ""
    name_nl: str | None = None
    description_nl: str | None = None
    measure: Measure
    actors: list[str] = Field(default_factory=list)
    chokepoint: str | None = None
    materials: list[str] = Field(min_length=1)
    stages: list[str] = Field(default_factory=lambda: ["processing"])
    depth: Range
    onset_days: float = Field(default=0.0, ge=0.0)
    duration_days: Range
    probability: Fraction | None = None
    probability_basis: str = ""
    ledger: list[str] = Field(default_factory=list)
    reroute_lag_days: Range | None = None
    reroute_ramp_days: Range | None = None
    reroute_max: Range | None = None
    spare_share: Fraction | None = None
    exempt_importers: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    assumptions: list[str] = Field(default_factory=list)
    assumptions_nl: list[str] = Field(default_factory=list)
    probability_basis_nl: str | None = None

    _ranges = field_validator(
        "depth", "duration_days", "reroute_lag_days", "reroute_ramp_days", "reroute_max", mode="before"
    )(_as_range)

    @field_validator("actors", "exempt_importers")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        for code in value:
            if not (code.isupper() and (len(code) == 3 or code in {"EU27"})):
                raise ValueError(f"{code!r} is not an ISO3 code (three capitals, e.g. CHN) or EU27")
        return value

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        for st in value:
            if st not in STAGES:
                raise ValueError(f"stage {st!r} unknown; use one of {', '.join(STAGES)}")
        return value

    def text(self, lang: str = "en") -> tuple[str, str]:
        """(name, description) in ``lang`` ("en" or "nl"); the English text where no Dutch one is given."""
        if lang == "nl":
            return self.name_nl or self.name, self.description_nl or self.description
        return self.name, self.description

    def notes(self, lang: str = "en") -> list[str]:
        """The assumptions in ``lang``; English where no Dutch list is given."""
        return list(self.assumptions_nl) if lang == "nl" and self.assumptions_nl else list(self.assumptions)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.assumptions_nl and len(self.assumptions_nl) != len(self.assumptions):
            raise ValueError(f"assumptions_nl has {len(self.assumptions_nl)} entries, assumptions "
                             f"{len(self.assumptions)}: give one Dutch sentence per assumption, in the same order")
        if not (0.0 <= self.depth.low and self.depth.high <= 1.0):
            raise ValueError(f"depth must lie in [0, 1], got [{self.depth.low}, {self.depth.high}]")
        if self.duration_days.low <= 0:
            raise ValueError("duration_days must be > 0")
        if self.reroute_max is not None and not (0 <= self.reroute_max.low and self.reroute_max.high <= 1):
            raise ValueError("reroute_max must lie in [0, 1]")
        for name in ("reroute_lag_days", "reroute_ramp_days"):
            rng = getattr(self, name)
            if rng is not None and rng.low < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.probability is None and not self.ledger:
            raise ValueError("give 'probability:' (annual, 0-1) or 'ledger:' (measure ids whose base rate sets it)")
        if self.measure is Measure.chokepoint_closure:
            if not self.chokepoint:
                raise ValueError("measure chokepoint_closure needs 'chokepoint:' (a name of the chokepoint table)")
        elif not self.actors:
            raise ValueError(f"measure {self.measure.value} needs at least one actor country in 'actors:'")
        return self


def _format_validation(err: ValidationError, where: str) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        value = e.get("input")
        shown = short(value) if not isinstance(value, dict) else "{…}"  # bounded, never the expanded input
        lines.append(f"{where}: field '{loc}': {e['msg']} (value {shown})")
    return "; ".join(lines)


def parse_scenario(data: object, *, where: str = "<scenario>") -> Scenario:
    """Validate a mapping (parsed YAML/JSON) into a :class:`Scenario`; errors name file, field and value."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a scenario must be a mapping of fields, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(
            _format_validation(err, where) + ". See `crmsec scenario show china_gallium_germanium_2023` for a valid example"
        ) from None


def load_scenario_file(path: str | Path) -> Scenario:
    """Load one scenario from a YAML file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"scenario file {path} does not exist; give a path to a .yaml file or a built-in id")
    return parse_scenario(load_yaml_file(path), where=str(path))


@lru_cache(maxsize=1)
def _library() -> dict[str, Scenario]:
    lib: dict[str, Scenario] = {}
    folder = resources.files("crmsec.scenarios") / "library"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = load_yaml(entry.read_text(encoding="utf-8"), f"built-in library/{entry.name}")
            sc = parse_scenario(data, where=f"built-in library/{entry.name}")
            if sc.id in lib:
                raise InputError(f"built-in library: scenario id {sc.id!r} appears twice")
            lib[sc.id] = sc
    return lib


def _resolved(sc: Scenario) -> Scenario:
    from crmsec.scenarios.controls import resolve_probability

    return resolve_probability(sc)  # type: ignore[return-value]


def builtin_scenarios() -> list[Scenario]:
    """All built-in scenarios, sorted by id (probabilities of ledger-based scenarios from the base rate)."""
    return [_resolved((_library())[k]) for k in sorted(_library())]


def get_scenario(name: str | Path) -> Scenario:
    """A built-in scenario by id, or a YAML file by path."""
    text = str(name)
    if text.endswith((".yaml", ".yml")) or Path(text).exists():
        return _resolved(load_scenario_file(text))
    lib = _library()
    if text not in lib:
        raise InputError(
            f"unknown scenario {text!r}; built-in ids: {', '.join(sorted(lib))} (or give a path to a .yaml file)"
        )
    return _resolved(lib[text])
