"""Monte Carlo status probabilities, rank intervals, Dask execution and Sobol drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmsec.criticality import uncertainty as U
from crmsec.errors import InputError


def _model(n_list: int = 1) -> U.UncertaintyModel:
    """Three materials: A clearly critical (China 90 %), B clearly not, C on the SR threshold."""
    countries = pd.Index(["AUS", "CHN", "FIN"])
    wgi = np.array([1.0, 6.0, 0.5])
    gs = pd.DataFrame({
        "material_id": ["a", "a", "b", "b", "c", "c"],
        "country": ["CHN", "AUS", "AUS", "FIN", "CHN", "AUS"],
        "share": [0.9, 0.1, 0.5, 0.5, 0.4, 0.6],
        "t": [1.0] * 6,
    })
    mats = ["a", "b", "c"]
    mix = U.Mix.from_long(gs, mats, countries, wgi)
    # c: HHI_GS = 0.16·6 + 0.36·1 = 1.32 → GS only SR = 1.32·(1−0.25)·1.0 = 0.99 → rounds to 1.0 (critical)
    return U.UncertaintyModel(
        materials=mats, names=["A", "B", "C"], countries=countries, wgi_mean=wgi, wgi_se=np.array([0.2, 0.2, 0.2]),
        gs=mix, eu=mix, nl=mix, case=np.array([1, 1, 1]), ir=np.array([1.0, 1.0, 1.0]),
        eol=np.array([0.0, 0.0, 0.25]), si_sr=np.array([1.0, 1.0, 1.0]), si_ei=np.array([0.9, 0.9, 0.9]),
        ei=np.array([5.0, 5.0, 5.0]), ir_nl=np.array([1.0, 1.0, 1.0]), va_exposed=np.array([100.0, 100.0, 90.0]),
        sr_fallback=np.array([np.nan] * 3), list_n=n_list,
    )


def test_deterministic_hhi_of_mix():
    m = _model()
    np.testing.assert_allclose(m.gs.hhi(m.wgi_mean), [0.81 * 6 + 0.01, 0.25 + 0.125, 0.16 * 6 + 0.36])


def test_probabilities_and_ranks():
    out = U.monte_carlo(_model(), 4_000, seed=3, chunk=1_000).set_index("material_id")
    assert out.loc["a", "p_critical"] == 1.0
    assert out.loc["b", "p_critical"] == 0.0
    assert 0.05 < out.loc["c", "p_critical"] < 0.95  # on the threshold: genuinely uncertain
    assert out.loc["a", "p_on_list"] == 1.0 and out.loc["a", "rank_p95"] == 1.0
    assert out.loc["b", "rank_p05"] >= 2
    assert (out["draws"] == 4_000).all()


def test_reproducible_and_seed_dependent():
    m = _model()
    a = U.monte_carlo(m, 3_000, seed=11, chunk=1_000)
    b = U.monte_carlo(m, 3_000, seed=11, chunk=1_000)
    c = U.monte_carlo(m, 3_000, seed=12, chunk=1_000)
    pd.testing.assert_frame_equal(a, b)
    assert not a["p_critical"].equals(c["p_critical"]) or not a["sr_mean"].equals(c["sr_mean"])


def test_zero_noise_reproduces_deterministic_status():
    noise = U.NoiseSpec(share_sigma=0.0, trade_sigma=0.0, ir_abs=0.0, eol_abs=0.0, eol_rel=0.0, si_abs=0.0,
                        ei_rel=0.0, wgi=False)
    out = U.monte_carlo(_model(), 500, seed=0, noise=noise, chunk=250).set_index("material_id")
    assert list(out["p_critical"]) == [1.0, 0.0, 1.0]
    assert out.loc["c", "sr_sd"] == pytest.approx(0.0, abs=1e-5)  # float32 draws


def test_bad_draws_is_input_error():
    with pytest.raises(InputError):
        U.monte_carlo(_model(), 0)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results():
    """The same chunks on a small LocalCluster give bit-identical results to the in-process run."""
    from distributed import Client, LocalCluster

    m = _model()
    local = U.monte_carlo(m, 2_000, seed=5, chunk=500)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        by_address = U.monte_carlo(m, 2_000, seed=5, chunk=500, scheduler=cluster.scheduler_address)
        with Client(cluster) as client:
            by_client = U.monte_carlo(m, 2_000, seed=5, chunk=500, scheduler=client)
    pd.testing.assert_frame_equal(local, by_address)
    pd.testing.assert_frame_equal(local, by_client)


def test_sobol_names_the_driver():
    """With IR/EoL/SI ranges zero and EI far above 2.8, A's criticality margin min(SR − 1, (EI − 2.8)/2.8) is
    set by SR, which only HHI_GS moves (case GS only): the driver must be hhi_gs."""
    m = _model()
    m.ei = np.array([15.0, 5.0, 5.0])
    noise = U.NoiseSpec(ir_abs=0.0, eol_abs=0.0, eol_rel=0.0, si_abs=0.0)
    s = U.sobol_drivers(m, n_base=64, noise=noise, scope="eu").set_index("material_id")
    assert s.loc["a", "driver"] == "hhi_gs"
    assert s.loc["a", "ST_hhi_gs"] > 0.9
    nl = U.sobol_drivers(m, n_base=64, scope="nl")
    assert set(nl["driver"]) <= set(U.SOBOL_INPUTS)
