"""Knowledge-base retrieval that works for Korean: BM25 over kiwipiepy morphemes, plus paraphrase
handling through character n-gram similarity and synonym expansion (the shop's Synonym table and a small
built-in list).

One in-memory index per workspace and process, built from published articles and rebuilt when the
workspace's KnowledgeVersion moves (one indexed query per search checks it). Morphemes of unchanged
articles are reused across rebuilds, so an edit does not re-analyze ten thousand articles. Scores are in
[0, 1]: BM25 divided by the best score the query could reach, blended with the n-gram cosine."""

import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from sonnim.core.korean import detect_language, search_tokens
from sonnim.core.models import Workspace

from .choices import ArticleStatus
from .models import Article, KnowledgeVersion, Synonym
from .rendering import plain_excerpt

K1, B = 1.2, 0.75
TITLE_WEIGHT = 2  # title morphemes count twice: a title says what the article answers
BM25_SHARE = 0.65  # the rest is the character n-gram similarity
NGRAM_CHARS = 600  # n-grams of the title and the beginning of the body
SYNONYM_WEIGHT = 0.8

# Words customers use for the same thing in a shop, in both languages; a shop adds its own in Synonym.
DEFAULT_SYNONYMS: list[list[str]] = [
    ["반품", "돌려보내", "반송", "return", "send back", "send it back"],
    ["환불", "돈 돌려", "돌려받", "결제 취소", "refund", "money back"],
    ["교환", "바꾸고", "바꿔", "exchange", "swap"],
    ["배송 기간", "언제 받", "언제 와", "언제 도착", "얼마나 걸", "며칠 걸", "출고", "how long", "arrive"],
    ["송장", "운송장", "송장번호", "배송 조회", "택배 조회", "tracking", "tracking number"],
    ["오배송", "잘못 왔", "다른 상품", "wrong item", "불량"],
    ["이중결제", "이중 결제", "두 번 결제", "charged twice"],
    ["취소", "cancel", "주문 취소"],
    ["쿠폰", "할인 코드", "coupon", "promo code", "discount code"],
    ["적립금", "포인트", "points", "reward"],
    ["비밀번호", "비번", "password"],
    ["로그인", "sign in", "log in", "login"],
    ["회원 탈퇴", "탈퇴", "계정 삭제", "delete account", "close account"],
    ["결제 수단", "카드 결제", "payment method", "pay with"],
    ["사이즈", "치수", "size"],
    ["재입고", "restock", "back in stock", "다시 들어"],
    ["영수증", "receipt"],
    ["주소", "배송지", "address"],
]

_SPACE = re.compile(r"\s+")
# Question words and fillers: they say that something is asked, not what (the n-grams still see them).
STOPWORDS = frozenset(
    "언제 어떻게 어떻 어떠 어때 어디 어디서 왜 뭐 무엇 얼마나 얼마 몇 어떤 하 되 있 없 싶 주 알 그 이 저 것 수 좀 "  # noqa: E501 - Korean text is wide
    "how when what where why which who can could do does did i my me you your the a an is are it to of "
    "for in on and or be will would please there this that get".split()
)
LANGUAGE_MISMATCH = 0.8  # an English question prefers the English article on the same topic


@dataclass(frozen=True)
class Hit:
    article_id: int
    external_id: str
    title: str
    category: str
    slug: str
    language: str
    score: float


@dataclass(frozen=True)
class IndexedArticle:
    article_id: int
    external_id: str
    title: str
    category: str
    slug: str
    language: str
    is_internal: bool
    tokens: tuple[str, ...]
    ngram_text: str


def ngram_text(title: str, body: str) -> str:
    text = unicodedata.normalize("NFKC", f"{title} {body}")[:NGRAM_CHARS].lower()
    return _SPACE.sub(" ", re.sub(r"[#*_>`\[\]()!-]", " ", text)).strip()


def char_ngrams(text: str) -> Counter:
    grams: Counter = Counter()
    for word in text.split():
        padded = f" {word} "
        for n in (2, 3):
            grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@dataclass(frozen=True)
class SynonymGroup:
    compact: tuple[str, ...]  # members lower-cased without spaces, matched inside the query's text
    tokens: tuple[tuple[str, ...], ...]  # members' morphemes, matched against the query's morphemes


