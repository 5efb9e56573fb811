"""/api/: the REST API (v1), its OpenAPI schema and documentation, and the token pages."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crf.api import schema, views  # noqa: F401  (schema: the token scheme)
from registry import token_pages

app_name = "api"
urlpatterns = [
    path("v1/cases/", views.CaseList.as_view(), name="cases"),
    path("v1/cases/<str:code>/", views.CaseDetail.as_view(), name="case"),
    path(
        "v1/cases/<str:code>/transitions/<str:name>/",
        views.CaseTransition.as_view(),
        name="case_transition",
    ),
    path(
        "v1/cases/<str:code>/sections/<str:section>/",
        views.SectionView.as_view(),
        name="section",
    ),
    path(
        "v1/cases/<str:code>/sections/<str:section>/<int:row_id>/",
        views.RowView.as_view(),
        name="row",
    ),
    path("v1/choices/", views.Choices.as_view(), name="choices"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="crf/api_docs.html"
        ),
        name="docs",
    ),
    path("tokens/", token_pages.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_pages.token_revoke, name="token_revoke"),
    path("tokens/uses/", token_pages.token_uses, name="token_uses"),
]
