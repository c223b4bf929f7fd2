from django.urls import path

from regions.teaching import views

urlpatterns = [
    path("schools/", views.school_list_page, name="school-list"),
    path("settings/curriculum/", views.region_curriculum_page, name="region-curriculum"),
    path("schools/<int:school_id>/classes/", views.school_classes_page, name="school-classes"),
    path("schools/<int:school_id>/groups/<int:group_id>/", views.school_group_page, name="school-group"),
    path("schools/<int:school_id>/rooms/", views.school_rooms_page, name="school-rooms"),
    path("schools/<int:school_id>/curriculum/", views.school_curriculum_page, name="school-curriculum"),
    path("schools/<int:school_id>/load/", views.school_load_page, name="school-load"),
]
