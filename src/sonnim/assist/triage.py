"""Triage of one customer text: language, category, sentiment (with a score), urgency.

The shipped models (models/<task>/) are loaded once per process; a workspace that ran `sonnim assist
retrain` gets its own category model from MEDIA_ROOT/assist/<workspace id>/category/. Urgency is the
model's answer raised by rules that must never be missed (legal threats, injuries, repeated contact)."""

import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from sonnim.core.korean import detect_language

from .features import features
from .model import Prediction, TextModel, load_cached

MODELS_DIR = Path(__file__).parent / "models"
TASKS = ("category", "sentiment", "urgency")
URGENCY_RANK = {"low": 0, "medium": 1, "high": 2}

# Words that make a message urgent whatever the model says: a threat to go to the consumer agency, the
# police or a lawyer, a chargeback, an injury. Matched on the normalized text (spaces removed for Korean).
_HIGH_PATTERNS = re.compile(
    r"소비자원|소비자보호원|공정위|공정거래위원회|고소|고발|변호사|경찰|신고|차지백|이의제기|다쳤|화상|발진|"
    r"consumer agency|lawyer|attorney|sue\b|police|chargeback|injur|hurt|report you",
    re.IGNORECASE,
)
_DAMAGE_PATTERNS = re.compile(r"파손|깨져|깨진|부서|찢어|broken|damaged|shattered|cracked", re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    language: str
    category: str
    category_confidence: float
    sentiment: str
    sentiment_score: float  # P(positive) - P(negative), in [-1, 1]
    urgency: str


def default_model(task: str) -> TextModel:
    return load_cached(MODELS_DIR / task)


def _workspace_model_path(workspace_id: int, task: str) -> str:
    return f"{settings.MEDIA_ROOT}/assist/{workspace_id}/{task}"


def workspace_model_dir(workspace_id: int, task: str = "category") -> Path:
    return Path(_workspace_model_path(workspace_id, task))


def category_model(workspace_id: int | None) -> TextModel:
    # Asked twice per inbound message: one stat() of a string path, no Path objects (5x cheaper).
    if workspace_id is not None:
        own = _workspace_model_path(workspace_id, "category")
        if os.path.exists(f"{own}/model.json"):
            return load_cached(Path(own))
    return default_model("category")


def rule_urgency(text: str, *, repeated_contacts: int = 0) -> str:
    """The floor the rules set: high for legal threats, injuries and a third message in a day, medium for
    damaged goods and a second one."""
    compact = text.replace(" ", "")
    if _HIGH_PATTERNS.search(text) or _HIGH_PATTERNS.search(compact) or repeated_contacts >= 3:
        return "high"
    if _DAMAGE_PATTERNS.search(text) or repeated_contacts >= 2:
        return "medium"
    return "low"


def raise_urgency(*levels: str) -> str:
    return max(levels, key=lambda level: URGENCY_RANK.get(level, 0))


def triage_text(text: str, *, workspace_id: int | None = None, repeated_contacts: int = 0) -> Triage:
    models = _text_triage(text, category_model(workspace_id))
    floor = raise_urgency(models.floor, rule_urgency(text, repeated_contacts=repeated_contacts))
    return Triage(
        language=models.language,
        category=models.category.label,
        category_confidence=models.category.confidence,
        sentiment=models.sentiment.label,
        sentiment_score=models.sentiment_score,
        urgency=raise_urgency(models.urgency, floor),
    )


def prepare_triage(text: str, *, workspace_id: int | None = None) -> None:
    """Run the text's models now (they need no database), so that triage_text() inside the pipeline's
    write transaction finds them done: see conversations.pipeline.prepare."""
    _text_triage(text, category_model(workspace_id))


@dataclass(frozen=True)
class _ModelsSay:
    language: str
    category: Prediction
    sentiment: Prediction
    sentiment_score: float  # P(positive) - P(negative), in [-1, 1]
    urgency: str
    floor: str  # what the models' own answers demand at least (a confident negative: medium)


@lru_cache(maxsize=4096)  # one batch's texts (up to 1,000) prepared before their transaction stay here
def _text_triage(text: str, category: TextModel) -> _ModelsSay:
    """What the models say of a text: no database, no workspace rules. Keyed by the category model
    object too, so a workspace's retrained model is never answered from the old one's results."""
    feats = Counter(features(text))  # the Kiwi analysis and the counting run once for the three models
    sentiment = default_model("sentiment").predict_features(feats)
    score = sentiment.scores.get("positive", 0.0) - sentiment.scores.get("negative", 0.0)
    confident_negative = sentiment.label == "negative" and sentiment.confidence >= 0.8
    return _ModelsSay(
        language=detect_language(text),
        category=category.predict_features(feats),
        sentiment=sentiment,
        sentiment_score=round(score, 3),
        urgency=default_model("urgency").predict_features(feats).label,
        floor="medium" if confident_negative else "low",
    )
