"""Property-based tests from the app's own OpenAPI schema (schemathesis): no input makes it fail.

Driven through schemathesis' strategies rather than its pytest plugin, which does not yet load
under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

pytestmark = pytest.mark.slow

CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


@pytest.fixture(scope="module")
def api_schema(archive):
    from api.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(archive=archive))  # its own lifespan


def test_no_server_errors_on_any_endpoint(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/search", "/api/punkter/{punkt_id}", "/api/meetings", "/health"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])
            case.validate_response(response, checks=CHECKS)

        check()
