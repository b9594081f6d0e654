"""Company self-assessment: inputs, hand-checkable numbers, store-backed scenario exposure, CLI and API."""

from __future__ import annotations

import io
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from crmsec.company import assess_bytes, read_purchases
from crmsec.company.assess import assess_company, concentration, own_shares, scenario_exposure
from crmsec.company.context import CompanyContext
from crmsec.company.inputs import validate_purchases
from crmsec.errors import InputError, UnknownNameError

EXAMPLE = "src/crmsec/company/examples/example_company.csv"


def _purchases(text: str) -> pd.DataFrame:
    return read_purchases(text.encode(), "test.csv")


def _ctx(**overrides) -> CompanyContext:
    """A hand-made context (test numbers, not data): gallium, world mix CHN 0.98 / JPN 0.02, one CHN-ban scenario."""
    flags = pd.DataFrame({
        "name_en": ["Gallium"], "name_nl": ["Gallium"], "eu_crm_2023": [True], "crma_strategic": [True],
        "crma_critical": [True], "nl_on_list": pd.array([True], dtype="boolean"), "nl_rank": [13.0],
        "nl_year": [2024], "sr": [3.9], "ei": [3.7], "eu_critical": [True], "stage_assessed": ["processing"],
        "eol_rir": [0.0], "si_sr": [0.98]}, index=pd.Index(["gallium"], name="material_id"))
    mixes = pd.DataFrame({"material_id": ["gallium"] * 2, "stage": ["processing"] * 2, "scope": ["global"] * 2,
                          "country": ["CHN", "JPN"], "share": [0.98, 0.02]})
    scen = pd.DataFrame({
        "scenario_id": ["ban"], "name": ["test ban"], "actors": ["CHN"], "material_id": ["gallium"],
        "mode": ["direct"], "shortfall_share_nl": [0.4], "duration_days": [200.0], "effective_days": [146.0],
        "lag_days": [1e9], "ramp_days": [1.0], "reroute_max": [0.0], "reason_nl": [""]})
    loss = pd.DataFrame({"scenario_id": ["ban"] * 2, "material_id": ["gallium"] * 2, "country": ["CHN", "JPN"],
                         "loss": [0.6, 0.0]})
    base = dict(flags=flags, mixes=mixes, wgi_scaled=pd.Series({"CHN": 5.0, "JPN": 1.0}),
                eu_members=frozenset({"DEU", "NLD"}), scenarios=scen, supplier_loss=loss)
    base.update(overrides)
    return CompanyContext(**base)


# ---------------------------------------------------------------- inputs


def test_unknown_material_names_the_row():
    with pytest.raises(UnknownNameError) as err:
        _purchases("material,quantity_t,basis\ngallium,1,contained\nunobtainium,2,gross\n")
    assert err.value.row == 3 and err.value.field == "material" and err.value.value == "unobtainium"
    assert "row 3" in str(err.value)


@pytest.mark.parametrize(("text", "needle"), [
    ("material,quantity_t\ngallium,1\n", "missing column(s) basis"),
    ("material,quantity_t,basis\ngallium,-1,contained\n", "row 2, field 'quantity_t'"),
    ("material,quantity_t,basis\ngallium,1,wet\n", "row 2, field 'basis'"),
    ("material,quantity_t,basis\ngallium,1,gross\ngallium,,gross\n", "row 3, field 'quantity_t'"),
    ("material,quantity_t,basis\ngallium,1,gross\ngallium,1,contained\n", "row 3, field 'basis'"),
    ("material,quantity_t,basis,supplier_country\ngallium,1,gross,CHN\ngallium,1,gross,Atlantis\n",
     "row 3, field 'supplier_country'"),
    ("material,quantity_t,basis,supplier_country,share_of_purchases\ngallium,1,gross,CHN,0.7\ngallium,1,gross,JPN,0.6\n",
     "add up to more than 1"),
    ("material,quantity_t,basis,supplier_country,share_of_purchases\ngallium,1,gross,CHN,60\n", "60 % → 0.6"),
    ("material,quantity_t,basis,product,revenue_meur\ngallium,1,gross,chip,5\ngermanium,1,gross,chip,6\n",
     "product 'chip' has different revenues"),
])
def test_row_level_errors_name_row_field_and_fix(text, needle):
    with pytest.raises(InputError) as err:
        _purchases(text)
    assert needle in str(err.value)


