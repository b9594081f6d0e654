"""National list: scoring, selection, drivers, year-over-year diff; NL value-added proxy and CBS loader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.criticality import national_list as nl
from crmsec.criticality import nl_value_added as va
from crmsec.errors import InputError


def _inputs(hhi_nl=(6.0, 1.0, 3.0, 2.0), va_meur=(100.0, 400.0, 200.0, 50.0)) -> pd.DataFrame:
    return pd.DataFrame({
        "material_id": ["a", "b", "c", "d"],
        "material": ["A", "B", "C", "D"],
        "hhi_gs": [4.0, 1.0, 2.0, 2.0],
        "hhi_nl": list(hhi_nl),
        "ir_nl": [1.0, 1.0, 1.0, 1.0],
        "eol_rir": [0.0, 0.5, 0.1, 0.0],
        "si_sr": [1.0, 1.0, 0.9, 1.0],
        "va_exposed_meur": list(va_meur),
        "sr_eu": [np.nan, np.nan, np.nan, 2.0],
        "va_basis": "proxy: test",
    })


def test_sr_nl_formula():
    """methods §1.14: SR_NL = [HHI_GS·IR/2 + HHI_NL·(1 − IR/2)]·(1 − EoL)·SI_SR."""
    s = nl.sr_nl(_inputs())
    assert s[0] == pytest.approx(4 * 0.5 + 6 * 0.5)
    assert s[2] == pytest.approx((2 * 0.5 + 3 * 0.5) * 0.9 * 0.9)


def test_score_rank_select_and_drivers():
    out = nl.score_materials(_inputs(), nl.ListConfig(n=2))
    assert list(out["material_id"]) == ["a", "c", "b", "d"]
    assert out["on_list"].sum() == 2 and list(out.loc[out["on_list"], "material_id"]) == ["a", "c"]
    sr_max = 5.0
    assert out.loc[0, "score"] == pytest.approx(1.0 * 100 / 400)
    assert out.loc[1, "score"] == pytest.approx(nl.sr_nl(_inputs())[2] / sr_max * 0.5)
    assert "VA is a PROXY" in out.loc[0, "drivers"] and "HHI_NL 6.00" in out.loc[0, "drivers"]
    assert (out["sr_source"] == "nl_trade").all()


def test_weights_change_the_order():
    sr_only = nl.score_materials(_inputs(), nl.ListConfig(n=1, w_ei=0.0))
    assert sr_only.iloc[0]["material_id"] == "a"
    va_only = nl.score_materials(_inputs(), nl.ListConfig(n=1, w_sr=0.0))
    assert va_only.iloc[0]["material_id"] == "b"


def test_eu_fallback_when_no_nl_mix():
    f = _inputs(hhi_nl=(6.0, 1.0, 3.0, np.nan))
    out = nl.score_materials(f).set_index("material_id")
    assert out.loc["d", "sr_source"] == "eu_fallback" and out.loc["d", "sr_nl"] == 2.0


def test_borrowed_eu_view_is_labelled_on_every_row_and_in_one_note():
    """Review of issue 12: an entry resting on the EU's SR is labelled ``sr_basis`` = borrowed, its drivers say
    BORROWED (not "SR_NL"), and :func:`eu_view_note` names it with the reason — in English and Dutch."""
    f = _inputs(hhi_nl=(6.0, 1.0, 3.0, np.nan)).assign(nl_reason=["", "", "", "below_materiality"],
                                                        form_stage=["ore", "ore", "ore", "refined"],
                                                        imports_meur=[5.0, 2.0, 3.0, 0.000385])
    f.attrs["floor_meur"], f.attrs["window"] = 1.0, [2022, 2023, 2024]
    out = nl.score_materials(f, nl.ListConfig(n=4)).set_index("material_id")
    assert out.loc["d", "sr_basis"] == nl.SR_BASIS_EU and (out.loc[["a", "b", "c"], "sr_basis"] == nl.SR_BASIS_NL).all()
    d = out.loc["d", "drivers"]
    assert d.startswith("SR 2.00 = EU supply risk 2023, BORROWED (NL imports below the materiality floor)")
    assert "SR_NL" not in d and "< 0.1 M EUR/yr" in d and "avg 2022–2024" in d
    assert "GELEEND" in nl.localise_text(d, "nl") and "BORROWED" not in nl.localise_text(d, "nl")
    assert "als geraffineerd (" in nl.localise_text(d, "nl")
    frame = out.reset_index()
    frame.attrs.update(floor_meur=1.0)
    note = nl.eu_view_note(frame)
    assert note.startswith("1 of the 4 materials on the list use the EU supply risk 2023 (borrowed")
    assert "D (NL imports below the materiality floor of 1 M EUR/yr)" in note
    nl_note = nl.eu_view_note(frame, "nl")
    assert nl_note.startswith("1 van de 4") and "materialiteitsdrempel van 1 mln EUR/jr" in nl_note
    assert nl.eu_view_note(out.reset_index().assign(on_list=False)) == ""


def test_below_floor_entries_can_be_denied_a_slot():
    """``below_floor_slots=False`` (CLI ``--below-floor exclude``): an entry below the materiality floor keeps its
    score but gets no rank and no slot (reason ``below_materiality_no_slot``); the next entry moves up. The
    default keeps the issue-12 rule (EU SR, labelled borrowed)."""
    f = _inputs(hhi_nl=(6.0, 1.0, 3.0, np.nan), va_meur=(100.0, 400.0, 200.0, 5000.0)).assign(
        nl_reason=["", "", "", "below_materiality"])
    keep = nl.score_materials(f, nl.ListConfig(n=2)).set_index("material_id")
    assert keep.loc["d", "on_list"] and keep.loc["d", "rank"] == 1
    out = nl.score_materials(f, nl.ListConfig(n=2, below_floor_slots=False)).set_index("material_id")
    assert not out.loc["d", "on_list"] and np.isnan(out.loc["d", "rank"]) and np.isfinite(out.loc["d", "score"])
    assert out.loc["d", "reason"] == "below_materiality_no_slot"
    assert out["on_list"].sum() == 2 and set(out.index[out["on_list"]]) == set(keep.index[keep["rank"].isin([2, 3])])


def test_entry_within_the_noise_of_the_cutoff_is_flagged_near():
    """Review of issue 12: an entry whose score beats the first material left out by less than the data noise
    (|Δlog score| < 0.15) is flagged ``near_cutoff`` and the cause says so; a clear entry is not."""
    before = nl.score_materials(_inputs(va_meur=(100.0, 400.0, 200.0, 50.0)), nl.ListConfig(n=2))
    close = nl.score_materials(_inputs(va_meur=(100.0, 400.0, 200.0, 160.0), hhi_nl=(6.0, 1.0, 3.0, 3.2)),
                               nl.ListConfig(n=2))
    d = nl.diff_lists(before, close).set_index("material_id")
    ent = d[d["change"] == "entered"]
    assert len(ent) == 1 and bool(ent["near_cutoff"].iloc[0]) and abs(ent["cutoff_margin_log"].iloc[0]) < 0.15
    assert nl.NEAR_CUTOFF_TEXT in ent["explanation"].iloc[0]
    assert "DICHT BIJ de grens" in nl.localise_text(ent["explanation"].iloc[0], "nl")
    clear = nl.score_materials(_inputs(va_meur=(100.0, 400.0, 200.0, 5000.0)), nl.ListConfig(n=2))
    d2 = nl.diff_lists(before, clear)
    assert not d2.loc[d2["change"] == "entered", "near_cutoff"].any()


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"w_sr": -1.0}, {"w_sr": 0.0, "w_ei": 0.0}])
def test_bad_config(kwargs):
    with pytest.raises(InputError):
        nl.ListConfig(**kwargs)


def test_diff_names_the_input_that_moved():
    """b's NL sourcing concentration jumps (1 → 8): it enters the top 2, c leaves; Shapley parts sum to the
    total Δ log score and the explanation names hhi_nl first."""
    cfg = nl.ListConfig(n=2)
    before = nl.score_materials(_inputs(), cfg)
    after = nl.score_materials(_inputs(hhi_nl=(6.0, 8.0, 3.0, 2.0)), cfg)
    d = nl.diff_lists(before, after, label_before="2022", label_after="2023").set_index("material_id")
    assert d.loc["b", "change"] == "entered" and d.loc["c", "change"] == "left"
    contrib = d.loc["b", [c for c in d.columns if c.startswith("contrib_")]].astype(float)
    total = np.log(d.loc["b", "score_2023"]) - np.log(d.loc["b", "score_2022"])
    assert contrib.sum() == pytest.approx(total, abs=1e-9)
    assert d.loc["b", "explanation"].startswith("hhi_nl 1.00→8.00")
    assert d.loc["b", "delta_hhi_nl"] == pytest.approx(7.0)


# --- NL value added -------------------------------------------------------------------------------------


def _end_use() -> pd.DataFrame:
    return pd.DataFrame({
        "material_id": ["x", "x", "y", "z"],
        "share": [0.5, 0.5, 1.0, 1.0],
        "nace": ["C28", "C24", "C28", "C24"],
        "va_meur": [200_000.0, 60_000.0, 200_000.0, 204_200.0],  # one shifted row (z): modal value used
    })


def test_eu_sector_va_uses_modal_value():
    eu = va.eu_sector_va(pd.concat([_end_use(), _end_use().iloc[[1]]]))
    assert eu["C24"] == 60_000.0 and eu["C28"] == 200_000.0


def test_eu_structure_proxy_is_labelled_and_uniform(tmp_path):
    """The retired proxy survives as the labelled alternative ``eu_structure`` (ρ_s = ρ_C for every sector)."""
    r = va.sector_ratios(_end_use(), None, basis="eu_structure", folder=tmp_path)
    assert r.basis.startswith("proxy") and r.rho.nunique() == 1 and r.rho.iloc[0] == pytest.approx(r.rho_c)


def test_oecd_basis_is_default_and_dutch(tmp_path):
    """OECD IOT 2020: NL VA C20 = 12,051.6 M USD / 1.1422 USD per EUR = 10,551 M EUR (reference value);
    the NL share of EU value added is higher for chemicals (C20) and machinery (C28) than for cars (C29)."""
    out = va.nl_value_added(_end_use(), folder=tmp_path)
    assert out.basis == "OECD IOT 2020, NL"
    assert va.usd_per_eur(2020) == pytest.approx(1.1422)
    r = va.sector_ratios(pd.DataFrame({"nace": ["C20", "C28", "C29"], "va_meur": [1.0, 1.0, 1.0]}), None,
                         folder=tmp_path)
    assert r.va_nl_meur["C20"] == pytest.approx(12_051.6 / 1.1422, rel=1e-4)
    assert r.rho["C20"] > r.rho_c and r.rho["C28"] > r.rho_c and r.rho["C29"] < r.rho_c / 2


def test_va_exposed_nl_one_formula():
    """VA_exposed_NL = EI · S/10 · ρ_m; ρ_m blends sector ratios by A_s·VA_EU,s, 'no sector' shares get ρ_C."""
    eu_use = pd.DataFrame({"material_id": ["x", "x", "y"], "share": [0.5, 0.5, 1.0], "nace": ["C28", "", "C29"],
                           "va_meur": [200_000.0, np.nan, 100_000.0]})
    ratios = va.SectorRatios(pd.Series({"C28": 0.08, "C29": 0.01}), 0.04, pd.Series(dtype=float), "t", 2020, ())
    rho = va.material_ratios(eu_use, ratios, {})
    assert rho.loc["x", "rho"] == pytest.approx(0.5 * 0.08 + 0.5 * 0.04)
    exp = va.va_exposed_nl(pd.Series({"x": 5.0, "y": 4.0, "z": 3.0}), rho, 0.04, 204_200.0).set_index("material_id")
    assert exp.loc["x", "va_exposed_meur"] == pytest.approx(5.0 * 20_420.0 * 0.06)
    assert exp.loc["z", "va_structure"] == "no_end_uses" and exp.loc["z", "rho_nl_eu"] == 0.04


def test_end_use_shares_sum_to_one_or_are_flagged():
    """Registry check on the vendored App. 6 table: shares per material sum to 1 ± 0.02 or carry a flag
    reason; magnesium's duplicated 'Construction 13 %' row is dropped (sum 1.00, was 1.13)."""
    from crmsec.sources import eu_crm

    end_use, meta = eu_crm.read_end_use()
    assert meta["duplicates_dropped"] == 1
    chk = va.end_use_share_check(end_use).set_index("material_id")
    assert chk.loc["magnesium", "share_sum"] == pytest.approx(1.0)
    bad = chk[~chk["ok"]]
    assert (bad["flag_reason"] != "").all(), bad


