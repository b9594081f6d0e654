"""The plurilateral club market (EU–US–Japan) for one material: market kernel, policy packages, costs, security.

See :mod:`crmsec.club.market` (kernel), :mod:`crmsec.club.clearing` (standards-based club market),
:mod:`crmsec.club.engine` (paths, investment), :mod:`crmsec.club.results` (per-package results) and
``club/assumptions.csv`` (every assumption with its source).
"""
