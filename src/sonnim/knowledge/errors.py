from enum import StrEnum


class KnowledgeError(StrEnum):
    ARTICLE_NOT_FOUND = "article_not_found"
    INVALID_ARTICLE = "invalid_article"
    INVALID_IMPORT = "invalid_import"
