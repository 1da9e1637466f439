"""The JSON API: /api/v1, OpenAPI docs at /api/docs. Errors are always {code, message, details}."""

import logging

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sonnim.core.errors import CoreError, SonnimError

logger = logging.getLogger("sonnim.api")


api = NinjaAPI(
    title="Sonnim API",
    version="1",
    description="Inbound messages for API inboxes, and the agent API. Errors: {code, message, details}.",
    docs_url="/docs",
    urls_namespace="api",
)


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details}


@api.exception_handler(SonnimError)
def on_sonnim_error(request: HttpRequest, exc: SonnimError):
    if exc.status >= 400:
        logger.info("api %s %s -> %s %s", request.method, request.path, exc.status, exc.code)
    return api.create_response(request, error_body(exc.code, exc.message, exc.details), status=exc.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    details = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors
    ]
    logger.info("api %s %s -> 422 invalid_input", request.method, request.path)
    return api.create_response(
        request,
        error_body(CoreError.INVALID_INPUT, "The request does not match the schema.", details),
        status=422,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request, error_body(CoreError.AUTH_REQUIRED, "A valid API token or session is required."), status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    if exc.status_code == 400 and "parse request body" in str(exc):  # ninja's wording for unparsable JSON
        body = error_body(CoreError.MALFORMED_JSON, "The request body is not valid JSON.")
    else:
        body = error_body("http_error", str(exc))
    logger.info("api %s %s -> %s %s", request.method, request.path, exc.status_code, body["code"])
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404):
    return api.create_response(request, error_body("not_found", "Not found."), status=404)


def register_routers() -> None:
    from sonnim.assist.api import router as assist_router
    from sonnim.automation.api import router as automation_router
    from sonnim.automation.routing_api import router as routing_router
    from sonnim.conversations.api import router as conversations_router
    from sonnim.core.api import router as core_router
    from sonnim.customers.api import router as customers_router
    from sonnim.inboxes.api import router as inboxes_router
    from sonnim.inboxes.channel_api import router as channel_router
    from sonnim.knowledge.api import router as knowledge_router
    from sonnim.outreach.api import router as outreach_router
    from sonnim.sla.api import router as sla_router
    from sonnim.webchat.api import router as webchat_router

    api.add_router("/v1", core_router)
    api.add_router("/v1", inboxes_router)
    api.add_router("/v1", channel_router)  # phone call log, Facebook/Instagram comment actions
    api.add_router("/v1", conversations_router)
    api.add_router("/v1", customers_router)
    api.add_router("/v1", automation_router)
    api.add_router("/v1", sla_router)
    api.add_router("/v1", routing_router)
    api.add_router("/v1", outreach_router)
    api.add_router("/v1", knowledge_router)
    api.add_router("/v1", assist_router)
    api.add_router("/v1", webchat_router)  # GET /inboxes/{id}/widget: the <script> tag


register_routers()
