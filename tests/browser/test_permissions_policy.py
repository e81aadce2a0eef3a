"""Chromium reads the Permissions-Policy header without a complaint: a feature name it does
not know (`bluetooth` was one) is a console warning on every page of every host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.servers import AppServer, app_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


@pytest.fixture
def server() -> Iterator[AppServer]:
    with app_server() as running:
        yield running


def test_no_permissions_policy_message(server: AppServer) -> None:
    from playwright.sync_api import sync_playwright

    messages: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
            response = page.goto(server.url("localhost", "/"))
            assert response is not None
            assert response.status == 200
            assert "camera=()" in response.headers["permissions-policy"]
            page.goto(server.url("localhost", "/pricing/"))
        finally:
            browser.close()
    assert [m for m in messages if "Permissions-Policy" in m] == []
