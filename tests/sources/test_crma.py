"""CRMA annex lists loader."""

from __future__ import annotations

from crmsec.sources import crma


def test_entries_expand_to_materials():
    lists, meta = crma.read_crma_lists()
    assert meta["entries"] == 51
    assert lists.groupby("annex")["entry"].nunique().to_dict() == {"I": 17, "II": 34}
    magnets = set(lists.loc[lists["entry"].str.startswith("rare earth elements for permanent"), "material_id"])
    assert {"neodymium", "praseodymium", "terbium", "dysprosium", "gadolinium", "samarium", "cerium"} <= magnets
    assert "lanthanum" not in magnets
    assert set(crma.load_tables()) == {"crma_lists"}
