"""Value chains: a typed graph material → intermediate → component → end product → NACE sector.

A chain is data (``library/<id>.yaml``): nodes with a ``type`` and, for supply stages, the registry
``material_id`` and ``stage`` whose supplier shares come from the store (world production by country), or a
row set in the cited assumption table ``data/stage_shares.csv`` (component stages with no dataset: magnet and
cell manufacturing). The pure functions here turn a chain plus supplier shares and governance into:

* the graph as node and edge frames (for the dashboard);
* per supply stage: HHI, largest supplier, and the governance-weighted concentration
  ``risk = Σ_c sh_c² · WGI_EU,c`` (EU method HHI_WGI with t = 1 [1]; scaled WGI preset ``eu2023`` [2]);
* the weakest stage = the stage with the highest risk (the EU bottleneck idea, methods §1.10 [3]);
* the Dutch sectors that depend on the chain (sector nodes reachable from the stage).

References
----------
[1] European Commission (2017), Study on the review of the list of CRMs, §2.1 (HHI_WGI); methods.md §1.3.
[2] methods.md §1.16 (scaled WGI preset eu2023). [3] methods.md §1.10 (bottleneck stage rule).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crmsec.errors import DataError, InputError
from crmsec.indicators.concentration import concentration_ratio, hhi
from crmsec.indicators.governance import hhi_wgi_t

NodeType = Literal["material", "intermediate", "component", "end_product", "sector"]
TYPE_ORDER = {"material": 0, "intermediate": 1, "component": 2, "end_product": 3, "sector": 4}


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: NodeType
    label: str
    label_nl: str | None = None  # Dutch label (every built-in non-sector node has one; sectors use the catalog)
    material_id: str | None = None
    stage: Literal["extraction", "processing", "component"] | None = None
    nace: str | None = None
    feeds_materials: list[str] = Field(default_factory=list)

    def text(self, lang: str = "en") -> str:
        """The node's label in ``lang`` ("en"/"nl"); English where no Dutch label is given."""
        return (self.label_nl if lang == "nl" else None) or self.label


class Chain(BaseModel):
    """A value chain (see module docstring)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    description: str = ""
    name_nl: str | None = None
    description_nl: str | None = None
    nodes: list[Node]
    edges: list[tuple[str, str]]
    sources: list[str] = Field(default_factory=list)

    def text(self, lang: str = "en") -> tuple[str, str]:
        """(name, description) in ``lang``; English where no Dutch text is given."""
        if lang == "nl":
            return self.name_nl or self.name, self.description_nl or self.description
        return self.name, self.description

    @model_validator(mode="after")
    def _check(self) -> Chain:
        ids = [n.id for n in self.nodes]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate node id(s) {sorted(dup)}")
        known = set(ids)
        types = {n.id: n.type for n in self.nodes}
        for a, b in self.edges:
            for x in (a, b):
                if x not in known:
                    raise ValueError(f"edge [{a}, {b}] names unknown node {x!r}")
            if TYPE_ORDER[types[a]] > TYPE_ORDER[types[b]]:
                raise ValueError(f"edge [{a}, {b}] runs upstream ({types[a]} → {types[b]})")
        for n in self.nodes:
            if n.type == "sector" and not n.nace:
                raise ValueError(f"sector node {n.id!r} needs 'nace'")
        return self


@lru_cache(maxsize=1)
def _library() -> dict[str, Chain]:
    out: dict[str, Chain] = {}
    folder = resources.files("crmsec.chains") / "library"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            chain = Chain.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
        except ValidationError as err:
            e = err.errors()[0]
            raise DataError(f"invalid chain definition: {e['msg']}", file=f"chains/library/{entry.name}",
                            field=".".join(str(p) for p in e["loc"])) from None
        out[chain.id] = chain
    return out


def chains() -> dict[str, Chain]:
    """All built-in chains by id."""
    return dict(_library())


def get_chain(chain_id: str) -> Chain:
    lib = _library()
    if chain_id not in lib:
        raise InputError(f"unknown chain {chain_id!r}; choose one of {', '.join(sorted(lib))}")
    return lib[chain_id]


@lru_cache(maxsize=1)
def stage_share_assumptions() -> pd.DataFrame:
    """The cited assumption table of component-stage supplier shares (chain_id, node_id, country, share, …)."""
    path = resources.files("crmsec.chains") / "data" / "stage_shares.csv"
    with resources.as_file(path) as p:
        frame = pd.read_csv(p, keep_default_na=False)
    bad = frame[(frame["share"] < 0) | (frame["share"] > 1)]
    if not bad.empty:
        raise DataError("share must lie in [0, 1]", file="chains/data/stage_shares.csv", row=int(bad.index[0]) + 2,
                        field="share", value=bad["share"].iloc[0])
    over = frame.groupby(["chain_id", "node_id"])["share"].sum()
    if (over > 1 + 1e-9).any():
        raise DataError("shares of one node sum to more than 1", file="chains/data/stage_shares.csv",
                        value=over[over > 1].index[0])
    if (frame["source"].str.strip() == "").any():
        raise DataError("every assumption row needs a source", file="chains/data/stage_shares.csv", field="source")
    return frame


def chain_graph(chain: Chain) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (id, type, label, material_id, stage, nace, level) and edges (source, target) frames."""
    nodes = pd.DataFrame([
        {"id": n.id, "type": n.type, "label": n.label, "material_id": n.material_id or "",
         "stage": n.stage or "", "nace": n.nace or "", "level": TYPE_ORDER[n.type]} for n in chain.nodes
    ])
    edges = pd.DataFrame(chain.edges, columns=["source", "target"])
    return nodes, edges


