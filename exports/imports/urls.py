from django.urls import path

from exports.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.start, name="start"),
    path("confirm/", views.confirm, name="confirm"),
    path("templates/<str:section>.<str:fmt>", views.template, name="template"),
]
