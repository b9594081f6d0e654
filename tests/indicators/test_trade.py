"""NL import dependence, re-export adjustment and look-through (methods §7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmsec.errors import InputError
from crmsec.indicators import trade as T

EU = ["BEL", "DEU", "FIN", "NLD"]


def _world() -> pd.DataFrame:
    """NL imports m from CHN 60, DEU 40; DEU imports from CHN 30, CHL 30 and produces (net exports) 20."""
    rows = [
        ("NLD", "CHN", 60.0), ("NLD", "DEU", 40.0),
        ("DEU", "CHN", 30.0), ("DEU", "CHL", 30.0),
        ("FRA", "DEU", 40.0), ("POL", "DEU", 20.0),  # DEU exports 40 + 40 + 20 = 100 > imports 60 → D = 40
        ("BEL", "NLD", 70.0),  # NL exports 70 → X/M = 0.7
    ]
    return pd.DataFrame([{"reporter": r, "partner": p, "material_id": "m", "year": 2022, "hs6": 1,
                          "tonnes": v, "value_kusd": v * 2} for r, p, v in rows])


def test_partner_flows_and_exports_window_mean():
    tr = pd.concat([_world(), _world().assign(year=2021, value_kusd=lambda d: d["value_kusd"] * 2)])
    f = T.partner_flows(tr, "NLD", [2021, 2022], basis="value").set_index("partner")
    assert f.loc["CHN", "imports"] == pytest.approx((120 + 240) / 2)
    x = T.total_exports(tr, "NLD", [2021, 2022], basis="value")
    assert x["m"] == pytest.approx((140 + 280) / 2)
    with pytest.raises(InputError):
        T.partner_flows(tr, "NLD", [2022], basis="kg")


def test_trade_only_reexport_adjustment_and_hub_flag():
    """methods §7.3 step 3: M_dom = max(0, M − X) pro rata; X/M > 0.8 → hub."""
    tr = _world()
    f = T.partner_flows(tr, "NLD", [2022], basis="tonnes")
    a = T.adjust_reexports(f, T.total_exports(tr, "NLD", [2022], basis="tonnes")).set_index("partner")
    assert a["imports_dom"].sum() == pytest.approx(30.0)
    assert a.loc["CHN", "imports_dom"] == pytest.approx(18.0)
    assert not a["hub"].any() and a["x_over_m"].iloc[0] == pytest.approx(0.7)
    hub = T.adjust_reexports(f, pd.Series({"m": 95.0}))
    assert hub["hub"].all()
    own = T.adjust_reexports(f, pd.Series({"m": 95.0}), production=pd.Series({"m": 10.0}))
    assert own["imports_dom"].sum() == pytest.approx(100.0) and (own["adjustment"] == "own_production").all()


def test_cbs_hooks_take_precedence():
    f = T.partner_flows(_world(), "NLD", [2022], basis="tonnes")
    rx = T.adjust_reexports(f, pd.Series({"m": 70.0}), reexports=pd.Series({"m": 50.0}))
    assert rx["imports_dom"].sum() == pytest.approx(50.0) and (rx["adjustment"] == "cbs_reexports").all()
    dom = pd.DataFrame({"material_id": ["m"], "partner": ["CHN"], "imports_dom": [55.0]})
    d = T.adjust_reexports(f, pd.Series({"m": 70.0}), domestic_use=dom).set_index("partner")
    assert d.loc["CHN", "imports_dom"] == 55.0 and d.loc["DEU", "imports_dom"] == 0.0


def test_look_through_absorbing_chain():
    """DEU supply = D 40 + CHN 30 + CHL 30 → NL's 40 from DEU splits 16 DEU / 12 CHN / 12 CHL."""
    tr = _world()
    f = T.partner_flows(tr, "NLD", [2022], basis="tonnes").assign(imports_dom=lambda d: d["imports"])
    lt = T.look_through(f, tr, [2022], EU, basis="tonnes").set_index("partner")
    assert lt["imports_dom"].sum() == pytest.approx(100.0)
    assert lt.loc["CHN", "imports_dom"] == pytest.approx(72.0)
    assert lt.loc["CHL", "imports_dom"] == pytest.approx(12.0)
    assert lt.loc["DEU", "imports_dom"] == pytest.approx(16.0)
    assert lt.loc["CHN", "via_eu"] == pytest.approx(12.0)


