"""The Dutch national critical raw materials list: score, rank, select N, explain, diff.

Every EU CRM/SRM candidate is scored on two axes (methods §1.14):

* **NL supply uncertainty** — SR_NL = [HHI_GS·IR_NL/2 + HHI_NL·(1 − IR_NL/2)]·(1 − EoL_RIR)·SI_SR, with
  HHI_NL the HHI_WGI,t of the Dutch sourcing mix (re-export-adjusted imports, optionally looked through to
  ultimate origin, EU partners t = 0.8 and their own WGI) and IR_NL the import reliance for domestic use;
  HHI_GS, EoL-RIR and SI_SR come from the EU assessment (no NL data). Where the NL mix cannot be built the
  EU SR is used and ``sr_source`` says so.
* **Contribution to Dutch industry value added** — VA_exposed [M EUR], the EU EI (2023) scaled by the NL share
  of EU value added in the material's end-use sectors (OECD IOT 2020, NL; a CBS 85867NED extract is preferred
  when present; :mod:`crmsec.criticality.nl_value_added`); ``va_basis`` carries the basis on every row.

Entries whose SR is the EU's (no NL trade code, or NL imports below the materiality floor) are **borrowed**:
``sr_basis`` says so on every row, the drivers text says "EU … BORROWED", and :func:`eu_view_note` gives the
one-line summary shown with every list (CLI, briefing, page).

score = (SR_NL / max SR_NL)^w_sr · (VA_exposed / max VA_exposed)^w_ei; rank descending; the top N
(default 17) are on the list. Drivers name the inputs behind each position. :func:`diff_lists` explains
entries and exits between two runs by an exact Shapley decomposition of each material's log-score change
over its inputs.

References
----------
.. [1] crmsec methods spec §1.14 (NL adaptation), §7 (NL import dependence), §1.11 (EI).
.. [2] Ministerie van Economische Zaken en Klimaat — the Dutch list narrows the EU's CRMs to 17 materials
   with the highest supply uncertainty that matter most for Dutch industry value added (issue brief).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmsec.criticality.eu_method import supply_risk
from crmsec.errors import InputError

METHOD_VERSION = "nl-list/crmsec-1"

#: inputs of the score, in the order used by the Shapley decomposition
SCORE_INPUTS: tuple[str, ...] = ("hhi_gs", "hhi_nl", "ir_nl", "eol_rir", "si_sr", "va_exposed_meur")


@dataclass(frozen=True)
class ListConfig:
    """Parameters of the national list (all documented, all configurable)."""

    n: int = 17
    w_sr: float = 1.0
    w_ei: float = 1.0
    #: the NL blend weights HHI_GS by IR_NL/2 like the EU formula; set ``False`` for HHI_NL only
    blend_global: bool = True
    #: may an entry whose NL imports are below the materiality floor take a slot on the EU's SR (borrowed)?
    #: ``True`` (default, issue 12 spec): yes, labelled; ``False``: no — it is shown unranked with reason
    #: ``below_materiality_no_slot`` and the next entry moves up (docs/nl_list.md, "below the floor")
    below_floor_slots: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InputError(f"list size n must be >= 1, got {self.n}")
        for name in ("w_sr", "w_ei"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise InputError(f"weight {name} must be a finite number >= 0, got {v}")
        if self.w_sr == 0 and self.w_ei == 0:
            raise InputError("weights w_sr and w_ei are both 0: the score would be constant")


def sr_nl(inputs: pd.DataFrame, *, blend_global: bool = True) -> np.ndarray:
    """SR_NL per methods §1.14 from columns ``hhi_gs``, ``hhi_nl``, ``ir_nl``, ``eol_rir``, ``si_sr``.

    With ``blend_global`` the EU blend is used with IR_NL; otherwise the NL mix only (``EU only`` case).
    """
    case = "GS+EU" if blend_global else "EU only"
    return np.asarray(
        supply_risk(inputs["hhi_gs"].to_numpy(float), inputs["hhi_nl"].to_numpy(float),
                    inputs["ir_nl"].to_numpy(float), inputs["eol_rir"].to_numpy(float),
                    inputs["si_sr"].to_numpy(float), case)
    )


def _score(sr: np.ndarray, va: np.ndarray, cfg: ListConfig, sr_max: float, va_max: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.clip(sr / sr_max, 0.0, None) ** cfg.w_sr
        b = np.clip(va / va_max, 0.0, None) ** cfg.w_ei
    return a * b


def score_materials(inputs: pd.DataFrame, config: ListConfig | None = None) -> pd.DataFrame:
    """Score, rank and select the national list.

    Parameters
    ----------
    inputs : one row per candidate with ``material_id``, ``material``, ``hhi_gs``, ``hhi_nl``, ``ir_nl``,
        ``eol_rir``, ``si_sr``, ``va_exposed_meur``, ``sr_eu`` (fallback) and optional context columns
        (``top_origin``, ``top_origin_share``, ``top_sector``, ``top_sector_share``, ``hub``, ``va_basis``).
    config : :class:`ListConfig`.

    Returns
    -------
    ``inputs`` plus ``sr_nl``, ``sr_source`` (``nl_trade`` or ``eu_fallback``), ``score``, ``rank``
    (1 = highest), ``on_list``, ``drivers`` (text) and ``reason`` (``no_score`` when neither SR nor VA is
    available; those rows are unranked, rank NaN). Sorted by rank.
    """
    cfg = config or ListConfig()
    f = inputs.copy()
    for col in ("hhi_gs", "hhi_nl", "ir_nl", "eol_rir", "si_sr", "va_exposed_meur"):
        if col not in f.columns:
            raise InputError(f"national-list inputs lack column '{col}'")
    s = sr_nl(f, blend_global=cfg.blend_global)
    fallback = np.isnan(s) & f.get("sr_eu", pd.Series(np.nan, index=f.index)).notna().to_numpy()
    f["sr_nl"] = np.where(fallback, f.get("sr_eu", np.nan), s)
    f["sr_source"] = np.where(fallback, "eu_fallback", np.where(np.isnan(s), "", "nl_trade"))
    if "nl_reason" in f:  # say why the EU view is used (below_materiality, no_trade_mapping, …)
        why = f["nl_reason"].fillna("").astype(str)
        f["sr_source"] = np.where(fallback & (why != ""), "eu_fallback:" + why, f["sr_source"])
    f["sr_basis"] = np.where(fallback, SR_BASIS_EU, np.where(np.isnan(s), "", SR_BASIS_NL))
    sr_max = float(np.nanmax(f["sr_nl"])) if f["sr_nl"].notna().any() else np.nan
    va_max = float(np.nanmax(f["va_exposed_meur"])) if f["va_exposed_meur"].notna().any() else np.nan
    f["score"] = _score(f["sr_nl"].to_numpy(float), f["va_exposed_meur"].to_numpy(float), cfg, sr_max, va_max)
    f["reason"] = np.where(f["score"].isna(), "no_score", "")
    # ties are broken by a stated secondary criterion — supply risk, then value added (methods; issue 12) —
    # and only an exact tie on all three is flagged at the cut-off (the list then holds N + k, tie named)
    f = f.assign(_neg=-f["score"], _nsr=-f["sr_nl"], _nva=-f["va_exposed_meur"].astype(float))
    watch = f.get("candidate_set", pd.Series("annex_ii", index=f.index)).eq("watch").to_numpy()
    no_slot = np.zeros(len(f), dtype=bool)
    if not cfg.below_floor_slots:
        no_slot = f["sr_source"].eq("eu_fallback:below_materiality").to_numpy()
        f["reason"] = np.where(no_slot & f["score"].notna(), "below_materiality_no_slot", f["reason"])
    order = f[~watch & ~no_slot].sort_values(["_neg", "_nsr", "_nva"], na_position="last", kind="stable").index
    f["rank"] = np.nan
    f.loc[order, "rank"] = np.arange(1, len(order) + 1, dtype=float)
    f.loc[f["score"].isna(), "rank"] = np.nan
    ranked = f.dropna(subset=["rank"]).sort_values("rank")
    key = ranked[["score", "sr_nl", "va_exposed_meur"]].to_numpy(float)
    tied = np.zeros(len(f), dtype=bool)
    n_list = cfg.n
    if len(ranked) > cfg.n:
        last = key[cfg.n - 1]
        same = np.all(np.isclose(key, last[None], rtol=1e-12, atol=0.0), axis=1)
        if same[cfg.n:].any():  # an exact tie across the cut-off: all tied members are on the list (N + k)
            n_list = int(np.flatnonzero(same).max()) + 1
            tied = f.index.isin(ranked.index[same])
    f["tied_at_cutoff"] = tied
    f["on_list"] = (f["rank"] <= n_list).fillna(False).astype(bool)
    f = f.drop(columns=["_neg", "_nsr", "_nva"])
    win = f.attrs.get("window")
    period = f"{min(win)}–{max(win)}" if win is not None and len(win) > 1 else (str(win[0]) if win else "")
    f["drivers"] = [_drivers(r, period) for r in f.itertuples(index=False)]
    f.attrs["sr_max"], f.attrs["va_max"], f.attrs["config"] = sr_max, va_max, cfg
    f.attrs["list_size"] = n_list
    return f.sort_values(["rank", "material_id"], na_position="last").reset_index(drop=True)


def _fmt(x: object, spec: str = ".2f") -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(v) else format(v, spec)


#: an entry/exit whose score is within this log distance of the other side of the cut-off is "near": the
#: Monte Carlo's data noise is σ = 0.15 on each axis (nl_uncertainty), i.e. ≈ 0.15–0.21 on log(score)
NEAR_CUTOFF_LOG = 0.15
NEAR_CUTOFF_TEXT = "NEAR the cut-off, within the data noise (σ 0.15)"


#: ``sr_basis`` labels: the supply axis from Dutch trade, or the EU's SR borrowed (shown wherever the row goes)
SR_BASIS_NL = "NL trade"
SR_BASIS_EU = "EU SR 2023 (borrowed)"
#: why the EU SR is borrowed, in words (``nl_reason`` codes of :mod:`crmsec.criticality.nl_inputs`)
_WHY_EU = {"no_trade_mapping": "no NL trade code", "below_materiality": "NL imports below the materiality floor",
           "form_not_covered_in_window": "NL trade form not covered in the window"}
_WHY_EU_NL = {"no NL trade code": "geen NL-handelscode",
              "NL imports below the materiality floor": "NL-invoer onder de materialiteitsdrempel",
              "NL trade form not covered in the window": "NL-handelsvorm niet gedekt in het venster"}


def _drivers(r: object, period: str = "") -> str:
    """Human-readable drivers of a material's position (supply side, then economic side)."""
    g = r.__getattribute__
    src = g("sr_source") or "n/a"
    if src.startswith("eu_fallback"):
        why = _WHY_EU.get(src.partition(":")[2], src.partition(":")[2] or "no NL view")
        parts = [f"SR {_fmt(g('sr_nl'))} = EU supply risk 2023, BORROWED ({why})"]
    else:
        parts = [f"SR_NL {_fmt(g('sr_nl'))} ({src})"]
    stage = getattr(r, "form_stage", None)
    if isinstance(stage, str) and stage:
        avg = f", avg {period}" if period else ""
        imp = float(getattr(r, "imports_meur", np.nan))
        imp_txt = "< 0.1" if 0 < imp < 0.05 else _fmt(imp, ",.1f")  # a trivial flow is not shown as 0 (review)
        parts.append(f"NL imports {imp_txt} M EUR/yr as {stage} "
                     f"({getattr(r, 'form_source', '')}), {int(getattr(r, 'n_partners', 0) or 0)} partners{avg}")
    top = getattr(r, "top_origin", None)
    if isinstance(top, str) and top:
        parts.append(f"top origin {top} {_fmt(100 * float(getattr(r, 'top_origin_share', np.nan)), '.0f')}%")
    parts.append(f"HHI_NL {_fmt(g('hhi_nl'))}, HHI_GS {_fmt(g('hhi_gs'))}, IR_NL {_fmt(g('ir_nl'))}")
    if bool(getattr(r, "hub", False)):
        parts.append("hub material (X/M>0.8)")
    parts.append(f"EoL-RIR {_fmt(g('eol_rir'))}, SI_SR {_fmt(g('si_sr'))}")
    sector = getattr(r, "top_sector", None)
    va = f"NL VA exposed {_fmt(g('va_exposed_meur'), ',.0f')} M EUR"
    if isinstance(sector, str) and sector:
        va += f" (largest {sector} {_fmt(100 * float(getattr(r, 'top_sector_share', np.nan)), '.0f')}%)"
    parts.append(va)
    basis = getattr(r, "va_basis", None)
    if isinstance(basis, str) and basis.startswith("proxy"):
        parts.append("VA is a PROXY")
    elif isinstance(basis, str) and basis:
        parts.append(f"VA basis {basis}")
    if getattr(r, "va_structure", "") == "no_end_uses":
        parts.append("no EU end-use split: NL share of EU manufacturing used (assumption)")
    if bool(getattr(r, "tied_at_cutoff", False)):
        parts.append("TIED at the list cut-off (same score, SR and VA; all tied entries kept)")
    return "; ".join(parts)


