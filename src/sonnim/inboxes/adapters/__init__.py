"""Channel adapters: platform payloads in, deliveries out. They never import models."""

from .api import ApiAdapter
from .base import ChannelAdapter
from .email import EmailAdapter
from .kakao import KakaoSkillAdapter
from .kakao_dealers import KakaoCounselAdapter
from .meta import MetaAdapter
from .phone import PhoneAdapter
from .sms import SmsAdapter
from .talktalk import TalkTalkAdapter
from .webchat import WebchatAdapter

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "api": ApiAdapter,
    "email": EmailAdapter,
    "kakao": KakaoSkillAdapter,
    "kakao_counsel": KakaoCounselAdapter,
    "talktalk": TalkTalkAdapter,
    "webchat": WebchatAdapter,
    "sms": SmsAdapter,
    "phone": PhoneAdapter,
    "meta": MetaAdapter,
}


def adapter_for(kind: str) -> type[ChannelAdapter] | None:
    return ADAPTERS.get(kind)