def test_cbs_85867ned_dropped_in_replaces_proxy(tmp_path):
    """A StatLine CSV download taken as-is (';'-separated, Dutch headers, '2023*' periods)."""
    (tmp_path / "85867NED_download.csv").write_text(
        '"Bedrijfstakken/branches (SBI 2008)";"Perioden";"Bruto toegevoegde waarde basisprijzen (mln euro)"\n'
        '"C Industrie";"2023*";"109965"\n'
        '"24-25 Basismetaal en metaalproducten";"2023*";"12000"\n'
        '"28 Machine-industrie";"2023*";"15000"\n'
        '"28 Machine-industrie";"2022";"14000"\n',
        encoding="utf-8",
    )
    out = va.nl_value_added(_end_use(), folder=tmp_path)
    assert out.basis == "CBS 85867NED 2023"
    assert out.va_meur["C28"] == 15_000.0
    assert out.va_meur["C24"] == pytest.approx(12_000.0)  # only C24 of 24-25 is in the end-use table
    exp = va.va_exposed(_end_use(), out.va_meur, pd.Series({"x": 1.0, "y": 0.5, "z": 1.0})).set_index("material_id")
    assert exp.loc["x", "va_exposed_meur"] == pytest.approx(0.5 * 15_000 + 0.5 * 12_000)
    assert exp.loc["y", "va_exposed_meur"] == pytest.approx(7_500.0)


