"""Upload names and response names of spec/exchange.md section 1."""

import pytest

from gateway.exchange.runtime.reception import is_upload_name, response_name_for


@pytest.mark.parametrize("name", ["KINE_FACT_45001237_20261115093000_000124.xml", "a", "A.b-c_d", "x" * 200])
def test_names_the_server_accepts(name):
    assert is_upload_name(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(".hidden.xml", id="hidden"),
        pytest.param("-dash.xml", id="leading-dash"),
        pytest.param("a/b.xml", id="separator"),
        pytest.param("a.xml\n", id="trailing-newline"),
        pytest.param("a\x00.xml", id="nul"),
        pytest.param("é.xml", id="non-ascii"),
        pytest.param("x" * 201, id="too-long"),
        pytest.param("", id="empty"),
    ],
)
def test_names_the_server_refuses(name):
    assert not is_upload_name(name)


@pytest.mark.parametrize(
    ("name", "response"),
    [
        ("LAB_FACT_31000425_20261115093000_000001.xml", "LAB_FACT_31000425_20261115093000_000001_REP.xml"),
        ("foo", "foo_REP.xml"),
        ("foo.XML", "foo.XML_REP.xml"),
        ("foo.xml", "foo_REP.xml"),
    ],
)
def test_response_names(name, response):
    assert response_name_for(name) == response
