"""`sonnim assist train|eval|predict|retrain` on small files in a temporary directory."""

import json

import pytest

from sonnim.assist.triage import workspace_model_dir
from sonnim.cli import main
from sonnim.conversations.models import Conversation
from sonnim.conversations.services import set_category
from sonnim.core.actors import Actor
from sonnim.testing.fixtures import inbound_payload

ROWS = {
    "shipping": [
        "where is my parcel",
        "배송 언제 와요",
        "택배가 안 와요",
        "my package is late",
        "송장번호 알려주세요",
    ],
    "returns": [
        "I want to return this",
        "반품하고 싶어요",
        "교환 가능한가요",
        "how do I send it back",
        "사이즈 교환",
    ],
    "oos": [
        "what is the weather today",
        "오늘 날씨 어때요",
        "tell me a joke",
        "점심 뭐 먹지",
        "who won the game",
    ],
}


def write_jsonl(path, rows: dict[str, list[str]], repeat: int = 1) -> None:
    with path.open("w", encoding="utf-8") as f:
        for _ in range(repeat):
            for label, texts in rows.items():
                for text in texts:
                    f.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def run(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_train_eval_predict_with_an_out_of_scope_label(tmp_path, capsys):
    data, out = tmp_path / "train.jsonl", tmp_path / "model"
    write_jsonl(data, ROWS, repeat=3)
    trained = run(capsys, "assist", "train", "--task", "category", "--data", str(data), "--out", str(out))
    assert (trained["n"], trained["labels"]) == (45, ["oos", "returns", "shipping"])
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "weights.npz"]

    report = run(capsys, "assist", "eval", "--model", str(out), "--data", str(data))
    assert set(report) == {"n", "accuracy", "macro_f1", "per_label"}
    assert (report["n"], report["accuracy"], report["macro_f1"]) == (45, 1.0, 1.0)
    assert report["per_label"]["oos"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 15}

    predicted = run(capsys, "assist", "predict", "--model", str(out), "오늘 날씨 어때요")
    assert set(predicted) == {"label", "confidence", "scores"}
    assert predicted["label"] == "oos"
    assert set(predicted["scores"]) == {"oos", "returns", "shipping"}
    assert predicted["confidence"] == max(predicted["scores"].values())
    assert run(capsys, "assist", "predict", "--model", str(out), "택배 언제 와요")["label"] == "shipping"


def test_oos_threshold_turns_unsure_answers_into_oos(tmp_path, capsys):
    data, out = tmp_path / "train.jsonl", tmp_path / "model"
    write_jsonl(data, ROWS)
    run(
        capsys,
        "assist",
        "train",
        "--task",
        "category",
        "--data",
        str(data),
        "--out",
        str(out),
        "--oos-threshold",
        "0.99",
    )
    predicted = run(capsys, "assist", "predict", "--model", str(out), "반품 배송")
    assert predicted["label"] == "oos"
    assert predicted["confidence"] < 0.99


def test_eval_counts_mistakes_per_label(tmp_path, capsys):
    data, out, test = tmp_path / "train.jsonl", tmp_path / "model", tmp_path / "test.jsonl"
    write_jsonl(data, ROWS, repeat=2)
    run(capsys, "assist", "train", "--task", "category", "--data", str(data), "--out", str(out))
    write_jsonl(test, {"shipping": ["택배가 안 와요"], "returns": ["택배가 안 와요"]})  # one must be wrong
    report = run(capsys, "assist", "eval", "--model", str(out), "--data", str(test))
    assert (report["n"], report["accuracy"]) == (2, 0.5)
    assert report["per_label"]["shipping"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert report["per_label"]["returns"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


@pytest.mark.django_db
def test_retrain_learns_an_agents_correction(
    triage_models, api_inbox, post_inbound, agent, workspace, capsys, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    assert run(capsys, "assist", "retrain", "--workspace", workspace.slug)["trained"] is False
    response = post_inbound(api_inbox, inbound_payload(text="선물용 메시지 카드 넣어주실 수 있나요"))
    conversation = Conversation.objects.get(pk=response.json()["conversation_id"])
    set_category(conversation, category="gift_service", actor=Actor.agent(agent))
    result = run(capsys, "assist", "retrain", "--workspace", workspace.slug)
    assert (result["corrections"], result["trained"], "gift_service" in result["labels"]) == (1, True, True)
    assert (workspace_model_dir(workspace.pk) / "model.json").exists()
    again = post_inbound(
        api_inbox,
        inbound_payload(external_id="m-2", sender_id="u-2", text="선물용 메시지 카드 넣어주실 수 있나요"),
    )
    assert Conversation.objects.get(pk=again.json()["conversation_id"]).category == "gift_service"
