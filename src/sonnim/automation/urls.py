from django.urls import path

from . import views

urlpatterns = [
    path("settings/canned-replies", views.settings_canned_replies, name="settings-canned-replies"),
]
