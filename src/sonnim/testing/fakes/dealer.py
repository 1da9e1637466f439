"""A fake `restdealer` (see inboxes/adapters/kakao_dealers/restdealer.py for the documented shape): records
messages, session ends and AlimTalk sends; knows the serial numbers it accepted (E409 on a repeat), a
session expires after 30 days of customer silence (E410), and it fails on demand."""

import json
from datetime import datetime, timedelta

from .base import FakeServer, Reply

SILENCE_LIMIT = timedelta(days=30)


class FakeDealer(FakeServer):
    def __init__(self, api_key: str = "dealer-api-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.serials: set[str] = set()
        self.last_customer_message: dict[str, datetime] = {}
        self.now = datetime.now

    def customer_spoke(self, user_key: str, at: datetime) -> None:
        self.last_customer_message[user_key] = at

    def default(self, request) -> Reply:
        if request.headers.get("X-Api-Key") != self.api_key:
            return Reply(401, {"code": "E401", "message": "invalid api key"})
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(400, {"code": "E422", "message": "invalid json"})
        serial = body.get("serial_number")
        if serial and serial in self.serials:
            return Reply(200, {"code": "E409", "message": "duplicate serial", "message_id": f"m-{serial}"})
        if request.path == "/v1/messages":
            spoke = self.last_customer_message.get(body.get("user_key"))
            if spoke is not None and self.now() - spoke >= SILENCE_LIMIT:
                return Reply(200, {"code": "E410", "message": "session expired"})
        if request.path == "/v1/alimtalk" and len(body.get("text", "")) > 1000:
            return Reply(200, {"code": "E422", "message": "text too long"})
        if serial:
            self.serials.add(serial)
        return Reply(200, {"code": "0000", "message_id": f"m-{serial or 'end'}"})

    def bodies(self, path: str) -> list[dict]:
        return [r.json() for r in self.requests if r.path == path]
