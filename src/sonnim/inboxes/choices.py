from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    API = "api", _("API")  # any system posting JSON; replies go out as signed webhooks
    EMAIL = "email", _("Email")
    WEBCHAT = "webchat", _("Web chat")
    KAKAO = "kakao", _("KakaoTalk")  # the Kakao i Open Builder chatbot skill
    KAKAO_COUNSEL = "kakao_counsel", _("KakaoTalk counsel (상담톡)")  # human chat through an official dealer
    TALKTALK = "talktalk", _("Naver TalkTalk")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    BOARD = "board", _("1:1 board")
    SNS = "sns", _("Social")
    META = "meta", _("Facebook / Instagram")  # a Facebook Page and its Instagram account (Graph API)


# Channels where one customer talks in one running thread: a new message continues the customer's
# latest conversation. Email (and the board) thread by their own headers/posts instead.
CONTINUOUS_KINDS = {
    ChannelKind.API,
    ChannelKind.WEBCHAT,
    ChannelKind.KAKAO,
    ChannelKind.KAKAO_COUNSEL,
    ChannelKind.TALKTALK,
    ChannelKind.SMS,
}
