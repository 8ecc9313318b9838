"""schemathesis against the app's own OpenAPI schema, over a real server holding a simulated day:
no server error, and every answer fits the schema (status, content type, body).

Each operation's cases come from schemathesis' strategy and run under Hypothesis inside the test
(schemathesis' pytest loader does not run under this pytest), a bounded number per operation so
CI stays in time. Not checked: that every request the schema allows is accepted, because
rules the schema cannot express (``to`` after ``from``, a window of at most 400 days, a
machine that exists) answer such requests with a 422 naming the field, as they must.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

from smkit.api.roles import Role
from tests.api.conftest import LiveApi, serve_day

EXAMPLES_PER_OPERATION = 30


@pytest.fixture(scope="module", params=["sqlite", "influx"])
def fuzzed_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    """A day of its own (the fuzzer writes orders and findings into it), on each backend."""
    influx = request.getfixturevalue("influx_server").url if request.param == "influx" else None
    yield from serve_day(tmp_path_factory.mktemp(f"fuzz-{request.param}"), influx)


def test_no_server_error_and_every_answer_fits_the_schema(fuzzed_api: LiveApi) -> None:
    live_api = fuzzed_api
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/v1/openapi.json", timeout=60)
    headers = {"X-API-Key": live_api.keys[Role.ADMIN]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5

    @settings(max_examples=EXAMPLES_PER_OPERATION * len(operations), deadline=None,
              suppress_health_check=list(HealthCheck), database=None)  # fmt: skip
    @given(st.data())
    def run(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        case.call_and_validate(base_url=live_api.url, headers=headers, timeout=120,
                               excluded_checks=[positive_data_acceptance])  # fmt: skip

    run()