def test_aliases_dutch_names_and_country_names_resolve():
    p = _purchases("material,quantity_t,basis,supplier_country\nKoper,5,contained,Chili\nnatural graphite,1,gross,"
                   "China\nGallium,1,contained,JPN\n")
    assert p["material_id"].tolist() == ["copper", "natural_graphite", "gallium"]
    assert p["supplier_country"].tolist() == ["CHL", "CHN", "JPN"]
    assert p["row"].tolist() == [2, 3, 4]


def test_xlsx_input(tmp_path):
    buf = io.BytesIO()
    pd.DataFrame({"material": ["gallium"], "quantity_t": [1], "basis": ["contained"]}).to_excel(buf, index=False)
    p = read_purchases(buf.getvalue(), "bom.xlsx")
    assert p.loc[0, "material_id"] == "gallium" and p.loc[0, "quantity_t"] == 1.0


# ---------------------------------------------------------------- hand-checkable numbers


def test_hhi_of_60_40_sourcing_is_0_52():
    """0.6² + 0.4² = 0.52 (EC 2017 HHI on fractions); world mix 0.98/0.02 → 0.9608; HHI_WGI = .36·5 + .16·1."""
    p = _purchases("material,quantity_t,basis,supplier_country\ngallium,6,contained,CHN\ngallium,4,contained,JPN\n")
    c = concentration(own_shares(p), _ctx(), pd.Series({"gallium": "processing"}))
    assert c.loc["gallium", "own_hhi"] == pytest.approx(0.52, abs=1e-12)
    assert c.loc["gallium", "own_n_eff"] == pytest.approx(1 / 0.52)
    assert c.loc["gallium", "world_hhi"] == pytest.approx(0.98**2 + 0.02**2)
    assert c.loc["gallium", "own_hhi_wgi"] == pytest.approx(0.36 * 5 + 0.16 * 1)
    assert np.isnan(c.loc["gallium", "eu_hhi"]) and "no_eu_mix" in c.loc["gallium", "concentration_reason"]


def test_diversify_needs_a_known_world_mix():
    """Own HHI 1 vs an unknown world/EU mix → no 'diversify' (a comparison with NaN is not a finding)."""
    p = _purchases("material,quantity_t,basis,supplier_country\ngallium,6,contained,JPN\n")
    no_mix = _ctx(mixes=pd.DataFrame(columns=["material_id", "stage", "scope", "country", "share"]))
    assert "diversify" not in set(assess_company(p, no_mix).actions["rule_id"])
    assert "diversify" in set(assess_company(p, _ctx()).actions["rule_id"])  # 1.0 > 0.9608


def test_share_of_purchases_overrides_quantities_and_unallocated_gives_nan_hhi():
    p = _purchases("material,quantity_t,basis,supplier_country,share_of_purchases\n"
                   "gallium,1,contained,CHN,0.5\ngallium,9,contained,JPN,0.3\n")
    own = own_shares(p).set_index("country")["share"]
    assert own["CHN"] == 0.5 and own["JPN"] == 0.3 and own["_UNALLOCATED"] == pytest.approx(0.2)
    c = concentration(own_shares(p), _ctx(), pd.Series({"gallium": "processing"}))
    assert np.isnan(c.loc["gallium", "own_hhi"]) and "unallocated" in c.loc["gallium", "concentration_reason"]


def test_china_sourced_gallium_buyer_loses_the_ban_share():
    """100 % CHN → s = 0.6 (the scenario's depth × exposure 1); 10 t × 0.6 × 146/365 = 2.4 t at risk; revenue
    50 M EUR → 12 M EUR; 30 days of stock at s = 0.6 run out on day 50 (< 200 d): stockpile."""
    p = _purchases("material,quantity_t,basis,supplier_country,product,revenue_meur,stock_days\n"
                   "gallium,10,contained,China,chip,50,30\n")
    r = assess_company(p, _ctx())
    s = r.scenarios.iloc[0]
    assert s["shortfall_share"] == pytest.approx(0.6) and s["share_basis"] == "own_sourcing"
    assert s["tonnes_at_risk"] == pytest.approx(10 * 0.6 * 146 / 365)
    assert s["revenue_at_risk_meur"] == pytest.approx(12.0)
    assert s["days_to_stockout"] == pytest.approx(50.0) and bool(s["stocks_run_out"])
    m = r.materials.iloc[0]
    assert m["exposure_index"] == pytest.approx(0.24) and m["exposure_rank"] == 1
    assert {"stockpile", "avoid_actor", "diversify", "crma_risk_assessment"} <= set(r.actions["rule_id"])
    assert "60 %" in m["drivers"] and "national list" in m["drivers"]
    assert r.products.iloc[0]["revenue_at_risk_meur"] == pytest.approx(12.0)


