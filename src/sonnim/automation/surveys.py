"""CSAT (1-5 + comment) and NPS (0-10) after resolution: one survey per conversation, sent on the
conversation's channel as a link to a public page (/survey/<signed token>/), answers recorded as events
on the conversation. NPS is asked at most once per customer every NPS_CAP_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event

from .models import Survey, SurveySetting

NPS_CAP_DAYS = 90
SALT = "sonnim.survey"


def invite_text(language: str, url: str) -> str:
    """The survey invitation in the conversation's language (Korean unless it is English)."""
    with translation.override(language):
        return _("How did we do? Tell us in one minute: %(url)s") % {"url": url}


def survey_switches(workspace_id: int) -> SurveySetting:
    """The workspace's CSAT/NPS switches (an unsaved row with both on when never set)."""
    return SurveySetting.objects.filter(workspace_id=workspace_id).first() or SurveySetting(
        workspace_id=workspace_id
    )


@transaction.atomic
def set_survey_switches(workspace, *, csat_enabled: bool, nps_enabled: bool, actor: Actor) -> SurveySetting:
    row, _created = SurveySetting.objects.update_or_create(
        workspace=workspace, defaults={"csat_enabled": csat_enabled, "nps_enabled": nps_enabled}
    )
    record_event(
        workspace.pk,
        "survey.settings_changed",
        actor=actor,
        data={"csat_enabled": csat_enabled, "nps_enabled": nps_enabled},
    )
    return row


def survey_token(survey: Survey) -> str:
    return signing.dumps({"s": survey.pk, "w": survey.workspace_id}, salt=SALT, compress=True)


def survey_for_token(token: str) -> Survey | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=60))
    except signing.BadSignature:
        return None
    return Survey.objects.select_related("conversation").filter(pk=data["s"], workspace_id=data["w"]).first()


def survey_url(survey: Survey) -> str:
    return f"{settings.PUBLIC_URL}/survey/{survey_token(survey)}/"


@transaction.atomic
def send_survey(conversation, *, now=None) -> Survey | None:
    """Send the survey link on the conversation's channel, once: a second call (a retried task, a resolve
    after a reopen) meets the one-per-conversation constraint and sends nothing. The workspace's switches
    decide what it asks: CSAT, NPS (when the customer's cap allows), both, or (nothing to ask) no survey."""
    from sonnim.conversations.services import send_reply

    now = now or timezone.now()
    switches = survey_switches(conversation.workspace_id)
    cap_from = now - timedelta(days=NPS_CAP_DAYS)
    asked_nps = (
        not switches.nps_enabled
        or Survey.objects.filter(
            workspace_id=conversation.workspace_id,
            customer_id=conversation.customer_id,
            includes_nps=True,
            sent_at__gte=cap_from,
        ).exists()
    )
    if not switches.csat_enabled and asked_nps:
        return None
    language = "en" if conversation.language == "en" else "ko"
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                workspace_id=conversation.workspace_id,
                conversation=conversation,
                customer_id=conversation.customer_id,
                includes_csat=switches.csat_enabled,
                includes_nps=not asked_nps,
                language=language,
                sent_at=now,
            )
    except IntegrityError:
        return None
    send_reply(conversation, text=invite_text(language, survey_url(survey)), actor=SYSTEM)
    record_event(
        conversation.workspace_id,
        "survey.sent",
        actor=SYSTEM,
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data={
            "survey_id": survey.pk,
            "includes_csat": survey.includes_csat,
            "includes_nps": survey.includes_nps,
        },
    )
    return survey


@task()
def send_survey_task(*, workspace_id: int, conversation_id: int) -> str:
    from sonnim.conversations.models import Conversation

    conversation = Conversation.objects.filter(workspace_id=workspace_id, pk=conversation_id).first()
    if conversation is None or conversation.status != "resolved":  # reopened meanwhile: ask later
        return "skipped"
    return "sent" if send_survey(conversation) else "already sent"


@transaction.atomic
def answer_survey(survey: Survey, *, csat: int | None, nps: int | None, comment: str) -> Survey:
    """Store the answer once; events csat.answered / nps.answered land on the conversation's timeline."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.answered_at is not None:
        raise SonnimError("survey_already_answered", _("Thank you, we already have your answer."), status=409)
    csat_ok = (csat is not None and 1 <= csat <= 5) if survey.includes_csat else csat is None
    nps_ok = nps is None or (survey.includes_nps and 0 <= nps <= 10)
    if not csat_ok or not nps_ok or (csat is None and nps is None):
        raise SonnimError("invalid_survey_answer", _("Choose a score."))
    survey.csat_score, survey.nps_score, survey.comment = csat, nps, comment.strip()[:2000]
    survey.answered_at = timezone.now()
    survey.save(update_fields=["csat_score", "nps_score", "comment", "answered_at"])
    actor = Actor.customer(survey.customer)
    base = {"conversation_id": survey.conversation_id, "customer_id": survey.customer_id}
    if csat is not None:
        record_event(
            survey.workspace_id,
            "csat.answered",
            actor=actor,
            **base,
            data={"survey_id": survey.pk, "score": csat, "comment": survey.comment},
        )
    if nps is not None:
        record_event(
            survey.workspace_id,
            "nps.answered",
            actor=actor,
            **base,
            data={
                "survey_id": survey.pk,
                "score": nps,
                **({} if csat is not None else {"comment": survey.comment}),
            },
        )
    return survey
