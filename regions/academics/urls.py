from django.urls import path

from regions.academics import views

urlpatterns = [
    path("settings/", views.region_settings_page, name="region-settings"),
    path("settings/years/new/", views.year_new, name="year-new"),
    path("settings/years/<int:year_id>/", views.year_edit, name="year-edit"),
    path("settings/scales/new/", views.scale_save, name="scale-new"),
    path("settings/scales/<int:scale_id>/", views.scale_save, name="scale-save"),
    path("settings/forms/new/", views.form_save, name="form-new"),
    path("settings/forms/<int:form_id>/", views.form_save, name="form-save"),
    path("settings/bells/new/", views.bells_new, name="bells-new"),
    path("settings/bells/<int:schedule_id>/", views.bells_edit, name="bells-edit"),
    path("settings/copy/", views.settings_copy_page, name="settings-copy"),
    path("schools/<int:school_id>/settings/", views.school_settings_page, name="school-settings"),
    path("schools/<int:school_id>/settings/years/new/", views.year_new, name="school-year-new"),
    path("schools/<int:school_id>/settings/bells/new/", views.bells_new, name="school-bells-new"),
]