def compact(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


def synonym_groups(rows: list[list[str]]) -> list[SynonymGroup]:
    groups = []
    for members in rows:
        members = [m for m in members if m.strip()]
        if len(members) >= 2:
            tokens = tuple(t for t in (tuple(search_tokens(m)) for m in members) if t)
            groups.append(SynonymGroup(tuple(compact(m) for m in members), tokens))
    return groups


class KbIndex:
    def __init__(self, articles: list[IndexedArticle], synonyms: list[list[str]]) -> None:
        self.articles = articles
        self.groups = synonym_groups(synonyms)
        self.excerpts: dict[int, str] = {}  # article id -> plain excerpt, filled as the bot answers
        self.is_internal = np.array([a.is_internal for a in articles], dtype=bool)
        self.languages = np.array([a.language for a in articles], dtype=object)
        self._build_bm25()
        self._build_ngrams()

    def _build_bm25(self) -> None:
        from scipy import sparse  # imported on the first index build, not at server start

        self.terms: dict[str, int] = {}
        rows, cols, tfs, lengths = [], [], [], []
        for d, article in enumerate(self.articles):
            counts = Counter(article.tokens)
            lengths.append(len(article.tokens))
            for term, tf in counts.items():
                rows.append(d)
                cols.append(self.terms.setdefault(term, len(self.terms)))
                tfs.append(tf)
        n = len(self.articles)
        lengths_arr = np.array(lengths or [0], dtype=np.float32)
        avg = float(lengths_arr.mean()) or 1.0
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=len(self.terms)).astype(np.float32)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        tf = np.array(tfs, dtype=np.float32)
        norm = K1 * (1 - B + B * lengths_arr[np.array(rows, dtype=np.int64)] / avg) if rows else tf
        weights = self.idf[np.array(cols, dtype=np.int64)] * tf * (K1 + 1) / (tf + norm) if rows else tf
        self.bm25 = sparse.csc_matrix((weights, (rows, cols)), shape=(n, len(self.terms)), dtype=np.float32)

    def _build_ngrams(self) -> None:
        from scipy import sparse

        self.grams: dict[str, int] = {}
        rows, cols, values = [], [], []
        per_doc = [char_ngrams(a.ngram_text) for a in self.articles]
        df: Counter = Counter()
        for grams in per_doc:
            df.update(grams.keys())
        n = len(self.articles)
        self.gram_idf = {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}
        for d, grams in enumerate(per_doc):
            vector = {g: (1 + math.log(c)) * self.gram_idf[g] for g, c in grams.items()}
            length = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            for g, v in vector.items():
                rows.append(d)
                cols.append(self.grams.setdefault(g, len(self.grams)))
                values.append(v / length)
        self.ngram = sparse.csc_matrix((values, (rows, cols)), shape=(n, len(self.grams)), dtype=np.float32)

    def expand(self, query: str, tokens: list[str]) -> dict[str, float]:
        """Query term weights: the query's morphemes, plus the morphemes of every member of a synonym group
        one of whose members the query contains (as text, or as morphemes: Kiwi splits "돌려받아요" and
        "돌려받기" differently)."""
        weights: dict[str, float] = dict.fromkeys(tokens, 1.0)
        present, text = set(tokens), compact(query)
        for group in self.groups:
            if any(m in text for m in group.compact) or any(set(m) <= present for m in group.tokens):
                for member in group.tokens:
                    for token in member:
                        if token not in STOPWORDS:
                            weights.setdefault(token, SYNONYM_WEIGHT)
        return weights

    def bm25_scores(self, query: str, query_tokens: list[str]) -> np.ndarray:
        weights = self.expand(query, query_tokens)
        ids = [self.terms[t] for t in weights if t in self.terms]
        if not ids:
            return np.zeros(len(self.articles), dtype=np.float32)
        w = np.array([weights[t] for t in weights if t in self.terms], dtype=np.float32)
        scores = self.bm25[:, ids] @ w
        # The best score this query could reach: every original term present with a saturated tf. A word no
        # article has counts as the rarest word, so "오늘 날씨" does not match "오늘 출고" with full marks.
        unknown_idf = math.log(1.0 + (len(self.articles) + 0.5) / 0.5)
        best = sum(
            (float(self.idf[self.terms[t]]) if t in self.terms else unknown_idf) * (K1 + 1)
            for t in set(query_tokens)
        )
        best = best or float(self.idf[ids].max()) * (K1 + 1)
        return np.minimum(np.asarray(scores).ravel() / best, 1.0)

    def ngram_scores(self, query: str) -> np.ndarray:
        grams = char_ngrams(ngram_text("", query))
        known = {g: (1 + math.log(c)) * self.gram_idf[g] for g, c in grams.items() if g in self.gram_idf}
        if not known:
            return np.zeros(len(self.articles), dtype=np.float32)
        length = (
            math.sqrt(
                sum(
                    v * v
                    for g, v in ((g, (1 + math.log(c)) * self.gram_idf.get(g, 1.0)) for g, c in grams.items())
                )
            )
            or 1.0
        )
        ids = [self.grams[g] for g in known]
        w = np.array(list(known.values()), dtype=np.float32) / length
        return np.asarray(self.ngram[:, ids] @ w).ravel()

    def search(self, query: str, *, top: int = 5, include_internal: bool = False) -> list[Hit]:
        if not self.articles or not query.strip():
            return []
        tokens = [t for t in search_tokens(query) if t not in STOPWORDS]
        scores = BM25_SHARE * self.bm25_scores(query, tokens) + (1 - BM25_SHARE) * self.ngram_scores(query)
        language = detect_language(query)
        if language:
            scores = np.where(self.languages == language, scores, scores * LANGUAGE_MISMATCH)
        if not include_internal:
            scores = np.where(self.is_internal, 0.0, scores)
        top = max(1, min(top, 50))
        candidates = (
            np.argpartition(-scores, min(top, len(scores) - 1))[:top]
            if len(scores) > top
            else np.arange(len(scores))
        )
        ranked = sorted(candidates, key=lambda d: (-scores[d], d))
        return [self._hit(int(d), float(scores[d])) for d in ranked if scores[d] > 0.0]

    def _hit(self, d: int, score: float) -> Hit:
        a = self.articles[d]
        return Hit(a.article_id, a.external_id, a.title, a.category, a.slug, a.language, round(score, 4))


