"""`sonnim assist train|eval|predict|retrain`: the triage models from the command line. Each prints JSON."""

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    assist = sub.add_parser("assist", help="triage models").add_subparsers(dest="action", required=True)
    p = assist.add_parser("train", help="train a model from JSONL rows {text, label}")
    p.add_argument("--task", choices=["category", "sentiment", "urgency"], required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--oos-threshold", type=float, default=0.0, help="below this confidence answer oos")
    p.set_defaults(handler=train)

    p = assist.add_parser("eval", help="accuracy and macro-F1 of a model on JSONL rows {text, label}")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.set_defaults(handler=evaluate)

    p = assist.add_parser("predict", help="label one text")
    p.add_argument("--model", required=True)
    p.add_argument("text")
    p.set_defaults(handler=predict)

    p = assist.add_parser("retrain", help="learn a workspace's category model from agents' corrections")
    p.add_argument("--workspace", required=True)
    p.set_defaults(handler=retrain)


def _print(data) -> None:
    print(json.dumps(data, ensure_ascii=False))


def train(args: argparse.Namespace) -> int:
    import time

    from sonnim.assist.model import read_jsonl
    from sonnim.assist.model import train as train_model

    started = time.perf_counter()
    examples = read_jsonl(Path(args.data))
    model = train_model(examples, task=args.task, oos_threshold=args.oos_threshold)
    model.save(Path(args.out))
    _print(
        {
            "task": args.task,
            "n": len(examples),
            "labels": model.labels,
            "features": len(model.vocabulary),
            "seconds": round(time.perf_counter() - started, 2),
            "out": str(args.out),
        }
    )
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from sonnim.assist.model import TextModel, read_jsonl
    from sonnim.assist.model import evaluate as evaluate_model

    _print(evaluate_model(TextModel.load(Path(args.model)), read_jsonl(Path(args.data))))
    return 0


def predict(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sonnim.assist.model import TextModel

    _print(asdict(TextModel.load(Path(args.model)).predict(args.text)))
    return 0


def retrain(args: argparse.Namespace) -> int:
    from sonnim.assist.services import retrain_category_model
    from sonnim.core.selectors import get_workspace

    _print(retrain_category_model(get_workspace(args.workspace)))
    return 0
