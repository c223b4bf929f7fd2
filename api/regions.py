"""Federal API: region administration. Thin: validate, call one service, serialize."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsFederalOperator
from core.federal_subjects import federal_subjects
from tenants import services
from tenants.models import Region
from tenants.selectors import region_counts, region_queryset


class RegionOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    schema_name = serializers.CharField()
    timezone = serializers.CharField()
    status = serializers.CharField()
    domains = serializers.SerializerMethodField()
    schools = serializers.SerializerMethodField()
    people = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_domains(self, region: Region) -> list[str]:
        return [d.domain for d in sorted(region.domains.all(), key=lambda d: (not d.is_primary, d.domain))]

    def _counts(self, region: Region):
        return self.context.get("counts", {}).get(region.schema_name)

    def get_schools(self, region: Region) -> int | None:
        counts = self._counts(region)
        return counts.schools if counts else None

    def get_people(self, region: Region) -> int | None:
        counts = self._counts(region)
        return counts.people if counts else None


def _output(region: Region) -> dict:
    region = region_queryset().get(pk=region.pk)
    return RegionOutput(region, context={"counts": region_counts([region])}).data


@extend_schema_view(
    get=extend_schema(operation_id="regions_list", responses=RegionOutput(many=True), summary="Регионы"),
)
class RegionListApi(APIView):
    permission_classes = [IsFederalOperator]

    class RegionListInput(serializers.Serializer):
        code = serializers.CharField(max_length=3)
        name = serializers.CharField(max_length=200, required=False)
        domains = serializers.ListField(child=serializers.CharField(max_length=253), min_length=1)
        timezone = serializers.CharField(max_length=64, required=False)

    Input = RegionListInput

    def get(self, request):
        regions = list(region_queryset())
        return Response(RegionOutput(regions, many=True, context={"counts": region_counts(regions)}).data)

    @extend_schema(
        operation_id="regions_create",
        request=Input,
        responses={201: RegionOutput},
        summary="Создать регион: схему, все таблицы и домены",
    )
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        region = services.region_create(
            code=data.validated_data["code"],
            name=data.validated_data.get("name"),
            domains=data.validated_data["domains"],
            timezone_name=data.validated_data.get("timezone"),
            actor=request.user,
        )
        return Response(_output(region), status=status.HTTP_201_CREATED)


class RegionDetailApi(APIView):
    permission_classes = [IsFederalOperator]

    class RegionDetailInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)

    Input = RegionDetailInput

    @extend_schema(operation_id="regions_retrieve", responses=RegionOutput)
    def get(self, request, code: str):
        return Response(_output(services.region_get(code=code)))

    @extend_schema(operation_id="regions_rename", request=Input, responses=RegionOutput)
    def patch(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            _output(services.region_rename(code=code, name=data.validated_data["name"], actor=request.user))
        )


class RegionDomainsApi(APIView):
    permission_classes = [IsFederalOperator]

    class RegionDomainsInput(serializers.Serializer):
        domain = serializers.CharField(max_length=253)

    Input = RegionDomainsInput

    @extend_schema(operation_id="regions_domains_add", request=Input, responses={201: RegionOutput})
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        services.region_add_domain(code=code, domain=data.validated_data["domain"], actor=request.user)
        return Response(_output(services.region_get(code=code)), status=status.HTTP_201_CREATED)


class RegionDomainDetailApi(APIView):
    permission_classes = [IsFederalOperator]

    @extend_schema(operation_id="regions_domains_remove", responses={204: None})
    def delete(self, request, code: str, domain: str):
        services.region_remove_domain(code=code, domain=domain, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegionSuspendApi(APIView):
    permission_classes = [IsFederalOperator]

    @extend_schema(operation_id="regions_suspend", request=None, responses=RegionOutput)
    def post(self, request, code: str):
        return Response(_output(services.region_suspend(code=code, actor=request.user)))


class RegionResumeApi(APIView):
    permission_classes = [IsFederalOperator]

    @extend_schema(operation_id="regions_resume", request=None, responses=RegionOutput)
    def post(self, request, code: str):
        return Response(_output(services.region_resume(code=code, actor=request.user)))


class RegionArchiveApi(APIView):
    permission_classes = [IsFederalOperator]

    class RegionArchiveInput(serializers.Serializer):
        confirm = serializers.CharField(help_text="Код региона ещё раз: подтверждение архивирования")

    Input = RegionArchiveInput

    @extend_schema(
        operation_id="regions_archive",
        request=Input,
        responses=inline_serializer(
            "RegionArchived",
            {
                "code": serializers.CharField(),
                "status": serializers.CharField(),
                "archive_path": serializers.CharField(),
                "schema_name": serializers.CharField(),
            },
        ),
    )
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            region = services.region_archive(
                code=code, confirm=data.validated_data["confirm"], actor=request.user
            )
        return Response(
            {
                "code": region.code,
                "status": region.status,
                "archive_path": region.archive_path,
                "schema_name": region.schema_name,
            }
        )


class FederalSubjectListApi(APIView):
    permission_classes = [IsFederalOperator]

    @extend_schema(
        operation_id="federal_subjects_list",
        responses=inline_serializer(
            "FederalSubject",
            {
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                "timezone": serializers.CharField(),
            },
            many=True,
        ),
    )
    def get(self, request):
        return Response(
            [{"code": s.code, "name": s.name, "timezone": s.timezone} for s in federal_subjects().values()]
        )
