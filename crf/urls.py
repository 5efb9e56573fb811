from django.urls import path

from crf import views

app_name = "crf"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("<str:code>/", views.case_detail, name="case_detail"),
]
