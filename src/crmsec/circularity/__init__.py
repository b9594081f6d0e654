"""Circularity: dynamic MFA of the Dutch urban mine (portable, e-bike and EV batteries) → secondary supply of
critical raw materials [t contained element] to 2035/2050 under named scenarios (baseline, EU targets).

Stocks use flodym's inflow-driven dynamic stock model; every non-vendored input is in the labelled assumption
table :func:`assumptions`.
"""

from crmsec._lazy import lazy_exports

#: exported name → defining module, imported on first use (crmsec._lazy)
_EXPORTS = {
    "CircularityResult": "crmsec.circularity.api",
    "run": "crmsec.circularity.api",
    "secondary_supply": "crmsec.circularity.api",
    "write_outputs": "crmsec.circularity.api",
    "SCENARIOS": "crmsec.circularity.inputs",
    "assumptions": "crmsec.circularity.inputs",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["SCENARIOS", "CircularityResult", "assumptions", "run", "secondary_supply", "write_outputs"]
