from django.urls import path

from core.sso import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("callback/", views.callback, name="sso-callback"),
    path("logout/", views.logout, name="logout"),
    path("backchannel-logout/", views.backchannel_logout, name="sso-backchannel-logout"),
    path("password-login/", views.password_login, name="password-login"),
]
