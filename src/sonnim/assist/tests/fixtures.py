"""Fixtures of the assist app: the shipped models loaded once per test session."""

import pytest


@pytest.fixture(scope="session")
def triage_models():
    """Loads the Kiwi analyzer and the three shipped models once; later triage calls reuse them."""
    from sonnim.assist.triage import TASKS, default_model

    return {task: default_model(task) for task in TASKS}
