from django.urls import path

from . import views

urlpatterns = [
    path("widget/<str:widget_key>.js", views.widget_script, name="webchat-script"),
    path("widget/api/<str:widget_key>/session", views.session, name="webchat-session"),
    path("widget/api/<str:widget_key>/messages", views.messages, name="webchat-messages"),
    path("widget/api/<str:widget_key>/poll", views.poll, name="webchat-poll"),
    path("widget/api/<str:widget_key>/read", views.read, name="webchat-read"),
    path("widget/api/<str:widget_key>/typing", views.typing, name="webchat-typing"),
    path("widget/api/<str:widget_key>/offline", views.offline, name="webchat-offline"),
    path("widget/api/<str:widget_key>/articles", views.articles, name="webchat-articles"),
    path(
        "widget/api/<str:widget_key>/articles/<int:article_id>/deflected",
        views.deflected,
        name="webchat-deflected",
    ),
    path("demo/shop/", views.demo_shop, name="webchat-demo-shop"),
]
