from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("search", views.search_page, name="search"),
    path("inbox/nav", views.nav_partial, name="inbox-nav"),
    path("inbox/rows", views.rows_partial, name="inbox-rows"),
    path("inbox/rows/<int:conversation_id>", views.row_partial, name="inbox-row"),
    path("inbox/conversations/<int:conversation_id>", views.conversation_partial, name="inbox-conversation"),
    path("inbox/conversations/<int:conversation_id>/header", views.header_partial, name="inbox-header"),
    path("inbox/messages/<int:message_id>", views.message_partial, name="inbox-message"),
    path("inbox/customers/<int:customer_id>", views.customer_partial, name="inbox-customer"),
    path("inbox/saved-views", views.save_view, name="inbox-save-view"),
    path("inbox/saved-views/<int:view_id>/delete", views.delete_view, name="inbox-delete-view"),
]
