from django.urls import path

from cohorts.views import cohorts, dashboard, pathology, queries, review

app_name = "cohorts"
urlpatterns = [
    path("cases/<str:code>/", review.case_review, name="case_review"),
    path("cases/<str:code>/do/<str:name>/", review.transition, name="transition"),
    path("cases/<str:code>/adjudicate/", review.adjudicate, name="adjudicate"),
    path("cases/<str:code>/discrepancy/", review.discrepancy, name="discrepancy"),
    path("cases/<str:code>/queries/new/", queries.query_new, name="query_new"),
    path("queries/", queries.query_list, name="query_list"),
    path("queries/<int:pk>/", queries.query_detail, name="query_detail"),
    path("queries/<int:pk>/<str:action>/", queries.query_action, name="query_action"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("pathology/", pathology.biopsy_list, name="pathology_list"),
    path("pathology/<int:pk>/", pathology.biopsy_review, name="pathology_biopsy"),
    path("cohorts/", cohorts.cohorts_page, name="cohorts"),
    path("cohorts/select/", cohorts.select_controls, name="select_controls"),
    path("cohorts/freeze/", cohorts.take_freeze, name="take_freeze"),
    path("cohorts/freezes/<int:pk>/", cohorts.freeze_detail, name="freeze_detail"),
]
