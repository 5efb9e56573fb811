from django.urls import path

from exports import api, views

app_name = "exports"
urlpatterns = [
    path("", views.export_list, name="list"),
    path("start/", views.start_export, name="start"),
    path("<int:job_id>/", views.export_detail, name="detail"),
    path("<int:job_id>/progress/", views.export_progress, name="progress"),
    path("<int:job_id>/accept-report/", views.accept_report, name="accept_report"),
    path("<int:job_id>/files/<str:name>", views.download, name="download"),
    path("<int:job_id>/analysis/", views.analysis_page, name="analysis"),
    path("<int:job_id>/analysis/figure3.<str:fmt>", views.figure3, name="figure3"),
    path("<int:job_id>/analysis/cases/", views.analysis_cases, name="analysis_cases"),
    # JSON, for scripts (a personal token) and the same users
    path("api/jobs/", api.JobList.as_view(), name="api_jobs"),
    path("api/jobs/<int:job_id>/", api.JobDetail.as_view(), name="api_job"),
    path(
        "api/jobs/<int:job_id>/accept-report/",
        api.AcceptReport.as_view(),
        name="api_accept_report",
    ),
    path("api/jobs/<int:job_id>/files/<str:name>", api.Download.as_view(), name="api_download"),
]
