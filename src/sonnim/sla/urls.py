from django.urls import path

from . import views

urlpatterns = [
    path("settings/business-hours", views.hours_list, name="settings-hours"),
    path("settings/business-hours/new", views.hours_edit, name="settings-hours-new"),
    path("settings/business-hours/<int:calendar_id>", views.hours_edit, name="settings-hours-edit"),
    path("settings/sla", views.policies_list, name="settings-sla"),
    path("settings/sla/new", views.policy_edit, name="settings-sla-new"),
    path("settings/sla/<int:policy_id>", views.policy_edit, name="settings-sla-edit"),
]
