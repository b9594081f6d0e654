"""CBS headline figures on Dutch imports of critical materials (used to validate the NL trade view).

Source
------
[1] CBS (2025) *Nederlandse afhankelijkheid van kritieke materialen*; CBS (2023) *Kritieke materialen in de
    Nederlandse toeleveringsketen*; ANP reports of the 2025 release. Figures with their verbatim Dutch
    sentence and URL in ``data/raw/cbs_critical_materials_facts/`` (see its PROVENANCE.md). CC BY 4.0.
"""

from __future__ import annotations

import pandas as pd

from crmsec.errors import DataError
from crmsec.sources import raw_path

SOURCE_DIR = "cbs_critical_materials_facts"
FILENAME = "cbs_critical_materials_headline_figures.csv"

#: CBS (2025): the 8 materials for which China is NL's largest supplier (2024, cross-border trade)
CHINA_TOP_SUPPLIER_2024 = ("baryte", "bismuth", "cobalt", "magnesium", "manganese", "strontium", "tantalum",
                           "fluorspar")


def read_cbs_facts() -> pd.DataFrame:
    file = raw_path(SOURCE_DIR, FILENAME)
    f = pd.read_csv(file)
    need = {"figure_id", "year", "value", "unit", "concept", "basis", "source_url"}
    if missing := need - set(f.columns):
        raise DataError("CBS facts file lacks columns", file=file, field=", ".join(sorted(missing)))
    return f


def load_tables() -> dict[str, pd.DataFrame]:
    """Store table ``cbs_facts`` (12 headline figures with source and quote)."""
    return {"cbs_facts": read_cbs_facts()}