def test_japan_sourced_buyer_is_spared_and_unknown_supplier_takes_nl_share():
    p = _purchases("material,quantity_t,basis,supplier_country\ngallium,10,contained,JPN\n")
    assert scenario_exposure(p, own_shares(p), _ctx()).iloc[0]["shortfall_share"] == 0.0
    p2 = _purchases("material,quantity_t,basis\ngallium,10,contained\n")
    r = assess_company(p2, _ctx(), lang="nl")
    s = r.scenarios.iloc[0]
    assert s["shortfall_share"] == pytest.approx(0.4) and s["share_basis"].startswith("nl_mix")
    assert "no_stock_data" in s["reason"] and np.isnan(s["days_to_stockout"])
    assert "record_stocks" in set(r.actions["rule_id"]) and "zwaarste scenario" in r.materials.iloc[0]["drivers"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 100.0), min_size=1, max_size=6), st.floats(0.0, 1.0))
def test_property_hhi_and_shortfall_bounds(qty, loss_chn):
    countries = ["CHN", "JPN", "KOR", "DEU", "USA", "BRA"][: len(qty)]
    p = validate_purchases(pd.DataFrame({"material": "gallium", "quantity_t": [str(q) for q in qty],
                                         "basis": "contained", "supplier_country": countries}), "prop.csv")
    loss = pd.DataFrame({"scenario_id": "ban", "material_id": "gallium", "country": countries,
                         "loss": [loss_chn] + [0.0] * (len(qty) - 1)})
    ctx = _ctx(supplier_loss=loss)
    c = concentration(own_shares(p), ctx, pd.Series({"gallium": "processing"}))
    h = c.loc["gallium", "own_hhi"]
    assert 1 / len(qty) - 1e-9 <= h <= 1 + 1e-9
    s = scenario_exposure(p, own_shares(p), ctx).iloc[0]["shortfall_share"]
    assert s == pytest.approx(loss_chn * qty[0] / sum(qty))
    assert 0 <= s <= 1


# ---------------------------------------------------------------- store-backed, CLI, API


@pytest.fixture(scope="module")
def example_result(store):
    return assess_bytes(open(EXAMPLE, "rb").read(), "example_company.csv", con=store)


def test_store_backed_china_gallium_equals_scenario_depth(store):
    from crmsec.scenarios import get_scenario

    sc = get_scenario("china_gallium_germanium_2023")
    r = assess_bytes(b"material,quantity_t,basis,supplier_country\ngallium,10,contained,CHN\n", "g.csv", con=store)
    row = r.scenarios.set_index("scenario_id").loc["china_gallium_germanium_2023"]
    assert row["shortfall_share"] == pytest.approx((sc.depth.low + sc.depth.high) / 2)
    assert row["tonnes_at_risk"] == pytest.approx(10 * row["shortfall_share"] * row["effective_days"] / 365)
    m = r.materials.iloc[0]
    assert bool(m["nl_on_list"]) in (True, False) and bool(m["crma_strategic"])
    assert m["own_hhi"] == 1.0 and m["world_hhi"] < 1.0


def test_example_ranking(example_result):
    m = example_result.materials
    assert len(m) == 8 and m["exposure_rank"].tolist() == list(range(1, 9))
    assert m["exposure_index"].is_monotonic_decreasing
    assert set(m.head(5)["material_id"]) >= {"gallium", "germanium", "dysprosium", "neodymium"}
    cob = m.set_index("material_id").loc["cobalt"]
    assert np.isnan(cob["own_hhi"]) and "no_supplier_country" in cob["reason"]


