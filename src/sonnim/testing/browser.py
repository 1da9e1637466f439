"""The browser tests' Chromium (Debian's, driven by Playwright's sync API; never a downloaded browser).

Module-scoped on purpose: Playwright's sync API keeps an event loop running on the test thread while it is
started. Stopped after each browser module, it cannot leak that loop into the later tests of the same
xdist worker (Django's async views under the test client, asyncio.run, a second Playwright)."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-nanum)")
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # generous for a loaded CI machine; the live-push check sets its own
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
