"""The public survey page: no login, reached by the signed link sent to the customer."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sonnim.core.errors import SonnimError

from .surveys import answer_survey, survey_for_token


def survey_text() -> dict[str, str]:
    """The page's strings in the active language (the catalogs hold the Korean)."""
    return {
        "title": _("How did we do?"),
        "csat": _("How satisfied are you with this conversation?"),
        "low": _("Very unhappy"),
        "high": _("Very happy"),
        "nps": _("How likely are you to recommend our shop to a friend?"),
        "comment": _("Anything else you would like to tell us? (optional)"),
        "submit": _("Send"),
        "thanks": _("Thank you for your feedback!"),
        "invalid": _("This survey link is not valid or has expired."),
        "error": _("Please choose a score."),
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_for_token(token)
    language = request.GET.get("lang") or (survey.language if survey else "ko")
    language = language if language in ("ko", "en") else "ko"
    with translation.override(language):
        return _survey_page(request, survey, language)


def _survey_page(request: HttpRequest, survey, language: str) -> HttpResponse:
    text = survey_text()
    context = {
        "t": text,
        "survey": survey,
        "language": language,
        "csat_range": range(1, 6),
        "nps_range": range(11),
    }
    if survey is None:
        return render(request, "automation/pages/survey.html", {**context, "state": "invalid"}, status=404)
    if survey.answered_at is not None:
        return render(request, "automation/pages/survey.html", {**context, "state": "thanks"})
    if request.method == "POST":
        try:
            answer_survey(
                survey,
                csat=_int(request.POST.get("csat")),
                nps=_int(request.POST.get("nps")),
                comment=request.POST.get("comment", ""),
            )
        except SonnimError as exc:
            state = "thanks" if exc.code == "survey_already_answered" else "form"
            return render(
                request,
                "automation/pages/survey.html",
                {**context, "state": state, "error": text["error"]},
                status=exc.status,
            )
        return render(request, "automation/pages/survey.html", {**context, "state": "thanks"})
    return render(request, "automation/pages/survey.html", {**context, "state": "form"})
