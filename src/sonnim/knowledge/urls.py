from django.urls import path

from . import views

urlpatterns = [
    path("help/<slug:workspace_slug>/", views.home, name="help-home"),
    path("help/<slug:workspace_slug>/search/", views.search, name="help-search"),
    path("help/<slug:workspace_slug>/<slug:category>/", views.category, name="help-category"),
    path("help/<slug:workspace_slug>/<slug:category>/<str:slug>/", views.article, name="help-article"),
    path("help/<slug:workspace_slug>/<slug:category>/<str:slug>/vote", views.vote, name="help-vote"),
]
