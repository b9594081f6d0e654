"""Helpers of the end-to-end tests."""

from __future__ import annotations

PASSWORD = "e2e-analyst-pass"
RESTRICTED_CODE = "NL-E2E-RESTRICTED"
RESTRICTED_NAME = "E2E confidential magnet recycler"


def sign_in(page, username: str = "analyst", password: str = PASSWORD) -> None:
    page.goto("/login?next=/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url("**/")