def test_cli_end_to_end(store_path, tmp_path):
    from crmsec.cli import app

    runner = CliRunner()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["company", "assess", EXAMPLE, "--store", str(store_path), "--format", "json",
                              "--table", "actions", "--lang", "nl", "--output", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())  # a JSON file: {"meta": provenance, "data": rows}
    rows = doc["data"]
    assert doc["meta"]["command"] == "crmsec company assess"
    assert rows and any(r["rule_id"] == "stockpile" for r in rows) and "Bouw voorraad" in rows[0]["action"] + \
        "".join(r["action"] for r in rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("material,quantity_t,basis\ngallium,1,contained\nunobtainium,1,gross\n")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "crmsec.cli", "company", "assess", str(bad), "--store",
                           str(store_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "row 3" in proc.stderr.replace("\n", " ") and "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def api_client(store_path):
    from crmsec.api import Settings, create_app
    from crmsec.api.auth import UserStore
    from crmsec.api.deps import get_store

    users = UserStore(rounds=4)
    users.add("ana", "analyst-pass-1", "analyst")
    users.add("pub", "public-pass-1", "public")
    app = create_app(Settings(secret_key="test-secret-key-0123456789", bcrypt_rounds=4, max_upload_bytes=8192),
                     users=users)
    con = duckdb.connect(str(store_path), read_only=True)

    def _store():
        cur = con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    app.dependency_overrides[get_store] = _store
    with TestClient(app, base_url="https://testserver") as c:
        yield c
    con.close()


def _bearer(c: TestClient, user: str, pw: str) -> dict[str, str]:
    r = c.post("/api/v1/auth/token", data={"username": user, "password": pw})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_upload_roles_and_errors(api_client):
    c = api_client
    body = open(EXAMPLE, "rb").read()
    url = "/api/v1/company/assessments"
    assert c.post(url, files={"file": ("bom.csv", body)}).status_code in (401, 403)  # anonymous (CSRF or role)
    assert c.post(url, files={"file": ("bom.csv", body)}, headers={"Authorization": "Bearer x"}).status_code == 401
    assert c.post(url, files={"file": ("bom.csv", body)}, headers=_bearer(c, "pub", "public-pass-1")).status_code == 403
    h = _bearer(c, "ana", "analyst-pass-1")
    r = c.post(url + "?lang=nl", files={"file": ("bom.csv", body)}, headers=h)
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data["tables"]) == {"materials", "scenarios", "products", "actions"}
    assert data["tables"]["materials"]["count"] == 8
    r = c.post(url, files={"file": ("bom.csv", b"material,quantity_t,basis\nunobtainium,1,gross\n")}, headers=h)
    assert r.status_code == 422 and "row 2" in r.json()["detail"]
    assert c.post(url, files={"file": ("bom.csv", body * 40)}, headers=h).status_code == 413
    assert c.post(url, files={"file": ("bom.exe", b"MZ")}, headers=h).status_code == 415
    buf = io.BytesIO()
    pd.DataFrame({"material": ["gallium"], "quantity_t": [1], "basis": ["contained"]}).to_excel(buf, index=False)
    assert c.post(url, files={"file": ("bom.xlsx", buf.getvalue())}, headers=h).status_code == 200


def test_company_page(api_client):
    c = api_client
    r = c.get("/company")
    assert r.status_code == 200 and "Sign in as an analyst" in r.text and "company-form" not in r.text
    c.get("/login")
    token = c.cookies.get("crmsec_csrf")
    r = c.post("/login", data={"username": "ana", "password": "analyst-pass-1", "csrf_token": token, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303
    token = c.cookies.get("crmsec_csrf")  # rotated at sign-in
    r = c.post("/company", data={"csrf_token": token, "lang": "en"},
               files={"file": ("bom.csv", open(EXAMPLE, "rb").read())})
    assert r.status_code == 200 and "company-ranking" in r.text and "Gallium" in r.text
    r = c.post("/company", data={"csrf_token": token}, files={"file": ("bom.csv", b"material,quantity_t,basis\nx,1,gross\n")})
    assert r.status_code == 422 and "row 2" in r.text
    c.cookies.clear()


def test_store_backed_element_inherits_its_groups_list_status(store):
    """The national list ranks LREE/HREE/PGM as groups: neodymium carries LREE's status and rank (issue 12 review);
    before the fix an element got no ``nl_on_list`` flag at all (NA)."""
    from crmsec.criticality import pipeline as P

    nl = P.national_list(P.load_data(store), P.load_data(store).latest_year()).set_index("material_id")
    r = assess_bytes(b"material,quantity_t,basis,supplier_country\nneodymium,5,contained,CHN\n", "nd.csv", con=store)
    m = r.materials.iloc[0]
    assert m["nl_entry"] == "lree"
    assert m["nl_on_list"] is not pd.NA and bool(m["nl_on_list"]) == bool(nl.loc["lree", "on_list"])
    assert m["nl_rank"] == nl.loc["lree", "rank"]
    if bool(nl.loc["lree", "on_list"]):
        assert "LREE" in m["drivers"]
