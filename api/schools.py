"""Region API: schools of the region the request was routed to."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView

from api.permissions import HasRole
from core.roles import Role
from regions.schools.models import School
from regions.schools.selectors import school_list


class SchoolOutput(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = [
            "id",
            "ogrn",
            "inn",
            "kpp",
            "short_name",
            "full_name",
            "municipality",
            "address",
            "kind",
            "is_active",
        ]


class SchoolListApi(ListAPIView):
    permission_classes = [HasRole.of(Role.REGIONAL_ADMIN)]
    serializer_class = SchoolOutput

    def get_queryset(self):
        return school_list()
