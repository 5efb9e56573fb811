"""/api/v1/exports/: the exports in the REST API (exports.api), beside the cases."""

from django.urls import path

from exports import api

app_name = "exports_api"
urlpatterns = [
    path("jobs/", api.JobList.as_view(), name="jobs"),
    path("jobs/<int:job_id>/", api.JobDetail.as_view(), name="job"),
    path("jobs/<int:job_id>/accept-report/", api.AcceptReport.as_view(), name="accept_report"),
    path("jobs/<int:job_id>/files/<str:name>", api.Download.as_view(), name="download"),
]
