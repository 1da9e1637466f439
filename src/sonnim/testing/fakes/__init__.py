"""Local stand-ins for platforms beyond the machine (Naver TalkTalk, Kakao, a Kakao dealer). Each speaks the
platform's documented response shapes, records what Sonnim sent, and fails or stalls on demand."""

from .base import FakeServer, Reply

__all__ = ["FakeServer", "Reply"]
