"""A fake Naver TalkTalk send API (POST /chatbot/v1/event). It answers like Naver: HTTP 200 with
{"success": true, "resultCode": "00"}, and refusals as HTTP 200 with success false and a resultCode
(01 bad Authorization, 02 unparsable JSON, 99 other, IMG-0x image errors)."""

import json

from .base import FakeServer, Reply

PATH = "/chatbot/v1/event"


def ok() -> Reply:
    return Reply(200, {"success": True, "resultCode": "00"})


def refused(code: str, message: str = "") -> Reply:
    return Reply(200, {"success": False, "resultCode": code, "resultMessage": message or f"error {code}"})


class FakeNaver(FakeServer):
    """Checks what Naver checks: the partner key and that the body is JSON with an event."""

    def __init__(self, authorization: str = "ct_wc8b1i_partner-key") -> None:
        super().__init__()
        self.authorization = authorization

    @property
    def api_url(self) -> str:
        return self.url + PATH

    def default(self, request) -> Reply:
        if request.headers.get("Authorization") != self.authorization:
            return refused("01", "Authorization 정보 오류")
        try:
            body = json.loads(request.body)
        except ValueError:
            return refused("02", "request json 문자열 파싱 오류")
        if not isinstance(body, dict) or "event" not in body or "user" not in body:
            return refused("02", "request json 문자열 파싱 오류")
        return ok()

    def sends(self) -> list[dict]:
        """What reached users: the send events (typing actions left out)."""
        return [b for b in self.json_bodies() if b.get("event") == "send"]
