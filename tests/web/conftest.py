"""The browser fixtures, defined once for every web test module: Playwright's sync API can run
one instance per thread, so a session-scoped instance imported into two modules (two fixture
definitions, two instances) fails in the second with "Sync API inside the asyncio loop"."""

# ruff: noqa: F401
from web_fixtures import browser, fake_camera, playwright_instance, web_root
