"""Fixtures of the knowledge app: the project's sample help center imported into a workspace."""

from pathlib import Path

import pytest

from sonnim.core.actors import SYSTEM

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def sample_kb(workspace):
    from sonnim.knowledge.services import import_articles

    return import_articles(workspace, (DATA / "sample_kb.jsonl").read_text(), actor=SYSTEM)
