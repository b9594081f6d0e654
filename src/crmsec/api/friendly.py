"""Error messages for people reading pages (issue 15): translated, without regular expressions, library
text or command-line advice. API clients keep the precise JSON ``detail``; browsers get these."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from crmsec.api.i18n import N_, translator
from crmsec.api.labels import label
from crmsec.errors import CrmsecError, StoreError, UnknownNameError

_CLI = re.compile(r"\s*[(;,]?\s*(?:hint:\s*)?[^;()]*`[^`]*`[^;()]*\)?")
_OPTION = re.compile(r"\s*[(;,]?[^;()]*\s--[a-z][a-z-]+[^;()]*\)?")

#: HTTP texts raised by the routers that people see on pages
TEXTS = (N_("Not authenticated"), N_("Not Found"), N_("Method Not Allowed"),
         N_("This page needs a signed-in user with a higher role."))


def _strip_advice(text: str) -> str:
    """Drop clauses that advise a command (`crmsec …`, --option) or an API path: pages offer links instead."""
    text = _CLI.sub("", text)
    text = _OPTION.sub("", text)
    text = re.sub(r"\s*\(?hint:[^)]*GET /api/[^)]*\)?", "", text)
    return text.strip(" ;,") or text


def page_error(lang: str, code: int, detail: str, err: Exception | None = None) -> str:
    """The message an error page shows for ``err`` (or the HTTP ``detail``)."""
    _ = translator(lang)
    if isinstance(err, UnknownNameError) and err.value is not None:
        return _("Not found: '{value}'. Check the spelling or choose it from the list.").format(value=err.value)
    if isinstance(err, StoreError):
        return _("The data are not available right now; an administrator has to build or repair the data store.")
    if code == 404 and not isinstance(err, CrmsecError):
        return _("This page does not exist. Check the address or use the menu.")
    return _strip_advice(_(detail))


def validation_error(lang: str, errors: Sequence[dict[str, Any]]) -> str:
    """A request that failed validation, as a page message: which fields, never the validator's text."""
    _ = translator(lang)
    fields = sorted({label(e["loc"][-1], lang) for e in errors if e.get("loc")})
    return _("Some values in the address or the form are not valid: {fields}. Check them and try again.").format(
        fields=", ".join(fields) or "–")
