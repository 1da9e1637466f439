"""KakaoTalk 상담톡 through a dealer: inbox kind `kakao_counsel`, settings {"dealer": "<name>", ...}.

The next dealer is one new module (a KakaoDealer subclass) and one entry in DEALERS."""

from django.http import HttpRequest
from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError

from ..base import (
    ChannelAdapter,
    ChannelEvent,
    Delivered,
    DeliveryFailed,
    InboundMessage,
    InboxConfig,
    OutboundMessage,
    check_text_length,
)
from .base import AlimTalkRequest, CounselMessage, KakaoDealer
from .restdealer import RestDealer

DEALERS: dict[str, type[KakaoDealer]] = {
    "restdealer": RestDealer,
}

TEXT_MAX_CHARS = 1_000
FILE_MAX_BYTES = 10 * 1024 * 1024


def dealer_for(config: InboxConfig) -> KakaoDealer:
    name = config.settings.get("dealer", "")
    if name not in DEALERS:
        raise SonnimError(
            "unknown_dealer", _("This KakaoTalk inbox names no known dealer."), details={"dealer": name}
        )
    return DEALERS[name](config)


class KakaoCounselAdapter(ChannelAdapter):
    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        if settings.get("dealer") not in DEALERS:
            raise SonnimError(
                "unknown_dealer",
                _("Choose one of the supported KakaoTalk dealers."),
                details={"dealer": settings.get("dealer"), "choices": sorted(DEALERS)},
            )

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        check_text_length(
            text,
            limit=TEXT_MAX_CHARS,
            message=_("KakaoTalk messages are limited to %(limit)s characters (this one has %(count)s)."),
        )
        for f in files:
            if len(f.data) > FILE_MAX_BYTES:
                raise SonnimError(
                    "attachment_too_large",
                    _("KakaoTalk files are limited to 10 MB."),
                    details={"filename": f.filename},
                )

    def __init__(self, config: InboxConfig) -> None:
        super().__init__(config)
        self.dealer = dealer_for(config)

    def verify(self, request: HttpRequest) -> None:
        self.dealer.verify(request)

    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]:
        return self.dealer.parse(request)

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        """Text first, then each attachment as its own bubble. Serial numbers are stable per message and
        bubble, so a retry after a partial send repeats nothing the dealer already has (E409)."""
        if not message.recipient_external_id:
            return DeliveryFailed("The customer has no KakaoTalk user key.", retryable=False)
        bubbles = []
        if message.text:
            bubbles.append(
                CounselMessage(
                    message.recipient_external_id, f"sonnim-{message.message_id}-0", text=message.text
                )
            )
        for i, a in enumerate(message.attachments, start=1):
            serial = f"sonnim-{message.message_id}-{i}"
            if a.content_type.startswith("image/"):
                bubbles.append(CounselMessage(message.recipient_external_id, serial, image_url=a.url))
            else:
                bubbles.append(
                    CounselMessage(
                        message.recipient_external_id,
                        serial,
                        file_url=a.url,
                        file_name=a.filename,
                        file_size=a.size,
                    )
                )
        result: Delivered | DeliveryFailed = DeliveryFailed("Nothing to send.", retryable=False)
        for bubble in bubbles:
            result = self.dealer.send(bubble)
            if isinstance(result, DeliveryFailed):
                return result
        return result

    def end_session(self, user_key: str) -> Delivered | DeliveryFailed:
        return self.dealer.end_session(user_key)

    def send_alimtalk(self, request: AlimTalkRequest) -> Delivered | DeliveryFailed:
        return self.dealer.send_alimtalk(request)
