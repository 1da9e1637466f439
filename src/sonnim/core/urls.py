from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="core/pages/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/<int:workspace_id>/", views.switch_workspace, name="switch-workspace"),
    path("healthz", views.healthz, name="healthz"),
    path("account/language", views.set_language, name="agent-language"),
    path("settings/", RedirectView.as_view(pattern_name="settings-inboxes"), name="settings"),
    # settings/inboxes: inboxes/urls.py
    path("settings/agents", views.settings_agents, name="settings-agents"),
    path("settings/teams", views.settings_teams, name="settings-teams"),
]
