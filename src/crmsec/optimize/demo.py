"""Run the packaged example inputs end to end (for ``make run`` / ``crmsec run``): writes CSV tables and
explanation texts under ``out``.

The allocation and stockpile examples in ``crmsec/optimize/examples`` are ILLUSTRATIVE round numbers, not
data (each file says so); the two worked examples reproduce methods §5.3(C) and §5.4.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from crmsec.output import write_frame


def _examples() -> Path:
    return Path(str(resources.files("crmsec.optimize") / "examples"))


def run_examples(out: str | Path) -> list[Path]:
    """Solve every packaged example; return the files written (tables as CSV, texts as .txt)."""
    from crmsec.optimize.allocation import allocate
    from crmsec.optimize.inputs import load_allocation
    from crmsec.optimize.stockpile import coverage_days_stock, pool_stockpile, size_stockpile

    ex = _examples()
    out = Path(out)
    written: list[Path] = []

    def save(name: str, frame: pd.DataFrame) -> None:
        path = out / f"{name}.csv"
        write_frame(frame, path)
        written.append(path)

    def text(name: str, body: str) -> None:
        path = out / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body + "\n", encoding="utf-8")
        written.append(path)

    problem = load_allocation(ex / "allocation_example.yaml")
    for rule in ("weighted", "strict_tiers", "floors_prorata"):
        res = allocate(problem, rule)
        for name in ("allocation", "sectors", "materials", "binding"):
            save(f"allocation_{rule}_{name}", getattr(res, name))
        text(f"allocation_{rule}_explanation", res.explanation)
    res = allocate(load_allocation(ex / "worked_example_5_4.yaml"), "weighted")
    save("allocation_worked_example_5_4", res.allocation)
    scen = pd.read_csv(ex / "worked_example_5_3c_scenarios.csv")
    mats = pd.read_csv(ex / "worked_example_5_3c_materials.csv")
    st = size_stockpile(scen, mats)
    save("stockpile_worked_example_5_3c", st.stock)
    text("stockpile_worked_example_5_3c_explanation", st.explanation)
    scen = pd.read_csv(ex / "stockpile_scenarios_example.csv")
    mats = pd.read_csv(ex / "stockpile_materials_example.csv")
    st = size_stockpile(scen, mats, country="NLD", tiers=pd.read_csv(ex / "stockpile_tiers_example.csv"))
    save("stockpile_nld_stock", st.stock)
    save("stockpile_nld_scenarios", st.scenarios)
    text("stockpile_nld_explanation", st.explanation)
    pool = pool_stockpile(scen, mats, pd.read_csv(ex / "stockpile_members_example.csv"))
    save("stockpile_pool_comparison", pool.comparison)
    save("stockpile_pool_members", pool.members)
    save("stockpile_pool_flows", pool.flows)
    text("stockpile_pool_explanation", pool.explanation)
    save("stockpile_coverage_days", coverage_days_stock(pd.read_csv(ex / "coverage_example.csv")))
    return written
