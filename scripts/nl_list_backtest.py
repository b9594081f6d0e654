"""Backtest of the NL list probabilities (issue 12): coverage of the 90 % rank interval and calibration.

Usage: ``PYTHONPATH=src python scripts/nl_list_backtest.py [draws]`` (reads the default store; ~45 s for
2019–2023 at 2,000 draws on 2 cores). Prints the summary and the lists 2019–2024 with their changes.
"""

from __future__ import annotations

import json
import sys

out = sys.stdout.write


def main(draws: int = 2000) -> None:
    from crmsec.criticality import pipeline as P
    from crmsec.criticality.nl_uncertainty import backtest

    data = P.load_data()
    frame, summary = backtest(data, [2019, 2020, 2021, 2022, 2023], draws)
    out(json.dumps(summary, indent=1) + "\n")
    out(frame.groupby("year")["inside_90"].mean().to_string() + "\n")
    prev = None
    for y in range(2019, 2025):
        lst = P.national_list(data, y)
        on = lst[lst["on_list"]]
        out(f"{y} {', '.join(on['material_id'])}\n")
        if prev is not None:
            d = P.nl.diff_lists(prev, lst)
            for r in d[d["change"].isin(["entered", "left", "tie"])].itertuples():
                out(f"   {r.change:7s} {r.material_id}: {r.explanation}\n")
        prev = lst


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
