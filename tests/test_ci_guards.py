"""Tests that cannot hide: under CI a missing browser fails the browser tests instead of
skipping them."""

import pytest

from tests.browser import _no_browser


def test_a_missing_browser_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="may not skip"):
        _no_browser("Chromium is not installed")


def test_a_missing_browser_skips_on_a_developers_machine(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        _no_browser("Chromium is not installed")
