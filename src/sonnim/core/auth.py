"""Who is calling: an agent by API token (Bearer) or by browser session (with CSRF), or a shop's
system by inbox key. Entry points resolve the workspace here, once, and pass it down."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import HttpBearer
from ninja.security.base import AuthBase

from .actors import Actor
from .models import Agent, Workspace
from .selectors import token_for_key
from .services import touch_token

SESSION_WORKSPACE_KEY = "sonnim_workspace_id"


@dataclass(frozen=True)
class AgentContext:
    agent: Agent
    workspace: Workspace

    @property
    def actor(self) -> Actor:
        return Actor.agent(self.agent)


class AgentTokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> AgentContext | None:
        api_token = token_for_key(token)
        if api_token is None:
            return None
        touch_token(api_token)
        return AgentContext(agent=api_token.agent, workspace=api_token.agent.workspace)


def session_agent(request: HttpRequest) -> Agent | None:
    """The agent of the logged-in user in the workspace chosen in this session (else their first)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    agents = Agent.objects.filter(user=user, is_active=True).select_related("workspace", "user")
    wanted = request.session.get(SESSION_WORKSPACE_KEY)
    agent = agents.filter(workspace_id=wanted).first() if wanted else None
    return agent or agents.order_by("workspace_id").first()


class AgentSessionAuth(AuthBase):
    openapi_type = "apiKey"
    openapi_in = "cookie"
    openapi_name = "sessionid"

    def __call__(self, request: HttpRequest) -> AgentContext | None:
        agent = session_agent(request)
        if agent is None:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:  # a 403 response: the CSRF check failed
                return None
        return AgentContext(agent=agent, workspace=agent.workspace)


agent_auth = [AgentTokenAuth(), AgentSessionAuth()]
