"""A fake Kakao callback endpoint (the callbackUrl of an Open Builder skill request) and skill payloads.

Like Kakao, each callback URL takes one SkillResponse: the first POST gets
{"taskId": ..., "status": "SUCCESS"}, any later POST to the same URL {"status": "FAIL"}."""

import uuid

from .base import FakeServer, Reply


class FakeKakaoCallback(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def callback_url(self) -> str:
        return f"{self.url}/callback/{uuid.uuid4().hex}"

    def default(self, request) -> Reply:
        if request.path in self.used:
            return Reply(200, {"taskId": "", "status": "FAIL", "message": "callback already used"})
        self.used.add(request.path)
        return Reply(200, {"taskId": uuid.uuid4().hex, "status": "SUCCESS", "message": ""})


def skill_payload(
    utterance: str,
    *,
    bot_user_key: str = "bot-user-1",
    plusfriend_user_key: str | None = "pf-user-1",
    callback_url: str | None = None,
    params: dict | None = None,
) -> dict:
    """An Open Builder skill payload v2 as the Kakao i docs describe it."""
    properties = {"botUserKey": bot_user_key, "bot_user_key": bot_user_key, "isFriend": True}
    if plusfriend_user_key:
        properties.update(plusfriendUserKey=plusfriend_user_key, plusfriend_user_key=plusfriend_user_key)
    request = {
        "timezone": "Asia/Seoul",
        "params": {"ignoreMe": "true"},
        "block": {"id": "blk-1", "name": "상담 문의"},
        "utterance": utterance,
        "lang": "ko",
        "user": {"id": bot_user_key, "type": "botUserKey", "properties": properties},
    }
    if callback_url:
        request["callbackUrl"] = callback_url
    return {
        "intent": {"id": "blk-1", "name": "상담 문의"},
        "userRequest": request,
        "bot": {"id": "bot-1", "name": "샘플샵 봇"},
        "action": {
            "name": "sonnim",
            "clientExtra": None,
            "params": params or {},
            "id": "act-1",
            "detailParams": {},
        },
        "contexts": [],
    }


def skill_payload_v1(utterance: str, *, user_key: str = "pf-user-1") -> dict:
    """The v1 payload: snake_case user properties."""
    return {
        "intent": {"id": "blk-1", "name": "상담 문의"},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "utterance": utterance,
            "lang": "kr",
            "user": {
                "id": "620678",
                "type": "talk_user_id",
                "properties": {"plusfriend_user_key": user_key, "app_user_id": "708203191"},
            },
        },
        "bot": {"id": "bot-1", "name": "샘플샵 봇"},
        "action": {"name": "sonnim", "params": {}, "id": "act-1", "detailParams": {}},
    }
