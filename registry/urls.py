from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("cases/", include("crf.urls")),
    path("admin/", admin.site.urls),
]
