"""Circularity: dynamic MFA of the Dutch urban mine (portable, e-bike and EV batteries) → secondary supply of
critical raw materials [t contained element] to 2035/2050 under named scenarios (baseline, EU targets).

Stocks use flodym's inflow-driven dynamic stock model; every non-vendored input is in the labelled assumption
table :func:`assumptions`.
"""

from crmsec.circularity.api import CircularityResult, run, secondary_supply, write_outputs
from crmsec.circularity.inputs import SCENARIOS, assumptions

__all__ = ["SCENARIOS", "CircularityResult", "assumptions", "run", "secondary_supply", "write_outputs"]
