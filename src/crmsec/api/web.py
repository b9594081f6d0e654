"""Template rendering for the dashboard: one Jinja2 environment, per-request language and user."""

from __future__ import annotations

import json
import math
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crmsec.api.auth import User
from crmsec.api.i18n import N_, format_day, format_number, format_share, translations
from crmsec.api.labels import LABELS, humanise, label

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

#: navigation: (path, label) — labels are translated at render time
NAV: list[tuple[str, str]] = [
    ("/criticality", N_("Criticality matrix")),
    ("/list", N_("National list")),
    ("/materials", N_("Materials")),
    ("/chains", N_("Value chains")),
    ("/scenarios", N_("Scenarios")),
    ("/crisis", N_("Crisis response")),
    ("/crma", N_("CRMA tracker")),
    ("/projects", N_("Projects")),
    ("/club", N_("Club market")),
    ("/company", N_("Company self-assessment")),
    ("/briefings", N_("Briefings")),
]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def to_json(obj: Any) -> str:
    """JSON for embedding in ``<script type="application/json">`` (NaN → null, '</' escaped)."""
    text = json.dumps(_nan_to_none(obj), default=_json_default, ensure_ascii=False)
    return text.replace("</", "<\\/")


TEMPLATES.env.filters["tojson_safe"] = to_json


#: language of the page being rendered (set by :func:`render`; filters inside imported macros see no context)
_LANG: ContextVar[str] = ContextVar("crmsec_lang", default="en")


def fmt_num(value: Any, digits: int = 2, lang: str | None = None) -> str:
    return format_number(value, digits, lang or _LANG.get())


def fmt_pct(value: Any, digits: int = 1, lang: str | None = None) -> str:
    return format_share(value, digits, lang or _LANG.get())


def fmt_date(value: Any, lang: str | None = None) -> str:
    return format_day(value, lang or _LANG.get())


TEMPLATES.env.filters["num"] = fmt_num
TEMPLATES.env.filters["pct"] = fmt_pct
TEMPLATES.env.filters["date"] = fmt_date
TEMPLATES.env.filters["label"] = lambda key: label(key, _LANG.get())
TEMPLATES.env.filters["human"] = lambda value: humanise(value, _LANG.get())


def codify(value: Any) -> Any:
    """Text with its file, table and parameter names (snake_case tokens) set as ``<code>``: they are literal
    names a user types or looks up (e.g. ``existing_capacity.csv``, Eurostat ``nama_10_gdp``), not prose."""
    import re

    from markupsafe import Markup, escape

    if not isinstance(value, str):
        return value
    return Markup(re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b", lambda m: f"<code>{m.group(0)}</code>", str(escape(value))))


TEMPLATES.env.filters["codify"] = codify


def render_fragment(template: str, lang: str, **ctx: Any) -> str:
    """An HTML fragment (e.g. a job's result table) in ``lang``: localised numbers, labels, ``_``."""
    _LANG.set(lang)
    return TEMPLATES.env.get_template(template).render(_=translations(lang).gettext, lang=lang, **ctx)


def render(request: Request, template: str, user: User, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a dashboard page with language, user, CSRF token and navigation in the context."""
    lang = request.state.lang
    _LANG.set(lang)
    gettext = translations(lang).gettext
    context = {
        "request": request,
        "_": gettext,
        "lang": lang,
        "user": user,
        "csrf_token": request.state.csrf_token,
        "nav": [(path, gettext(label)) for path, label in NAV],
        "path": request.url.path,
        "labels": LABELS,
        **ctx,
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