# Dutch wording of the fixed phrases in the drivers and diff texts (numbers and codes stay as they are).
_PHRASES_NL = (
    ("EU supply risk 2023, BORROWED", "EU-leveringsrisico 2023, GELEEND"),
    *_WHY_EU_NL.items(),
    (", avg ", ", gem. "),
    ("TIED at the list cut-off (same score, SR and VA; all tied entries kept)",
     "GELIJKE score, SR en toegevoegde waarde op de grens van de lijst (alle gelijke blijven op de lijst)"),
    ("no EU end-use split: NL share of EU manufacturing used (assumption)",
     "geen EU-toepassingsverdeling: NL-aandeel in EU-industrie gebruikt (aanname)"),
    ("NL imports", "NL-invoer"),
    ("trade form", "handelsvorm"),
    ("supply view", "aanbodbasis"),
    ("partners", "partnerlanden"),
    ("VA basis", "basis toegevoegde waarde"),
    ("M EUR/yr as", "mln EUR/jr als"),
    ("below_materiality", "onder_materialiteitsdrempel"),
    ("own inputs unchanged relative to the other materials; position moved because others moved",
     "eigen invoer onveranderd ten opzichte van de andere grondstoffen; positie verschoof doordat andere verschoven"),
    ("vs. other materials", "t.o.v. andere grondstoffen"),
    ("list cutoff score", "drempelscore van de lijst"),
    (NEAR_CUTOFF_TEXT, "DICHT BIJ de grens van de lijst, binnen de ruis van de gegevens (σ 0,15)"),
    ("hub material (X/M>0.8)", "doorvoergrondstof (X/M>0,8)"),
    ("NL VA exposed", "blootgestelde NL toegevoegde waarde"),
    ("VA is a PROXY", "toegevoegde waarde is een PROXY"),
    ("top origin", "belangrijkste herkomst"),
    ("largest", "grootste"),
    ("M EUR", "mln EUR"),
    # trade-form stages (after "M EUR/yr as" became "mln EUR/jr als")
    ("als ore (", "als erts ("), ("als intermediate (", "als tussenproduct ("), ("als refined (", "als geraffineerd ("),
    ("als compound (", "als verbinding ("), ("als semi (", "als halffabricaat ("), ("als mixed (", "als gemengd ("),
)


