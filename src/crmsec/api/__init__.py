"""REST API and dashboard (FastAPI): ``create_app(settings)`` builds the app; ``crmsec serve`` runs it."""

from crmsec.api.app import create_app
from crmsec.api.config import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
