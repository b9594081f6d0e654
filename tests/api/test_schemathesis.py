"""Property-based API fuzzing with schemathesis against the OpenAPI spec: no input gives a 5xx.

Runs on the session store (engines included) with an analyst bearer token, so role-protected endpoints are
exercised too. Bounded: a few examples per operation (hypothesis ``max_examples``), no deadline.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from crmsec.api import Settings, create_app
from crmsec.api.app import _store_opener
from crmsec.api.auth import UserStore

pytestmark = pytest.mark.slow

_users = UserStore(rounds=4)
_users.add("fuzz", "fuzz-pass-123", "analyst")
# the spec does not depend on the store: the app is built here, the store is attached by the fixture below
APP = create_app(Settings(secret_key="fuzz-secret-0123456789", bcrypt_rounds=4, max_upload_bytes=4096), users=_users)
HEADERS = {"Authorization": f"Bearer {APP.state.signer.make_token(_users.get('fuzz'))}"}
# revoking the fuzzer's own token would turn every later case into a 401 (covered in test_security.py)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/api/v1/auth/revoke")


@pytest.fixture(scope="module", autouse=True)
def _attach_store(store_path, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz-projects') / 'p.sqlite'}"
    APP.state.settings = APP.state.settings.model_copy(update={"store_path": store_path, "projects_db_url": url})
    APP.state.open_store = _store_opener(APP.state.settings)
    yield
    APP.state.jobs.shutdown()
    APP.state.open_store.close()


@schema.parametrize()
@settings(max_examples=int(os.environ.get("CRMSEC_FUZZ_EXAMPLES", "10")), deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case):
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    case.validate_response(response, checks=[not_a_server_error])