def eu_view_note(frame: pd.DataFrame, lang: str = "en") -> str:
    """One sentence: how many list members rest on the EU's SR instead of Dutch trade, which, and why.

    ``frame`` is a scored list (``on_list``, ``sr_basis``, ``sr_source``, ``material``); '' when none borrows.
    """
    if "sr_basis" not in frame or "on_list" not in frame:
        return ""
    on = frame[frame["on_list"].fillna(False).astype(bool)]
    eu = on[on["sr_basis"] == SR_BASIS_EU]
    if eu.empty:
        return ""
    why = eu["sr_source"].astype(str).str.partition(":")[2].map(lambda c: _WHY_EU.get(c, c or "no NL view"))
    floor = frame.attrs.get("floor_meur")
    if floor is not None:  # name the floor's value: "below the materiality floor (1 M EUR/yr in every year)"
        why = why.str.replace("materiality floor", f"materiality floor of {floor:g} M EUR/yr", regex=False)
    groups = "; ".join(f"{', '.join(eu.loc[why == w, 'material'].astype(str))} ({w})" for w in dict.fromkeys(why))
    if lang == "nl":
        for en, nl in _WHY_EU_NL.items():
            groups = groups.replace(en, nl)
        groups = groups.replace("materialiteitsdrempel of", "materialiteitsdrempel van").replace(" M EUR/yr",
                                                                                             " mln EUR/jr")
        return (f"{len(eu)} van de {len(on)} grondstoffen op de lijst gebruiken het EU-leveringsrisico 2023 "
                f"(geleend, geen Nederlandse handelsgegevens): {groups}.")
    return (f"{len(eu)} of the {len(on)} materials on the list use the EU supply risk 2023 "
            f"(borrowed, not Dutch trade data): {groups}.")


