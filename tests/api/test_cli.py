"""CLI end-to-end: ``crmsec brief material|list`` and ``crmsec serve --hash-password``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from crmsec.api.auth import verify_password
from crmsec.cli import app
from crmsec.errors import UnknownNameError

runner = CliRunner()


def test_brief_material_writes_html_pdf_xlsx(tmp_path, mini_store_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["brief", "material", "gallium", "--lang", "nl", "--output", str(out),
                              "--store", str(mini_store_path)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["briefing-material-gallium-nl.html", "briefing-material-gallium-nl.pdf",
                     "briefing-material-gallium-nl.xlsx"]
    html = (out / "briefing-material-gallium-nl.html").read_text(encoding="utf-8")
    assert 'lang="nl"' in html and "Producenten per fase" in html


def test_brief_unknown_material_is_a_clear_error(tmp_path, mini_store_path):
    res = runner.invoke(app, ["brief", "material", "unobtainium", "--output", str(tmp_path),
                              "--store", str(mini_store_path)])
    assert res.exit_code != 0
    assert isinstance(res.exception, UnknownNameError) and "unobtainium" in str(res.exception)


@pytest.mark.slow
def test_brief_annual_list_from_the_store(tmp_path, store_path):
    from crmsec.reports import write_annual_briefing

    paths = write_annual_briefing(tmp_path, "nl", store_path=store_path)
    assert {p.suffix for p in paths} == {".html", ".pdf", ".xlsx"}
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "Nationale lijst van kritieke grondstoffen" in html and "<svg" in html


def test_hash_password_for_the_users_file():
    res = runner.invoke(app, ["serve", "--hash-password"], input="s3cret-passphrase\n")
    assert res.exit_code == 0
    assert verify_password("s3cret-passphrase", res.output.strip())
