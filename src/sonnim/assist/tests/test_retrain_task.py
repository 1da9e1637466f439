"""The periodic retraining: the worker runs `retrain_category_models`, which retrains only workspaces whose
agents corrected a category since their last training."""

import pytest
from django_tasks_db.models import DBTaskResult

from sonnim.assist.services import training_record
from sonnim.assist.tasks import retrain_category_models
from sonnim.assist.triage import category_model, triage_text, workspace_model_dir
from sonnim.commands.server import run_worker_loop
from sonnim.conversations.models import Conversation
from sonnim.conversations.services import set_category
from sonnim.core.actors import Actor
from sonnim.testing.fixtures import inbound_payload

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "선물용 메시지 카드 넣어주실 수 있나요"


def run_task() -> dict:
    result = retrain_category_models.enqueue()
    run_worker_loop(interval=0.05, batch=True)
    return DBTaskResult.objects.get(pk=result.id).return_value


def test_worker_retrains_a_corrected_workspace_once(
    triage_models,
    api_inbox,
    other_api_inbox,
    post_inbound,
    agent,
    workspace,
    other_workspace,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path
    assert run_task() == {"trained": 0}  # nothing corrected anywhere: nothing written
    assert not workspace_model_dir(workspace.pk).exists()

    response = post_inbound(api_inbox, inbound_payload(text=TEXT))
    conversation = Conversation.objects.get(pk=response.json()["conversation_id"])
    assert conversation.category != "gift_service"
    set_category(conversation, category="gift_service", actor=Actor.agent(agent))

    assert run_task() == {"trained": 1}  # only the corrected workspace
    model_file = workspace_model_dir(workspace.pk) / "model.json"
    assert model_file.exists() and not workspace_model_dir(other_workspace.pk).exists()
    assert category_model(workspace.pk).predict(TEXT).label == "gift_service"
    assert triage_text(TEXT, workspace_id=workspace.pk).category == "gift_service"
    assert triage_text(TEXT, workspace_id=other_workspace.pk).category != "gift_service"
    record = training_record(workspace.pk)
    assert record["corrections"] == 1 and record["last_correction_seq"] > 0

    modified = model_file.stat().st_mtime_ns
    assert run_task() == {"trained": 0}  # no new correction: nothing retrained, nothing rewritten
    assert model_file.stat().st_mtime_ns == modified
    assert training_record(workspace.pk) == record

    # a new correction since the last training: retrained again
    again = post_inbound(api_inbox, inbound_payload(external_id="m-2", sender_id="u-2", text="포장 문의"))
    set_category(
        Conversation.objects.get(pk=again.json()["conversation_id"]),
        category="gift_service",
        actor=Actor.agent(agent),
    )
    assert run_task() == {"trained": 1}
    assert training_record(workspace.pk)["last_correction_seq"] > record["last_correction_seq"]
