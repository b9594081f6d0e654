"""Value chains (material → intermediate → component → end product → NACE sector).

Python API: :func:`list_chains`, :func:`chain_graph_frames`, :func:`chain_risk`, :func:`chain_sectors`,
:func:`component_mixes` (component-stage mixes for the scenario engine).
"""

from crmsec.chains.api import (
    chain_graph_frames,
    chain_risk,
    chain_sectors,
    list_chains,
    node_shares_from_store,
)
from crmsec.chains.model import Chain, chain_graph, chains, component_mixes, get_chain, stage_risk

__all__ = [
    "Chain", "chain_graph", "chain_graph_frames", "chain_risk", "chain_sectors", "chains", "component_mixes",
    "get_chain", "list_chains", "node_shares_from_store", "stage_risk",
]
