"""/api/docs in real headless Chromium: Swagger UI from the gateway's own files, under its
CSP, with nothing loaded from elsewhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.web.test_browser import browser  # noqa: F401 - the module's Chromium

pytestmark = pytest.mark.browser


def test_the_interactive_api_docs_load_from_the_gateway_only(site, browser: Browser):  # noqa: F811 - the fixture imported above, taken by its name
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    errors, elsewhere = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on(
        "request",
        lambda request: (
            request.url.startswith(site.url) or request.url.startswith("data:") or elsewhere.append(request.url)
        ),
    )
    response = page.goto("/api/docs")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Provider data-exchange gateway")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/files").first).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/api/v1/forwarded").first.click()
    expect(page.locator(".opblock-description-wrapper", has_text="next_cursor").first).to_be_visible()
    expect(page.locator("button.authorize")).to_be_visible()  # API keys are given here for "Try it out"
    assert not errors, errors  # a CSP violation shows up here
    assert not elsewhere, elsewhere
    context.close()
