"""A small linear text classifier: TF-IDF over features.py's features, logistic regression (one-vs-rest).

Trained with scikit-learn, stored in our own format (model.json: labels, vocabulary, settings;
weights.npz: idf, coefficients, intercepts as float16/float32), so a model file does not depend on the
scikit-learn version and prediction is a few dictionary lookups and one small matrix product (well under
a millisecond after the Kiwi analysis). A label named `oos` means "out of scope"; a model trained with
`oos_threshold` also answers `oos` when no label is confident enough."""

import json
import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import features

FORMAT = 1
OOS = "oos"


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float]


@dataclass(frozen=True)
class Example:
    text: str
    label: str


class TextModel:
    def __init__(
        self,
        *,
        task: str,
        labels: list[str],
        vocabulary: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        oos_threshold: float = 0.0,
    ) -> None:
        self.task = task
        self.labels = labels
        self.vocabulary = vocabulary
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (classes, features); one row for a two-label model
        self.intercept = intercept.astype(np.float32)
        self.oos_threshold = oos_threshold

    # -- prediction ---------------------------------------------------------------------------------
    def vector(self, feats: list[str] | Counter) -> tuple[np.ndarray, np.ndarray]:
        """The L2-normalized sublinear TF-IDF vector (indexes, values). `feats`: the feature strings, or
        their counts (Counter(feats)), which one text's several models can share."""
        counts = feats if isinstance(feats, Counter) else Counter(feats)
        index = self.index
        known = [(index[f], c) for f, c in counts.items() if f in index]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter((i for i, _ in known), dtype=np.int64, count=len(known))
        tf = np.log(np.fromiter((c for _, c in known), dtype=np.float32, count=len(known))) + np.float32(1)
        values = tf * self.idf[idx]
        return idx, values / np.float32(np.linalg.norm(values) or 1.0)

    def predict(self, text: str) -> Prediction:
        return self.predict_features(features(text))

    def predict_features(self, feats: list[str] | Counter) -> Prediction:
        """For several models over one text: the Kiwi analysis, the costly part, runs once (and pass the
        features' Counter to count them once too)."""
        idx, values = self.vector(feats)
        logits = self.coef[:, idx] @ values + self.intercept
        if len(self.labels) == 2:  # scikit-learn keeps one row: the score of the second label
            probs = np.array([1.0 / (1.0 + math.exp(float(logits[0]))), 0.0])
            probs[1] = 1.0 - probs[0]
        else:
            exp = np.exp(logits - logits.max())
            probs = exp / exp.sum()
        scores = {label: round(float(p), 4) for label, p in zip(self.labels, probs, strict=True)}
        best = int(np.argmax(probs))
        label, confidence = self.labels[best], float(probs[best])
        if OOS in self.labels and confidence < self.oos_threshold:
            label = OOS
        return Prediction(label=label, confidence=round(confidence, 4), scores=scores)

    # -- storage ------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "task": self.task,
            "labels": self.labels,
            "oos_threshold": self.oos_threshold,
            "vocabulary": self.vocabulary,
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")))
        np.savez_compressed(
            directory / "weights.npz",
            idf=self.idf.astype(np.float16),
            coef=self.coef.astype(np.float16),
            intercept=self.intercept,
        )

    @classmethod
    def load(cls, directory: Path) -> "TextModel":
        meta = json.loads((directory / "model.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown model format {meta.get('format')!r} in {directory}")
        with np.load(directory / "weights.npz") as weights:
            return cls(
                task=meta["task"],
                labels=meta["labels"],
                vocabulary=meta["vocabulary"],
                idf=weights["idf"],
                coef=weights["coef"],
                intercept=weights["intercept"],
                oos_threshold=meta.get("oos_threshold", 0.0),
            )


def read_jsonl(path: Path) -> list[Example]:
    """Rows {"text", "label"}; blank lines are skipped, a bad row names its line number."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append(Example(text=str(row["text"]), label=str(row["label"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: expected a JSON object with text and label") from exc
    return rows


def train(
    examples: Iterable[Example],
    *,
    task: str,
    max_features: int = 30_000,
    alpha: float = 1e-4,
    oos_threshold: float = 0.0,
) -> TextModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    examples = list(examples)
    labels = sorted({e.label for e in examples})
    if len(labels) < 2:
        raise ValueError("training needs at least two labels")
    docs = [features(e.text) for e in examples]
    vectorizer = TfidfVectorizer(
        analyzer=lambda doc: doc,
        sublinear_tf=True,
        min_df=2 if len(docs) >= 500 else 1,
        max_features=max_features,
        dtype=np.float32,
    )
    x = vectorizer.fit_transform(docs)
    # Logistic loss by stochastic gradient descent: linear in the rows, so 100k rows train in seconds;
    # the fixed seed makes `sonnim assist train` reproduce the shipped files.
    classifier = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=50, tol=1e-4, random_state=0)
    classifier.fit(x, [e.label for e in examples])
    vocabulary = [""] * len(vectorizer.vocabulary_)
    for feature, i in vectorizer.vocabulary_.items():
        vocabulary[i] = feature
    return TextModel(
        task=task,
        labels=[str(label) for label in classifier.classes_],
        vocabulary=vocabulary,
        idf=vectorizer.idf_,
        coef=classifier.coef_,
        intercept=classifier.intercept_,
        oos_threshold=oos_threshold,
    )


def evaluate(model: TextModel, examples: list[Example]) -> dict:
    """{"n", "accuracy", "macro_f1", "per_label": {label: {precision, recall, f1, support}}}; macro-F1
    averages over every label seen in the data or predicted."""
    predicted = [model.predict(e.text).label for e in examples]
    gold = [e.label for e in examples]
    labels = sorted(set(gold) | set(predicted))
    per_label = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": gold.count(label),
        }
    n = len(examples)
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / n if n else 0.0
    macro_f1 = sum(v["f1"] for v in per_label.values()) / len(per_label) if per_label else 0.0
    return {"n": n, "accuracy": round(accuracy, 4), "macro_f1": round(macro_f1, 4), "per_label": per_label}


_cache: dict[str, TextModel] = {}
_cache_lock = threading.Lock()


def load_cached(directory: Path) -> TextModel:
    """One load per process and directory (the shipped models and any workspace's retrained one)."""
    key = str(directory)  # callers build it the same way each time; resolve() would cost a syscall per call
    model = _cache.get(key)
    if model is None:
        with _cache_lock:
            model = _cache.get(key) or TextModel.load(directory)
            _cache[key] = model
    return model


def forget_cached(directory: Path) -> None:
    _cache.pop(str(directory), None)
