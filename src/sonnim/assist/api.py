"""The assist API for agents: correct a category (a label for retraining), reply suggestions."""

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sonnim.conversations import selectors as conversation_selectors
from sonnim.conversations.services import set_category
from sonnim.core.auth import agent_auth

from .selectors import reply_suggestions

router = Router(tags=["assist"], auth=agent_auth)


class CategoryIn(Schema):
    category: str = Field(max_length=40)


class CategoryOut(Schema):
    id: int
    category: str


class SuggestionOut(Schema):
    kind: str  # "article" | "reply"
    text: str  # the article's title, or the reply's text
    source_id: str  # the article's id, or the past conversation's id
    score: float


@router.post("/conversations/{conversation_id}/category", response=CategoryOut)
def change_category(request: HttpRequest, conversation_id: int, payload: CategoryIn):
    conversation = conversation_selectors.get_conversation(request.auth.workspace, conversation_id)
    conversation = set_category(conversation, category=payload.category, actor=request.auth.actor)
    return CategoryOut(id=conversation.pk, category=conversation.category)


@router.get("/conversations/{conversation_id}/suggestions", response=list[SuggestionOut])
def suggestions(request: HttpRequest, conversation_id: int):
    conversation = conversation_selectors.get_conversation(request.auth.workspace, conversation_id)
    return [SuggestionOut(**s.__dict__) for s in reply_suggestions(conversation)]
