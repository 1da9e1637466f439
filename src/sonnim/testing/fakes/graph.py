"""A fake Meta Graph API (Send API, comment replies, comment hiding) and the webhook bodies Meta posts,
signed like X-Hub-Signature-256.

It answers like Graph: POST /{version}/me/messages -> {"recipient_id", "message_id"}; POST
/{version}/{comment-id}/comments|replies -> {"id"}; POST /{version}/{comment-id} -> {"success": true}.
Errors are {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}: 190 for a bad token
(401), 100 for a bad parameter (400)."""

import hashlib
import hmac
import json
import uuid

from .base import FakeServer, Reply

VERSION = "v21.0"
PAGE_TOKEN = "EAAG-page-access-token"
APP_SECRET = "meta-app-secret"
APP_ID = "1234567890"


def graph_error(status: int, code: int, message: str, subcode: int | None = None) -> Reply:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"}
    if subcode:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error})


class FakeGraph(FakeServer):
    def default(self, request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {PAGE_TOKEN}":
            return graph_error(401, 190, "Invalid OAuth access token.")
        try:
            body = json.loads(request.body)
        except ValueError:
            return graph_error(400, 100, "Invalid parameter")
        path = request.path.removeprefix(f"/{VERSION}/")
        if path == "me/messages":
            if "recipient" not in body or "message" not in body:
                return graph_error(400, 100, "(#100) The parameter recipient is required")
            recipient = body["recipient"].get("id") or "psid-from-comment"
            return Reply(200, {"recipient_id": recipient, "message_id": "m_" + uuid.uuid4().hex})
        if path.endswith(("/comments", "/replies")):
            if not body.get("message"):
                return graph_error(400, 100, "(#100) Missing message")
            return Reply(200, {"id": path.split("/")[0] + "_" + uuid.uuid4().hex[:8]})
        if "/" not in path and ("is_hidden" in body or "hide" in body):
            return Reply(200, {"success": True})
        return graph_error(400, 100, "Unsupported post request.")

    def posts(self) -> list[tuple[str, dict]]:
        return [(r.path, r.json()) for r in self.requests]


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def dm(text: str, *, psid: str = "PSID-1", page_id: str = "PAGE-1", mid: str = "", obj: str = "page") -> dict:
    """A Messenger (object page) or Instagram (object instagram) direct message webhook."""
    return {
        "object": obj,
        "entry": [
            {
                "id": page_id,
                "time": 1764046800000,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": page_id},
                        "timestamp": 1764046800000,
                        "message": {"mid": mid or "m_" + uuid.uuid4().hex, "text": text},
                    }
                ],
            }
        ],
    }


def echo(
    text: str, *, psid: str = "PSID-1", page_id: str = "PAGE-1", mid: str = "", app_id: str = ""
) -> dict:
    payload = dm(text, psid=page_id, page_id=psid, mid=mid)  # the page is the sender of an echo
    message = payload["entry"][0]["messaging"][0]["message"]
    message["is_echo"] = True
    if app_id:
        message["app_id"] = int(app_id)
    return payload


def page_comment(
    text: str,
    *,
    comment_id: str = "POST-1_C-1",
    post_id: str = "PAGE-1_POST-1",
    parent_id: str | None = None,
    author_id: str = "FB-USER-1",
    name: str = "이하늘",
) -> dict:
    """A Page `feed` change for a new comment."""
    return {
        "object": "page",
        "entry": [
            {
                "id": "PAGE-1",
                "time": 1764046800,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": comment_id,
                            "post_id": post_id,
                            "parent_id": parent_id or post_id,
                            "from": {"id": author_id, "name": name},
                            "message": text,
                            "created_time": 1764046800,
                        },
                    }
                ],
            }
        ],
    }


def instagram_comment(
    text: str, *, comment_id: str = "IG-C-1", author_id: str = "IG-USER-1", parent_id: str = ""
) -> dict:
    value = {
        "id": comment_id,
        "text": text,
        "from": {"id": author_id, "username": "haneul.lee"},
        "media": {"id": "IG-MEDIA-1", "media_product_type": "FEED"},
    }
    if parent_id:
        value["parent_id"] = parent_id
    return {
        "object": "instagram",
        "entry": [
            {"id": "IG-ACCOUNT-1", "time": 1764046800, "changes": [{"field": "comments", "value": value}]}
        ],
    }