def test_cbs_file_without_gva_column_is_a_data_error(tmp_path):
    from crmsec.errors import DataError

    (tmp_path / "85867NED.csv").write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    with pytest.raises(DataError, match="gross-value-added column"):
        va.nl_value_added(_end_use(), folder=tmp_path)


def test_assumption_table_has_sources():
    t = va.assumptions_table()
    assert {"parameter", "value", "source", "note"} <= set(t.columns) and t["source"].notna().all()


@pytest.mark.slow
def test_national_list_from_store(store):
    """The latest-year list has 17 materials, each with drivers and the VA-basis label; a year-over-year diff
    names, for every change, the input that caused it."""
    from crmsec.criticality import pipeline as P

    data = P.load_data(store)
    lst = P.national_list(data, 2023)
    on = lst[lst["on_list"]]
    assert len(on) == 17
    assert on["drivers"].str.len().gt(40).all() and (on["va_basis"] == "OECD IOT 2020, NL").all()
    assert lst["material_id"].is_unique and len(lst) == 34
    assert {"lree", "hree", "pgm"} <= set(lst["material_id"])
    diff = P.list_diff(data, 2023, 2021)
    changed = diff[diff["change"].isin(["entered", "left"])]
    assert len(changed) > 0
    assert changed["explanation"].str.contains("→").all()


