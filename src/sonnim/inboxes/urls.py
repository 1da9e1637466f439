from django.urls import path

from . import views

urlpatterns = [
    path("settings/inboxes", views.settings_inboxes, name="settings-inboxes"),
]
