from django.contrib import admin
from django.urls import include, path

from sonnim.api import api
from sonnim.automation.survey_views import survey_page
from sonnim.conversations.views import attachment_file
from sonnim.inboxes.meta_views import meta_hook
from sonnim.inboxes.views import hook, kakao_skill_hook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("hooks/kakao/skill/<str:inbox_key>", kakao_skill_hook, name="kakao-skill-hook"),
    path("hooks/meta/<str:inbox_key>", meta_hook, name="meta-hook"),  # GET: Meta's subscription handshake
    path("hooks/<str:kind>/<str:inbox_key>", hook, name="hook"),
    path("files/<str:token>/<str:filename>", attachment_file, name="attachment-file"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("survey/<str:token>/", survey_page, name="survey"),
    path("", include("sonnim.webchat.urls")),  # /widget/<key>.js, /widget/api/..., /demo/shop/
    path("", include("sonnim.core.urls")),
    path("", include("sonnim.inboxes.urls")),  # the inboxes' settings page
    path("", include("sonnim.conversations.urls")),
    path("", include("sonnim.automation.urls")),
    path("", include("sonnim.sla.urls")),  # business hours and SLA policy settings pages
    path("", include("sonnim.knowledge.urls")),  # the public help center at /help/<workspace slug>/
]
