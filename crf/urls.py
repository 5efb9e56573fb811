from django.urls import path

from crf import section_views, views

app_name = "crf"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("<str:code>/", views.case_detail, name="case_detail"),
    path("<str:code>/submit/", views.case_submit, name="case_submit"),
    path("<str:code>/withdraw/", views.case_withdraw, name="case_withdraw"),
    path("<str:code>/history/", views.case_history, name="case_history"),
    path("<str:code>/s/<slug:slug>/", section_views.section, name="section"),
    path("<str:code>/s/<slug:slug>/preview/", section_views.preview, name="preview"),
    path("<str:code>/s/<slug:slug>/new/", section_views.row_new, name="row_new"),
    path("<str:code>/s/<slug:slug>/<int:row>/", section_views.row_edit, name="row_edit"),
    path("<str:code>/s/<slug:slug>/<int:row>/delete/", section_views.row_delete, name="row_delete"),
]