@pytest.mark.slow
def test_no_list_member_rests_on_imports_below_the_floor(store):
    """2019–2024: every member with a Dutch trade view has ≥ 1 M EUR of imports in every covered window year;
    no entry or exit is caused by a tie."""
    from crmsec.criticality import pipeline as P

    data = P.load_data(store)
    prev = None
    for y in range(2019, 2025):
        lst = P.national_list(data, y)
        on = lst[lst["on_list"]]
        assert len(on) >= 17
        nl_view = on[on["sr_source"] == "nl_trade"]
        assert (nl_view["imports_min_meur"] >= 1.0).all(), (y, nl_view[["material_id", "imports_min_meur"]])
        if prev is not None:
            from crmsec.criticality.national_list import diff_lists

            d = diff_lists(prev, lst)
            assert not (d["change"].isin(["entered", "left"]) & d["material_id"].isin(
                set(lst.loc[lst["tied_at_cutoff"], "material_id"]) | set(prev.loc[prev["tied_at_cutoff"], "material_id"]))).any()
        prev = lst


@pytest.mark.slow
def test_main_job_writes_outputs(store, tmp_path):
    """``crmsec run`` step: national_list.csv/.xlsx, criticality_matrix.csv, geopolrisk_nl.csv and the notes."""
    from crmsec.criticality.main_job import write_outputs

    paths = write_outputs(tmp_path, store)
    names = {p.name for p in paths}
    assert {"national_list.csv", "national_list.xlsx", "criticality_matrix.csv", "geopolrisk_nl.csv",
            "national_list_NOTES.txt"} <= names
    lst = pd.read_csv(tmp_path / "national_list.csv")
    assert int(lst["on_list"].sum()) == 17 and (lst["va_basis"] == "OECD IOT 2020, NL").all()
    notes = (tmp_path / "national_list_NOTES.txt").read_text(encoding="utf-8")
    assert "OECD IOT" in notes
    # review of issue 12: the borrowed EU-SR entries are labelled in the CSV and named in the notes
    on = lst[lst["on_list"]]
    assert set(on["sr_basis"]) <= {"NL trade", "EU SR 2023 (borrowed)"}
    n_eu = int((on["sr_basis"] == "EU SR 2023 (borrowed)").sum())
    assert n_eu >= 1 and f"{n_eu} of the 17 materials on the list use the EU supply risk 2023 (borrowed" in notes


