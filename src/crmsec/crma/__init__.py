"""CRMA 2030 benchmark tracker (Regulation (EU) 2024/1252 Art. 5): :func:`crma_table`, :func:`crma_benchmarks`."""

from crmsec.crma.api import TITLE, crma_table, crma_wide, strategic_materials
from crmsec.crma.benchmarks import TARGETS, crma_benchmarks

__all__ = ["TITLE", "TARGETS", "crma_benchmarks", "crma_table", "crma_wide", "strategic_materials"]
