"""The system Chromium the browser tests drive (Debian's `chromium`, installed by .ci/run)."""

from __future__ import annotations

import shutil

from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page: Page, login_url: str, email: str, password: str) -> None:
    """Sign in through the login form at `login_url` and wait for the page it leads to."""
    page.goto(login_url)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form [type=submit]")