def downstream_sectors(chain: Chain, node_id: str) -> list[str]:
    """NACE codes of the sector nodes reachable from ``node_id``."""
    nxt: dict[str, list[str]] = {}
    for a, b in chain.edges:
        nxt.setdefault(a, []).append(b)
    nace = {n.id: n.nace for n in chain.nodes if n.type == "sector"}
    seen, stack, out = set(), [node_id], []
    while stack:
        x = stack.pop()
        for y in nxt.get(x, []):
            if y not in seen:
                seen.add(y)
                stack.append(y)
                if y in nace:
                    out.append(nace[y])
    return sorted(set(out))


def component_mixes(chain_ids: list[str] | None = None) -> pd.DataFrame:
    """Component-stage supplier mixes for the scenario engine (material_id, stage, country, share, mix_basis).

    Each component node with ``feeds_materials`` and assumption shares contributes one mix per fed material.
    """
    ass = stage_share_assumptions()
    rows = []
    for cid, chain in chains().items():
        if chain_ids is not None and cid not in chain_ids:
            continue
        for n in chain.nodes:
            if n.type != "component" or not n.feeds_materials:
                continue
            sub = ass[(ass["chain_id"] == cid) & (ass["node_id"] == n.id)]
            for mat in n.feeds_materials:
                for r in sub.itertuples(index=False):
                    rows.append({"material_id": mat, "stage": "component", "country": r.country,
                                 "share": float(r.share), "mix_basis": f"chain_assumption:{cid}/{n.id}"})
    out = pd.DataFrame(rows, columns=["material_id", "stage", "country", "share", "mix_basis"])
    return out.drop_duplicates(["material_id", "stage", "country"])


def stage_risk(chain: Chain, node_shares: pd.DataFrame, wgi_scaled: pd.Series) -> pd.DataFrame:
    """Concentration × governance risk per supply node and the weakest stage.

    Parameters
    ----------
    chain : the chain. node_shares : node_id, country, share [0..1], source — supplier shares per node
        (shares of named suppliers; the rest is unallocated and not counted in the HHI).
    wgi_scaled : EU-scaled WGI per ISO3 [0..10, 10 worst] (``crmsec.indicators.governance.eu_scaled_wgi``).

    Returns
    -------
    Frame with node_id, label, type, material_id, stage, n_suppliers, hhi, top_country, top_share,
    coverage (sum of named shares), risk (HHI_WGI with t = 1), weakest (bool; computed over the stages with
    data only), weakest_caveat (names the stages without data that could be weaker), data_status ("no data"
    for a blank stage, never a zero), sectors, source, reason.
    """
    rows = []
    for n in chain.nodes:
        if n.type not in ("material", "intermediate", "component"):
            continue
        sub = node_shares[node_shares["node_id"] == n.id]
        reason, src = "", ";".join(sorted(set(sub["source"].astype(str)))) if not sub.empty else ""
        if sub.empty:
            h = top_share = risk = cov = np.nan
            top = ""
            reason = "no_supplier_data: no dataset or assumption row for this stage"
        else:
            sh = sub["share"].to_numpy(float)
            h = float(hhi(sh))
            top_share = float(concentration_ratio(sh, 1))
            top = str(sub["country"].iloc[int(np.argmax(sh))])
            cov = float(sh.sum())
            w = wgi_scaled.reindex(sub["country"]).to_numpy(float)
            risk = float(hhi_wgi_t(sh, w, 1.0))  # HHI_WGI, t = 1 (methods §1.3)
            if not np.isfinite(risk):
                missing = sub["country"][np.isnan(w)].tolist()
                reason = f"no_wgi: governance missing for {', '.join(missing[:5])}"
        rows.append({
            "chain_id": chain.id, "node_id": n.id, "label": n.label, "type": n.type,
            "material_id": n.material_id or "", "stage": n.stage or n.type,
            "n_suppliers": int(len(sub)), "hhi": h, "top_country": top, "top_share": top_share,
            "coverage": cov, "risk": risk, "sectors": ", ".join(downstream_sectors(chain, n.id)),
            "source": src, "reason": reason,
        })
    out = pd.DataFrame(rows)
    out["data_status"] = np.where(out["risk"].notna(), "data", "no data")
    out["weakest"] = False
    out["weakest_caveat"] = ""
    if out["risk"].notna().any():
        k = out["risk"].idxmax()  # weakest over the stages WITH data only
        out.loc[k, "weakest"] = True
        blank = out.loc[out["risk"].isna(), "label"].tolist()
        if blank:
            out.loc[k, "weakest_caveat"] = (
                f"{len(blank)} stage(s) without data could be weaker: {', '.join(blank)}")
    return out