@pytest.mark.slow
def test_public_entry_points(store):
    from crmsec.criticality import eu_assessment, nl_critical_list

    a = eu_assessment(2023, store)
    assert {"material_id", "sr", "ei", "critical", "stage_assessed", "near_threshold"} <= set(a.columns)
    lst = nl_critical_list(2023, store, n=10)
    assert int(lst["on_list"].sum()) == 10


def test_ties_broken_by_supply_risk_then_value_added():
    """Equal scores are ordered by SR, then VA (stated criterion, never the material id)."""
    from crmsec.criticality.national_list import ListConfig, score_materials

    f = pd.DataFrame({
        "material_id": ["c", "b", "a", "d"], "hhi_gs": [5.0, 4.0, 2.0, 1.0], "hhi_nl": [5.0, 4.0, 2.0, 1.0],
        "ir_nl": [1.0] * 4, "eol_rir": [0.0] * 4, "si_sr": [1.0] * 4, "va_exposed_meur": [100.0, 50.0, 100.0, 10.0],
    })
    out = score_materials(f, ListConfig(n=2)).set_index("material_id")
    assert out.loc["a", "score"] == pytest.approx(out.loc["b", "score"])  # 4·50 = 2·100
    assert out.loc["b", "on_list"] and not out.loc["a", "on_list"]  # higher SR wins
    assert not out["tied_at_cutoff"].any()


def test_exact_tie_at_cutoff_keeps_all_tied_entries():
    """Identical score, SR and VA across the N-th place: the list holds N + k and the tie is named."""
    from crmsec.criticality.national_list import ListConfig, score_materials

    f = pd.DataFrame({
        "material_id": ["c", "b", "a", "d"], "hhi_gs": [5.0, 3.0, 3.0, 1.0], "hhi_nl": [5.0, 3.0, 3.0, 1.0],
        "ir_nl": [1.0] * 4, "eol_rir": [0.0] * 4, "si_sr": [1.0] * 4, "va_exposed_meur": [100.0, 50.0, 50.0, 10.0],
    })
    out = score_materials(f, ListConfig(n=2)).set_index("material_id")
    assert out.loc["a", "on_list"] and out.loc["b", "on_list"] and out["on_list"].sum() == 3
    assert out.loc["a", "tied_at_cutoff"] and out.loc["b", "tied_at_cutoff"] and not out.loc["c", "tied_at_cutoff"]
    assert "TIED" in out.loc["b", "drivers"]


def test_diff_never_announces_a_tie():
    from crmsec.criticality.national_list import ListConfig, diff_lists, score_materials

    base = pd.DataFrame({
        "material_id": ["c", "b", "a", "d"], "material": list("CBAD"), "hhi_gs": [5.0, 3.0, 3.0, 1.0],
        "hhi_nl": [5.0, 3.0, 3.0, 1.0], "ir_nl": [1.0] * 4, "eol_rir": [0.0] * 4, "si_sr": [1.0] * 4,
        "va_exposed_meur": [100.0, 50.0, 50.0, 10.0],
    })
    before = score_materials(base.assign(hhi_nl=[5.0, 3.0, 2.9, 1.0], hhi_gs=[5.0, 3.0, 2.9, 1.0]), ListConfig(n=2))
    after = score_materials(base, ListConfig(n=2))
    d = diff_lists(before, after)
    assert "entered" not in set(d["change"]) and "tie" in set(d["change"])


