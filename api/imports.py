"""Federal API: registry imports of a region. Thin: validate, call one service, serialize."""

from __future__ import annotations

import json
import zipfile

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsFederalOperator
from tenants.imports import services
from tenants.imports.models import ImportFormat, ImportJob, ImportMode
from tenants.imports.selectors import import_job_list, rejections_csv, stage_label
from tenants.services import region_get


def _job(pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None:
        raise NotFound(_("Задание импорта №%(id)s не найдено") % {"id": pk})
    return job


class ImportJobOutput(serializers.ModelSerializer):
    stage_label = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Доля обработанных строк, 0–100")
    rejections_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "region_code",
            "format",
            "mode",
            "dry_run",
            "status",
            "stage",
            "stage_label",
            "rows_done",
            "rows_total",
            "progress",
            "counts",
            "unknown_columns",
            "actor_label",
            "error",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "rejections_url",
            "same_as",
        ]

    def get_stage_label(self, job: ImportJob) -> str:
        return stage_label(job.stage)

    def get_progress(self, job: ImportJob) -> int:
        if job.status == "succeeded":
            return 100
        return min(100, job.rows_done * 100 // job.rows_total) if job.rows_total else 0

    def get_rejections_url(self, job: ImportJob) -> str:
        return f"/api/v1/imports/{job.pk}/rejections.csv"


class RegionImportListApi(APIView):
    permission_classes = [IsFederalOperator]

    class ImportCreateInput(serializers.Serializer):
        file = serializers.FileField(help_text="ZIP-архив: пакет msh-registry-1 или OneRoster 1.2 CSV")
        format = serializers.ChoiceField(choices=ImportFormat.choices, default=ImportFormat.BUNDLE)
        dry_run = serializers.BooleanField(default=False)
        mode = serializers.ChoiceField(
            choices=ImportMode.choices, required=False, help_text="заменить режим из манифеста"
        )
        full_compare = serializers.BooleanField(
            default=False,
            help_text="сравнить все строки, даже если файлы и регион не менялись с прошлого импорта",
        )

    Input = ImportCreateInput

    @extend_schema(
        operation_id="region_imports_list",
        responses=ImportJobOutput(many=True),
        summary="Задания импорта региона, новые первыми",
    )
    def get(self, request, code: str):
        region = region_get(code=code)
        services.import_jobs_reap()
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(import_job_list(region_code=region.code), request, view=self)
        return paginator.get_paginated_response(ImportJobOutput(page, many=True).data)

    @extend_schema(
        operation_id="region_imports_create",
        request={"multipart/form-data": Input},
        responses={202: ImportJobOutput},
        summary="Загрузить пакет реестра и поставить импорт в очередь",
    )
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if not zipfile.is_zipfile(upload):
            raise serializers.ValidationError({"file": [_("Ожидается ZIP-архив с CSV-файлами")]})
        upload.seek(0)
        job = services.import_job_create(
            region_code=code,
            source=upload,
            fmt=data.validated_data["format"],
            dry_run=data.validated_data["dry_run"],
            mode=data.validated_data.get("mode"),
            full_compare=data.validated_data["full_compare"],
            actor_label=request.user.get_username(),
        )
        services.import_job_enqueue(job=job)
        job.refresh_from_db()
        return Response(ImportJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    permission_classes = [IsFederalOperator]

    @extend_schema(
        operation_id="imports_retrieve", responses=ImportJobOutput, summary="Состояние, ход и итоги импорта"
    )
    def get(self, request, pk: int):
        services.import_jobs_reap()
        return Response(ImportJobOutput(_job(pk)).data)


class CsvRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; errors still come as the usual JSON body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode()


class ImportRejectionsCsvApi(APIView):
    permission_classes = [IsFederalOperator]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="imports_rejections_csv",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="файл;строка;поле;причина")
        },
        summary="Отклонённые строки (CSV, UTF-8 с BOM)",
    )
    def get(self, request, pk: int):
        job = _job(pk)
        response = StreamingHttpResponse(rejections_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="import-{job.pk}-{job.region_code}-rejections.csv"'
        )
        return response
