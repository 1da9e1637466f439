from django.urls import path

from . import settings_views, views

urlpatterns = [
    path("settings/canned-replies", views.settings_canned_replies, name="settings-canned-replies"),
    path("settings/routing", settings_views.routing_list, name="settings-routing"),
    path("settings/routing/new", settings_views.routing_edit, name="settings-routing-new"),
    path("settings/routing/<int:rule_id>", settings_views.routing_edit, name="settings-routing-edit"),
    path("settings/rules", settings_views.rules_list, name="settings-rules"),
    path("settings/rules/new", settings_views.rule_edit, name="settings-rules-new"),
    path("settings/rules/<int:rule_id>", settings_views.rule_edit, name="settings-rules-edit"),
    path("settings/surveys", settings_views.surveys, name="settings-surveys"),
]