def test_import_dependence_metrics():
    f = T.partner_flows(_world(), "NLD", [2022], basis="tonnes")
    a = T.adjust_reexports(f, pd.Series({"m": 0.0}))
    d = T.import_dependence(a, EU).iloc[0]
    assert d["hhi_imp"] == pytest.approx(0.36 + 0.16)
    assert d["extra_eu_share"] == pytest.approx(0.6)
    assert d["top_partner"] == "CHN" and d["n_eff"] == pytest.approx(1 / 0.52)
    empty = T.import_dependence(a.assign(imports_dom=0.0), EU).iloc[0]
    assert empty["reason"] == "no_imports" and np.isnan(empty["hhi_imp"])


@pytest.mark.slow
def test_nl_2022_reference_values(store):
    """methods §7.4 (BACI, NL 2022, tonnes): graphite M 18,584 t, X 4,969 t, NOR 51.9 %, HHI 0.325,
    extra-EU 88.4 %; lithium M 3,888 t, X 13,929 t (X/M 3.58, hub), CHL 43.7 %, HHI 0.279, extra-EU 63.4 %.
    Tolerance: 1 t on totals, 0.001 on shares and HHI.
    """
    from crmsec.registry import countries

    eu = sorted(countries().query("eu27")["iso3"])
    tr = store.execute("select * from trade where year = 2022 and material_id in ('natural_graphite','lithium')").df()
    f = T.partner_flows(tr, "NLD", [2022], basis="tonnes")
    a = T.adjust_reexports(f, T.total_exports(tr, "NLD", [2022], basis="tonnes"))
    d = T.import_dependence(a.assign(imports_dom=a["imports"]), eu).set_index("material_id")
    g, li = d.loc["natural_graphite"], d.loc["lithium"]
    assert g["imports"] == pytest.approx(18_584, abs=1) and g["exports"] == pytest.approx(4_969, abs=1)
    assert (g["top_partner"], g["top_share"]) == ("NOR", pytest.approx(0.519, abs=1e-3))
    assert g["hhi_imp"] == pytest.approx(0.325, abs=1e-3) and g["extra_eu_share"] == pytest.approx(0.884, abs=1e-3)
    assert li["imports"] == pytest.approx(3_888, abs=1) and li["x_over_m"] == pytest.approx(3.58, abs=0.01)
    assert li["hub"] and li["top_partner"] == "CHL" and li["top_share"] == pytest.approx(0.437, abs=1e-3)
    assert li["hhi_imp"] == pytest.approx(0.279, abs=1e-3) and li["extra_eu_share"] == pytest.approx(0.634, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    nl_from=st.lists(st.floats(0.1, 100), min_size=3, max_size=3),
    deu_from=st.lists(st.floats(0, 100), min_size=2, max_size=2),
    deu_exports=st.floats(0, 300),
)
def test_look_through_conserves_totals(nl_from, deu_from, deu_exports):
    """Property: look-through re-allocates NL's imports without creating or losing value; no EU transit
    partner other than as own (domestic) origin remains."""
    rows = [("NLD", "CHN", nl_from[0]), ("NLD", "DEU", nl_from[1]), ("NLD", "BEL", nl_from[2]),
            ("DEU", "CHN", deu_from[0]), ("DEU", "BEL", deu_from[1]), ("FRA", "DEU", deu_exports),
            ("DEU", "NLD", 1.0)]
    tr = pd.DataFrame([{"reporter": r, "partner": p, "material_id": "m", "year": 2022, "hs6": 1, "tonnes": v,
                        "value_kusd": v} for r, p, v in rows])
    f = T.partner_flows(tr, "NLD", [2022], basis="tonnes").assign(imports_dom=lambda d: d["imports"])
    lt = T.look_through(f, tr, [2022], EU, basis="tonnes")
    assert lt["imports_dom"].sum() == pytest.approx(sum(nl_from), rel=1e-9)
    assert (lt["imports_dom"] >= -1e-12).all()
