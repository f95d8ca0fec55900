"""Browser tests: lessons in JupyterLab in Debian's Chromium, driven by Playwright."""

import pytest

# The helper modules hold the asserts that check what a person sees: let pytest show their values on failure.
pytest.register_assert_rewrite("tests.browser.jupyterlab", "tests.browser.lesson_checks", "tests.browser.harness_checks")