#: an English-formatted number: thousands with commas and/or a decimal point ("11,400", "2.69", "1,234.5")
_EN_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w])")


def _dutch_number(match: re.Match) -> str:
    """'11,400' → '11.400', '2.69' → '2,69' (Dutch separators, CLDR nl)."""
    return match.group(0).translate(str.maketrans({",": ".", ".": ","}))


def localise_text(text: object, lang: str = "en") -> object:
    """The drivers/diff text of this module in ``lang`` ('en' unchanged; 'nl' Dutch phrases and Dutch number
    separators); non-text as is."""
    if lang != "nl" or not isinstance(text, str):
        return text
    for en, nl in _PHRASES_NL:
        text = text.replace(en, nl)
    return _EN_NUMBER.sub(_dutch_number, text)


def _shapley_log_score(a: pd.DataFrame, b: pd.DataFrame, cfg: ListConfig, norm_a: tuple[float, float],
                       norm_b: tuple[float, float]) -> pd.DataFrame:
    """Exact Shapley decomposition of Δ log(score) over :data:`SCORE_INPUTS` (+ the normalisers).

    All 2^k coalitions are evaluated vectorised over materials; contribution of input i =
    Σ_S |S|!(k−|S|−1)!/k! · [v(S ∪ {i}) − v(S)], v(S) = log score with the inputs in S taken from ``b``.
    """
    names = [*SCORE_INPUTS, "normalisers"]
    k = len(names)

    def value(coalition: frozenset[str]) -> np.ndarray:
        cols = {c: (b if c in coalition else a)[c].to_numpy(float) for c in SCORE_INPUTS}
        sr_max, va_max = norm_b if "normalisers" in coalition else norm_a
        frame = pd.DataFrame(cols)
        s = sr_nl(frame, blend_global=cfg.blend_global)
        fb_a, fb_b = a["sr_fallback"].to_numpy(float), b["sr_fallback"].to_numpy(float)
        s = np.where(np.isnan(s), fb_b if "hhi_nl" in coalition else fb_a, s)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_score(s, cols["va_exposed_meur"], cfg, sr_max, va_max))

    cache = {frozenset(c): value(frozenset(c)) for r in range(k + 1) for c in itertools.combinations(names, r)}
    out = {}
    for i in names:
        others = [n for n in names if n != i]
        contrib = np.zeros(len(a))
        for r in range(k):
            w = math.factorial(r) * math.factorial(k - r - 1) / math.factorial(k)
            for c in itertools.combinations(others, r):
                s = frozenset(c)
                contrib = contrib + w * (cache[s | {i}] - cache[s])
        out[i] = contrib
    return pd.DataFrame(out, index=a.index)


