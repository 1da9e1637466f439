"""The public survey page: no login, reached by the signed link sent to the customer."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sonnim.core.errors import SonnimError

from .surveys import answer_survey, survey_for_token

TEXT = {
    "ko": {
        "title": "상담 만족도 조사",
        "csat": "이번 상담에 얼마나 만족하셨나요?",
        "low": "매우 불만족",
        "high": "매우 만족",
        "nps": "친구나 가족에게 저희 쇼핑몰을 추천할 가능성은 얼마나 되나요?",
        "comment": "더 하고 싶은 말씀이 있으면 적어 주세요 (선택)",
        "submit": "보내기",
        "thanks": "소중한 의견 감사합니다!",
        "invalid": "설문 링크가 올바르지 않거나 만료되었습니다.",
        "error": "점수를 선택해 주세요.",
    },
    "en": {
        "title": "How did we do?",
        "csat": "How satisfied are you with this conversation?",
        "low": "Very unhappy",
        "high": "Very happy",
        "nps": "How likely are you to recommend our shop to a friend?",
        "comment": "Anything else you would like to tell us? (optional)",
        "submit": "Send",
        "thanks": "Thank you for your feedback!",
        "invalid": "This survey link is not valid or has expired.",
        "error": "Please choose a score.",
    },
}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_for_token(token)
    language = request.GET.get("lang") or (survey.language if survey else "ko")
    text = TEXT.get(language, TEXT["ko"])
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
