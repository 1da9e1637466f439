"""Optional generative answers through an OpenAI-compatible chat endpoint the operator runs (a local model
server, say). Off unless SONNIM_LLM_URL is set. Always grounded: the model sees only the retrieved
articles and must answer from them; the bot still cites those articles as sources. Any failure (timeout,
bad status, odd JSON) returns None and the bot falls back to the article's own text."""

import logging
import os

import httpx
from django.conf import settings

logger = logging.getLogger("sonnim.assist")

SYSTEM_PROMPT = (
    "You answer a shop customer's question using ONLY the help articles given below. Answer in the "
    "customer's language in at most three short sentences. If the articles do not answer the question, "
    "reply exactly: NO_ANSWER"
)


def llm_config() -> tuple[str, str, str]:
    url = getattr(settings, "SONNIM_LLM_URL", None) or os.environ.get("SONNIM_LLM_URL", "")
    model = getattr(settings, "SONNIM_LLM_MODEL", None) or os.environ.get("SONNIM_LLM_MODEL", "local")
    key = getattr(settings, "SONNIM_LLM_API_KEY", None) or os.environ.get("SONNIM_LLM_API_KEY", "")
    return url.rstrip("/"), model, key


def is_enabled() -> bool:
    return bool(llm_config()[0])


def generate_answer(question: str, articles: list[tuple[str, str]], *, timeout: float = 10.0) -> str | None:
    """`articles`: (title, body) pairs, best first. The URL is the API base (".../v1")."""
    url, model, key = llm_config()
    if not url or not articles:
        return None
    context = "\n\n".join(f"### {title}\n{body[:2000]}" for title, body in articles[:3])
    payload = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": f"{SYSTEM_PROMPT}\n\n{context}"},
            {"role": "user", "content": question[:2000]},
        ],
    }
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.post(f"{url}/chat/completions", json=payload, headers=headers, timeout=timeout)
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"].strip()
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        logger.warning("llm answer failed: %s", type(exc).__name__)
        return None
    if not text or "NO_ANSWER" in text:
        return None
    return text[:1000]
