"""Value chains: definitions, graph frames, weakest stage, store hook."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from crmsec.chains import Chain, chain_graph_frames, chains, component_mixes, list_chains, stage_risk
from crmsec.chains.model import downstream_sectors, stage_share_assumptions


def test_builtin_chains():
    ids = set(chains())
    assert {"magnets", "batteries", "defence", "aluminium", "helium"} <= ids
    lc = list_chains()
    assert (lc["n_nodes"] > 5).all()


def test_graph_frames_are_consistent():
    for cid in chains():
        nodes, edges = chain_graph_frames(cid)
        assert set(edges["source"]) | set(edges["target"]) <= set(nodes["id"])
        lvl = nodes.set_index("id")["level"]
        assert (lvl[edges["source"]].to_numpy() <= lvl[edges["target"]].to_numpy()).all()
        assert (nodes["type"] == "sector").any()


def test_registry_material_ids():
    from crmsec.registry.materials import materials

    known = set(materials()["material_id"])
    for c in chains().values():
        for n in c.nodes:
            if n.material_id:
                assert n.material_id in known, (c.id, n.id)
            for m in n.feeds_materials:
                assert m in known, (c.id, n.id, m)


def test_upstream_edge_is_rejected():
    with pytest.raises(ValidationError, match="upstream"):
        Chain.model_validate({"id": "x", "name": "x", "nodes": [
            {"id": "a", "type": "material", "label": "a"}, {"id": "s", "type": "sector", "label": "s", "nace": "C29"}],
            "edges": [["s", "a"]]})


def test_assumption_table_is_cited():
    t = stage_share_assumptions()
    assert (t["source"].str.len() > 10).all()
    assert (t.groupby(["chain_id", "node_id"])["share"].sum() <= 1).all()
    mixes = component_mixes()
    assert set(mixes["stage"]) == {"component"}
    assert mixes.loc[mixes["material_id"] == "neodymium", "share"].sum() == pytest.approx(0.90)


def test_weakest_stage_hand_computed():
    c = chains()["helium"]
    shares = pd.DataFrame({
        "node_id": ["he_gas", "he_gas", "he_liquid", "he_liquid"],
        "country": ["USA", "QAT", "DZA", "QAT"], "share": [0.5, 0.5, 0.3, 0.7], "source": "toy"})
    wgi = pd.Series({"USA": 2.0, "QAT": 4.0, "DZA": 6.0})
    r = stage_risk(c, shares, wgi).set_index("node_id")
    assert r.loc["he_gas", "hhi"] == pytest.approx(0.5)
    assert r.loc["he_gas", "risk"] == pytest.approx(0.25 * 2 + 0.25 * 4)
    assert r.loc["he_liquid", "risk"] == pytest.approx(0.09 * 6 + 0.49 * 4)
    assert bool(r.loc["he_liquid", "weakest"]) and not bool(r.loc["he_gas", "weakest"])
    assert "C26" in r.loc["he_liquid", "sectors"]
    assert downstream_sectors(c, "he_gas") == ["C25", "C26", "M72", "Q86"]


def test_missing_governance_gives_nan_with_reason():
    c = chains()["helium"]
    shares = pd.DataFrame({"node_id": ["he_gas"], "country": ["XXX"], "share": [1.0], "source": "toy"})
    r = stage_risk(c, shares, pd.Series(dtype=float)).set_index("node_id")
    assert math.isnan(r.loc["he_gas", "risk"]) and "no_wgi" in r.loc["he_gas", "reason"]
    assert math.isnan(r.loc["he_liquid", "hhi"]) and "no_supplier_data" in r.loc["he_liquid", "reason"]


def test_store_chain_risk(store):
    from crmsec.chains import chain_risk, chain_sectors

    r = chain_risk("magnets", store)
    assert r["weakest"].sum() == 1
    w = r[r["weakest"]].iloc[0]
    assert w["top_country"] == "CHN"
    assert r.loc[r["node_id"] == "ndfeb_magnets", "top_share"].iloc[0] == pytest.approx(0.90)
    s = chain_sectors("magnets", store)
    assert set(s["nace"]) >= {"C29", "C28"}
    assert (s["nl_va_meur"].notna() | (s["reason"] != "")).all()


def test_store_batteries_anode_cathode_filled_weakest_not_the_graphite_mine(store):
    """Issue 13: spherical graphite, anode and cathode (pCAM and CAM) stages have cited shares; the weakest
    stage is no longer the graphite mine."""
    from crmsec.chains import chain_risk

    r = chain_risk("batteries", store).set_index("node_id")
    for node in ("gr_anode", "pcam", "cathode", "anode"):
        assert r.loc[node, "data_status"] == "data" and r.loc[node, "top_country"] == "CHN", node
    assert r.loc["anode", "top_share"] == pytest.approx(0.97)
    assert r.loc["gr_anode", "top_share"] > 0.85  # IEA 2023: battery-grade graphite refining, China ~90 %
    weakest = r[r["weakest"]].index.tolist()
    assert weakest and weakest[0] != "gr_ore"


def test_store_blank_stages_are_no_data_and_flagged(store):
    from crmsec.chains import chain_risk

    for cid in ("defence", "naval"):
        r = chain_risk(cid, store)
        blank = r[r["data_status"] == "no data"]
        assert not blank.empty and blank["risk"].isna().all() and (blank["reason"] != "").all()
        w = r[r["weakest"]].iloc[0]
        assert "could be weaker" in w["weakest_caveat"]
        assert all(lbl in w["weakest_caveat"] for lbl in blank["label"])


def test_defence_has_antimony_and_a_naval_chain_exists():
    c = chains()
    assert any(n.material_id == "antimony" for n in c["defence"].nodes)
    naval = {n.material_id for n in c["naval"].nodes if n.material_id}
    assert {"nickel", "tungsten", "titanium_metal", "magnet_rees", "antimony"} <= naval
