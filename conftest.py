"""Registers the shared fixtures and every app's tests/fixtures.py as pytest plugins."""

from pathlib import Path

_src = Path(__file__).parent / "src" / "sonnim"
pytest_plugins = [
    "sonnim.testing.fixtures",
    "sonnim.testing.browser",
    *sorted(f"sonnim.{p.parent.parent.name}.tests.fixtures" for p in _src.glob("*/tests/fixtures.py")),
]
