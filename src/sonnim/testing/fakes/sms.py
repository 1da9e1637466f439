"""A fake Twilio-compatible SMS API (POST /2010-04-01/Accounts/{sid}/Messages.json), and the webhook bodies
such a provider posts to us (inbound messages and status callbacks), signed like X-Twilio-Signature.

Like Twilio it answers 201 {"sid": "SM...", "status": "queued", ...}; refusals as 4xx JSON
{"code", "message", "more_info", "status"}: 20003 bad credentials (401), 20404 unknown account (404),
21604 no To, 21602 no Body, 21212 a From number the account does not own (400)."""

import base64
import uuid
from urllib.parse import parse_qsl

from sonnim.inboxes.adapters.sms import twilio_signature

from .base import FakeServer, Reply

ACCOUNT_SID = "AC" + "0" * 30 + "01"
AUTH_TOKEN = "twilio-auth-token"


def error(status: int, code: int, message: str) -> Reply:
    return Reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class FakeSmsProvider(FakeServer):
    def __init__(self, *, senders: tuple[str, ...] = ("+8215881234",)) -> None:
        super().__init__()
        self.senders = set(senders)  # numbers the account owns (registered sender numbers)

    def default(self, request) -> Reply:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        if request.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return error(404, 20404, "The requested resource was not found")
        form = dict(parse_qsl(request.body.decode()))
        if not form.get("To"):
            return error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return error(400, 21602, "Message body is required.")
        if form.get("From") not in self.senders:
            return error(400, 21212, f"The 'From' number {form.get('From')} is not a valid phone number.")
        sid = "SM" + uuid.uuid4().hex
        return Reply(
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": form["To"],
                "from": form["From"],
                "body": form["Body"],
                "status": "queued",
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
                "api_version": "2010-04-01",
            },
        )

    def forms(self) -> list[dict]:
        return [dict(parse_qsl(r.body.decode())) for r in self.requests]


def inbound_form(body: str, *, sender: str = "+821012345678", to: str = "+8215881234", sid: str = "") -> dict:
    """What Twilio posts for an incoming SMS."""
    return {
        "ToCountry": "KR",
        "SmsMessageSid": sid or "SM" + uuid.uuid4().hex,
        "NumMedia": "0",
        "SmsSid": sid or "SM" + uuid.uuid4().hex,
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def status_form(sid: str, status: str, *, error_code: str = "") -> dict:
    """A status callback for one of our sends."""
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "To": "+821012345678",
        "From": "+8215881234",
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    return twilio_signature(token, url, list(form.items()))
