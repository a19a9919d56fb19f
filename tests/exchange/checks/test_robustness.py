"""Whatever the bytes, the checks answer with a valid response and never raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.exchange import samples as s

BASES = {
    c: s.build_request(s.Header(convention=c), [s.default_record(c, i) for i in (1, 2)])
    for c in ("LAB", "KINE", "DIET")
}
TOKENS = [
    b"<",
    b">",
    b"/",
    b'"',
    b"&",
    b"&amp;",
    b"\x00",
    b"\xff",
    b"<a>",
    b"</a>",
    b' xmlns="x"',
    b"\n",
    b"-1",
    b"99999999999",
    b"2026-02-30",
    b"K101",
    b"L0901",
    b"<!--c-->",
    b"<?pi x?>",
    b"<![CDATA[x]]>",
    b"\xc3\xa9",
    b"2026-10-03Z",
    b"+000030.85",
    b"12026-10-03",
    b"24:00:00",
]

edits = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 20), st.sampled_from(TOKENS)), min_size=1, max_size=4
)


@pytest.mark.parametrize("convention", ["LAB", "KINE", "DIET"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=edits)
def test_mutated_files_get_a_valid_response(check, convention: str, changes) -> None:
    data = bytearray(BASES[convention])
    for where, cut, token in changes:
        at = int(where * len(data))
        data[at : at + cut] = token
    result = check(bytes(data), convention=convention)  # the fixture validates the response
    assert result.status in {"ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE"}
    if result.status == "REJETE":
        assert result.errors() or all(r == "REJETE" for r in result.record_statuses())