# -- the per-process cache ---------------------------------------------------------------------------------

_indexes: dict[int, tuple[str, KbIndex]] = {}
_tokens: dict[tuple[int, str], tuple[str, ...]] = {}  # (article id, updated_at) -> morphemes
_lock = threading.Lock()


def current_version(workspace_id: int) -> str:
    return (
        KnowledgeVersion.objects.filter(workspace_id=workspace_id).values_list("token", flat=True).first()
        or ""
    )


def article_tokens(article: Article) -> tuple[str, ...]:
    if len(_tokens) > 200_000:  # a bound on memory; unchanged articles are simply analyzed again
        _tokens.clear()
    key = (article.pk, article.updated_at.isoformat())
    tokens = _tokens.get(key)
    if tokens is None:
        title = search_tokens(article.title)
        tokens = tuple(t for t in title * TITLE_WEIGHT + search_tokens(article.body) if t not in STOPWORDS)
        _tokens[key] = tokens
    return tokens


def build_index(workspace_id: int) -> KbIndex:
    articles = (
        Article.objects.for_workspace(workspace_id).filter(status=ArticleStatus.PUBLISHED).order_by("pk")
    )
    indexed = [
        IndexedArticle(
            article_id=a.pk,
            external_id=a.external_id,
            title=a.display_title,
            category=a.category,
            slug=a.slug,
            language=a.language,
            is_internal=a.is_internal,
            tokens=article_tokens(a),
            ngram_text=ngram_text(a.title, a.body),
        )
        for a in articles.iterator(chunk_size=2000)
    ]
    shop = [[s.term, *s.synonyms] for s in Synonym.objects.for_workspace(workspace_id).order_by("pk")]
    return KbIndex(indexed, DEFAULT_SYNONYMS + shop)


def index_for(workspace: Workspace | int) -> KbIndex:
    workspace_id = getattr(workspace, "pk", workspace)
    version = current_version(workspace_id)
    cached = _indexes.get(workspace_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _indexes.get(workspace_id)
        if cached is None or cached[0] != version:
            cached = (version, build_index(workspace_id))
            _indexes[workspace_id] = cached
    return cached[1]


def search_articles(
    workspace: Workspace | int, query: str, *, top: int = 5, include_internal: bool = False
) -> list[Hit]:
    return index_for(workspace).search(query, top=top, include_internal=include_internal)


def article_excerpt(workspace: Workspace | int, article_id: int) -> str:
    """The article's plain-text excerpt for a chat answer. Kept on the workspace's current index, so an
    article answering many questions is read and rendered once per KB version, not once per answer."""
    workspace_id = getattr(workspace, "pk", workspace)
    cached = _indexes.get(workspace_id)
    excerpts = cached[1].excerpts if cached is not None else {}
    excerpt = excerpts.get(article_id)
    if excerpt is None:
        body = Article.objects.for_workspace(workspace_id).values_list("body", flat=True).get(pk=article_id)
        excerpt = excerpts[article_id] = plain_excerpt(body)
    return excerpt
