"""Thin, vectorised bridge to HiGHS (highspy): build a sparse LP/MIP from numpy arrays and solve it.

The optimisation models of :mod:`crmsec.optimize` assemble their constraint matrices as COO triplets
(numpy arrays) and call :func:`solve`. Building 10^5–10^6 columns this way takes a fraction of a second,
which is why the models do not go through an algebraic modelling layer (see the benchmark in
``benchmarks/bench_optimize.py``).

A solve that does not end *Optimal* raises :class:`crmsec.errors.SolverError` carrying the HiGHS model
status; an empty or partial result is never returned.

References
----------
.. [1] Huangfu, Q., Hall, J.A.J. (2018). Parallelizing the dual revised simplex method. *Mathematical
   Programming Computation* 10, 119–142. doi:10.1007/s12532-017-0130-5 (HiGHS).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from crmsec.errors import SolverError

INF = highspy.kHighsInf
_BANNER_SHOWN = False


def _new_highs() -> highspy.Highs:
    """A Highs instance; the one-off licence banner HiGHS writes to C stdout is sent to stderr instead,
    so that ``--format csv`` output on stdout stays clean."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real fd 1 (embedded interpreters): accept the banner
        _BANNER_SHOWN = True
        return highspy.Highs()
    try:
        os.dup2(2, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


@dataclass
class LinearProgram:
    """A linear (or mixed-integer) program ``min c·x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``.

    Columns are added in named blocks (:meth:`add_cols`) and rows as COO triplets (:meth:`add_rows`), so
    that models read as algebra over index arrays rather than loops.
    """

    cost: list[np.ndarray] = field(default_factory=list)
    col_lo: list[np.ndarray] = field(default_factory=list)
    col_hi: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    row_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    n_col: int = 0
    n_row: int = 0
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _row_lo: list[np.ndarray] = field(default_factory=list)
    _row_hi: list[np.ndarray] = field(default_factory=list)

    def add_cols(self, name: str, n: int, *, cost=0.0, lo=0.0, hi=INF, integer: bool = False) -> np.ndarray:
        """Add ``n`` columns called ``name``; returns their indices."""
        idx = np.arange(self.n_col, self.n_col + n)
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (n,)).copy())
        self.col_lo.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        self.col_hi.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        self.integer.append(np.full(n, integer))
        self.blocks[name] = (self.n_col, self.n_col + n)
        self.n_col += n
        return idx

    def add_rows(
        self, name: str, n: int, rows: np.ndarray, cols: np.ndarray, vals, *, lo=-INF, hi=INF
    ) -> np.ndarray:
        """Add ``n`` rows called ``name``. ``rows`` are local row numbers 0..n-1 of the triplets."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        self._rows.append(rows + self.n_row)
        self._cols.append(cols)
        self._vals.append(np.broadcast_to(np.asarray(vals, float), rows.shape).copy())
        self._row_lo.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        self._row_hi.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        idx = np.arange(self.n_row, self.n_row + n)
        self.row_blocks[name] = (self.n_row, self.n_row + n)
        self.n_row += n
        return idx

    def col(self, x: np.ndarray, name: str) -> np.ndarray:
        """The slice of a full column vector that belongs to block ``name``."""
        start, stop = self.blocks[name]
        return x[start:stop]

    def row(self, y: np.ndarray, name: str) -> np.ndarray:
        start, stop = self.row_blocks[name]
        return y[start:stop]

    def matrix(self) -> sp.csc_matrix:
        if self._rows:
            r = np.concatenate(self._rows)
            c = np.concatenate(self._cols)
            v = np.concatenate(self._vals)
        else:
            r = c = np.zeros(0, np.int64)
            v = np.zeros(0)
        return sp.csc_matrix((v, (r, c)), shape=(self.n_row, self.n_col))


@dataclass(frozen=True)
class Solution:
    """Primal and dual values of a solved program (duals are HiGHS signs: d obj / d rhs)."""

    x: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective: float
    status: str
    mip: bool


def _run(a, cost, col_lo, col_hi, row_lo, row_hi, integer, time_limit, mip_gap, what) -> highspy.Highs:
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if integer is not None:
        h.setOptionValue("mip_rel_gap", mip_gap)
    model = highspy.HighsLp()
    model.num_col_ = len(cost)
    model.num_row_ = len(row_lo)
    model.col_cost_ = cost
    model.col_lower_ = col_lo
    model.col_upper_ = col_hi
    model.row_lower_ = row_lo
    model.row_upper_ = row_hi
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = a.indptr.astype(np.int32)
    model.a_matrix_.index_ = a.indices.astype(np.int32)
    model.a_matrix_.value_ = a.data
    model.a_matrix_.num_col_ = len(cost)
    model.a_matrix_.num_row_ = len(row_lo)
    if integer is not None:
        model.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
        ]
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    status_text = h.modelStatusToString(status)
    if status != highspy.HighsModelStatus.kOptimal:
        hint = {
            "Infeasible": "the constraints cannot all hold (e.g. reserve floor above the stock, "
            "or a budget too small for a required service level)",
            "Unbounded": "the objective can improve without limit (a cost or bound is missing)",
            "Time limit reached": "raise the time limit or shrink the model",
        }.get(status_text, "see the HiGHS status")
        raise SolverError(f"{what} could not be solved: {hint}", status=status_text)
    return h


def solve(
    lp: LinearProgram,
    *,
    what: str = "model",
    time_limit: float | None = None,
    mip_gap: float = 1e-6,
    duals: bool = True,
) -> Solution:
    """Solve ``lp`` with HiGHS; raise :class:`SolverError` unless the model status is *Optimal*.

    Parameters
    ----------
    lp : the program.
    what : plain name of the model for the error message (e.g. ``"allocation LP (rule weighted)"``).
    time_limit : seconds, or None for no limit.
    mip_gap : relative MIP gap for models with integer columns.
    duals : for a MIP, re-solve the LP with the integers fixed to get shadow prices; pass False when the
        caller uses only the primal solution (the duals are then NaN).
    """
    a = lp.matrix()
    a.sum_duplicates()
    a.sort_indices()
    cost = np.concatenate(lp.cost) if lp.cost else np.zeros(0)
    col_lo = np.concatenate(lp.col_lo) if lp.col_lo else np.zeros(0)
    col_hi = np.concatenate(lp.col_hi) if lp.col_hi else np.zeros(0)
    integer = np.concatenate(lp.integer) if lp.integer else np.zeros(0, bool)
    row_lo = np.concatenate(lp._row_lo) if lp._row_lo else np.zeros(0)
    row_hi = np.concatenate(lp._row_hi) if lp._row_hi else np.zeros(0)
    bad = np.flatnonzero(col_lo > col_hi + 1e-9)
    if bad.size:
        name = next(n for n, (s, e) in lp.blocks.items() if s <= bad[0] < e)
        raise SolverError(
            f"{what}: variable block '{name}' has a lower bound above its upper bound "
            f"({col_lo[bad[0]]:g} > {col_hi[bad[0]]:g}); the inputs are inconsistent",
            status="Infeasible (bounds)",
        )

    mip = bool(integer.any())
    h = _run(a, cost, col_lo, col_hi, row_lo, row_hi, integer if mip else None, time_limit, mip_gap, what)
    x_mip = None
    if mip and duals:
        # duals of the LP with the integer decisions fixed (the usual MIP shadow prices)
        x_mip = np.asarray(h.getSolution().col_value, float)
        fixed = np.round(x_mip[integer])
        col_lo2, col_hi2 = col_lo.copy(), col_hi.copy()
        col_lo2[integer] = fixed
        col_hi2[integer] = fixed
        h = _run(
            a, cost, col_lo2, col_hi2, row_lo, row_hi, None, time_limit, mip_gap, what + " (integers fixed)"
        )
    sol = h.getSolution()
    info = h.getInfo()
    return Solution(
        x=np.asarray(sol.col_value, float) if x_mip is None else x_mip,
        row_value=np.asarray(sol.row_value, float),
        row_dual=np.asarray(sol.row_dual, float) if sol.dual_valid else np.full(lp.n_row, np.nan),
        col_dual=np.asarray(sol.col_dual, float) if sol.dual_valid else np.full(lp.n_col, np.nan),
        objective=float(info.objective_function_value),
        status=h.modelStatusToString(h.getModelStatus()),
        mip=mip,
    )