def test_drivers_text_in_dutch():
    from crmsec.criticality.national_list import localise_text

    en = "SR_NL 3.75 (nl_trade); top origin CHN 58%; hub material (X/M>0.8); NL VA exposed 11,176 M EUR; VA is a PROXY"
    nl = localise_text(en, "nl")
    assert "belangrijkste herkomst CHN 58%" in nl and "doorvoergrondstof" in nl and "PROXY" in nl
    assert "top origin" not in nl and localise_text(en, "en") == en and localise_text(float("nan"), "nl") != 0
    # Dutch separators (CLDR nl): decimal comma, thousands point; codes and years untouched
    assert "SR_NL 3,75" in nl and "11.176 mln EUR" in nl and "(X/M>0,8)" in nl
    assert localise_text("codes 28259040;720293, 2022–2024, 1,234.5 t", "nl") == "codes 28259040;720293, 2022–2024, 1.234,5 t"


@pytest.mark.slow
def test_cbs_validation_table_matches_committed(store):
    """`crmsec list nl --validate` reproduces the committed validation table (tests/criticality/data), and every
    disagreement with CBS (2025) carries its cause."""
    from pathlib import Path

    from crmsec.criticality import pipeline as P
    from crmsec.criticality.nl_validation import cbs_validation

    v = cbs_validation(P.load_data(store)).set_index("material_id")
    ref = pd.read_csv(Path(__file__).parent / "data" / "cbs_validation_2024.csv", keep_default_na=False).set_index(
        "material_id")
    assert list(v.index) == list(ref.index)
    assert (v["nl_top_origin"] == ref["nl_top_origin"]).all()
    assert (v["agrees"] == ref["agrees"].astype(str).eq("True")).all()
    assert (v.loc[~v["agrees"], "cause"].str.len() > 20).all()
    assert int(v.loc[v["covered"], "agrees"].sum()) >= 3  # baryte, bismuth, tantalum (see docs/nl_list.md)


@pytest.mark.slow
def test_cbs_validation_states_the_window_it_used_and_cbs_reference_year(store):
    """Review of issue 12: the validation used to print ``nl_window`` 2022-2024 whatever the window, and asserted a
    2024-only result (cobalt → China) only in prose. Now the window label follows the option and the same view
    restricted to CBS's reference year is a column: cobalt is Chinese in 2024 alone, tantalum only on the window."""
    from crmsec.criticality import pipeline as P
    from crmsec.criticality.nl_validation import cbs_validation

    data = P.load_data(store)
    v = cbs_validation(data).set_index("material_id")
    assert (v["nl_window"] == "2022-2024").all()
    assert v.loc["cobalt", "nl_top_origin_ref_year"] == "CHN" and not v.loc["cobalt", "agrees"]
    assert v.loc["tantalum", "agrees"] and not v.loc["tantalum", "agrees_ref_year"]
    assert "window only" in v.loc["tantalum", "cause"]
    assert v.loc["magnesium", "nl_top_origin_ref_year"] == "n/a"
    v1 = cbs_validation(data, window=1).set_index("material_id")
    assert (v1["nl_window"] == "2024").all()
    assert (v1["nl_top_origin"] == v1["nl_top_origin_ref_year"]).all()


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "borrowed", "near"), [("en", "borrowed", "near the cut-off"),
                                                        ("nl", "geleend", "dicht bij de grens")])
def test_list_briefing_names_borrowed_entries_and_near_cutoff_changes(store, lang, borrowed, near):
    """Review of issue 12: the annual briefing says how many entries rest on the EU's SR (summary, fact, table
    column) and marks an entry/exit within the data noise on the headline card — in both languages."""
    from crmsec.reports.briefing import list_briefing

    b = list_briefing(store, 2024, lang)
    assert borrowed in b.summary
    facts = dict(b.facts)
    n_borrowed = [v for k, v in facts.items() if borrowed in k]
    assert n_borrowed and int(n_borrowed[0]) >= 1
    changes = [v for k, v in b.facts if "2023" in k]
    assert any(near in v for v in changes)