def _cutoff_margin(change: str, score: float, cutoff_score: float, first_out: float) -> float:
    """log distance of an entered material above the first one left out, or of a leaver below the N-th score."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if change == "entered":
            return float(np.log(score / first_out))
        if change == "left":
            return float(np.log(cutoff_score / score))
    return np.nan


def diff_lists(before: pd.DataFrame, after: pd.DataFrame, *, label_before: str = "before",
               label_after: str = "after") -> pd.DataFrame:
    """Which materials entered or left the list, and which inputs moved them by how much.

    Parameters
    ----------
    before, after : :func:`score_materials` results (same config) of two data years or vintages.

    Returns
    -------
    One row per material whose ``on_list`` status changed (plus materials whose rank moved by ≥ 3), with
    ``change`` (``entered``/``left``/``moved``), ranks and scores before/after, Δ of every input, the Shapley
    contribution of each input to Δ log(score) (columns ``contrib_<input>``; they sum to the total),
    ``cutoff_before``/``cutoff_after`` (score of the N-th material) and ``explanation`` (text naming the
    inputs that moved the material relative to the others — contribution minus the median contribution of
    that input over all materials, so uniform shifts such as the NL VA level cancel — largest first, and the
    cutoff shift).
    """
    cfg = after.attrs.get("config") or before.attrs.get("config") or ListConfig()
    key = "material_id"
    both = before.set_index(key).merge(after.set_index(key), left_index=True, right_index=True, how="outer",
                                       suffixes=("_a", "_b"))
    a = pd.DataFrame({c: both[f"{c}_a"] for c in SCORE_INPUTS})
    b = pd.DataFrame({c: both[f"{c}_b"] for c in SCORE_INPUTS})
    a["sr_fallback"] = both.get("sr_eu_a", np.nan)
    b["sr_fallback"] = both.get("sr_eu_b", np.nan)
    norm_a = (before.attrs.get("sr_max", np.nan), before.attrs.get("va_max", np.nan))
    norm_b = (after.attrs.get("sr_max", np.nan), after.attrs.get("va_max", np.nan))
    contrib = _shapley_log_score(a, b, cfg, norm_a, norm_b)
    on_a = both["on_list_a"].fillna(False).astype(bool)
    on_b = both["on_list_b"].fillna(False).astype(bool)
    rank_move = (both["rank_b"] - both["rank_a"]).abs()
    change = np.where(on_b & ~on_a, "entered", np.where(on_a & ~on_b, "left", np.where(rank_move >= 3, "moved", "")))
    # an entry or exit of a material tied at the cut-off in either run is a tie, never announced as a change
    tie = both.get("tied_at_cutoff_a", pd.Series(False, index=both.index)).fillna(False).astype(bool) | \
        both.get("tied_at_cutoff_b", pd.Series(False, index=both.index)).fillna(False).astype(bool)
    change = np.where(tie.to_numpy() & np.isin(change, ["entered", "left"]), "tie", change)

    def cutoff(f: pd.DataFrame) -> float:
        ranked = f.dropna(subset=["rank"]).sort_values("rank")
        return float(ranked["score"].iloc[min(cfg.n, len(ranked)) - 1]) if len(ranked) else np.nan

    cut_a, cut_b = cutoff(before), cutoff(after)
    ranked_b = after.dropna(subset=["rank"]).sort_values("rank")["score"].to_numpy(float)
    n_b = int(after.attrs.get("list_size", cfg.n))
    first_out_b = float(ranked_b[n_b]) if len(ranked_b) > n_b else np.nan
    net = contrib - contrib.median(axis=0)

    def fmt_of(c: str) -> str:
        return ",.0f" if c == "va_exposed_meur" else ".2f"

    rows = []
    for mid in both.index[change != ""]:
        i = both.index.get_loc(mid)
        row = {
            "material_id": mid,
            "material": both["material_b"].iloc[i] if pd.notna(both["material_b"].iloc[i]) else both["material_a"].iloc[i],
            "change": change[i],
            f"rank_{label_before}": both["rank_a"].iloc[i],
            f"rank_{label_after}": both["rank_b"].iloc[i],
            f"score_{label_before}": both["score_a"].iloc[i],
            f"score_{label_after}": both["score_b"].iloc[i],
            "cutoff_before": cut_a,
            "cutoff_after": cut_b,
        }
        for c in SCORE_INPUTS:
            row[f"delta_{c}"] = b[c].iloc[i] - a[c].iloc[i]
        for c in contrib.columns:
            row[f"contrib_{c}"] = contrib[c].iloc[i]
        # ranks depend on scores relative to the other materials: explain with each input's contribution net
        # of the median contribution over all materials (uniform shifts, e.g. the NL VA level, cancel)
        parts = sorted(((c, net[c].iloc[i]) for c in SCORE_INPUTS), key=lambda t: -abs(np.nan_to_num(t[1])))
        text = ", ".join(
            f"{c} {_fmt(a[c].iloc[i], fmt_of(c))}→{_fmt(b[c].iloc[i], fmt_of(c))} (Δlog score {v:+.3f} vs. other materials)"
            for c, v in parts[:3]
            if np.isfinite(v) and abs(v) > 5e-3
        )
        for col, lab in (("form_stage", "trade form"), ("sr_source", "supply view"), ("va_basis", "VA basis")):
            if f"{col}_a" in both and f"{col}_b" in both:
                va_, vb_ = both[f"{col}_a"].iloc[i], both[f"{col}_b"].iloc[i]
                if isinstance(va_, str) and isinstance(vb_, str) and va_ != vb_:
                    text = (text + "; " if text else "") + f"{lab} {va_}→{vb_}"
        if not text:
            text = "own inputs unchanged relative to the other materials; position moved because others moved"
        if np.isfinite(cut_a) and np.isfinite(cut_b) and abs(cut_b - cut_a) > 1e-12:
            text += f"; list cutoff score {cut_a:.3f}→{cut_b:.3f}"
        # an entry/exit decided by less than the data noise is said to be so (checklist: ties and thresholds)
        row["cutoff_margin_log"] = _cutoff_margin(change[i], both["score_b"].iloc[i], cut_b, first_out_b)
        row["near_cutoff"] = bool(np.isfinite(row["cutoff_margin_log"])
                                  and abs(row["cutoff_margin_log"]) < NEAR_CUTOFF_LOG)
        if row["near_cutoff"]:
            text += f"; {NEAR_CUTOFF_TEXT} (|Δlog score| {abs(row['cutoff_margin_log']):.3f})"
        row["explanation"] = text
        rows.append(row)
    return pd.DataFrame(rows)
