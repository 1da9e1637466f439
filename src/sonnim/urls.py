from django.contrib import admin
from django.urls import include, path

from sonnim.api import api
from sonnim.conversations.views import attachment_file
from sonnim.inboxes.views import hook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("hooks/<str:kind>/<str:inbox_key>", hook, name="hook"),
    path("files/<str:token>/<str:filename>", attachment_file, name="attachment-file"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sonnim.core.urls")),
    path("", include("sonnim.conversations.urls")),
]
