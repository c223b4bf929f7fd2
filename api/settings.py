"""Region API: the school year and assessment settings — region defaults and school overrides
(academic years with periods and holidays, grading scales, control forms, bell schedules), a
school's effective settings, copying settings between schools, the region's time zone.

Thin endpoints: validate, call one service (``regions.academics.services`` …), serialize."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.config_access import (
    Id,
    IsConfigAdmin,
    admin_school,
    check_level,
    level_from_query,
    level_object,
    viewer,
)
from regions.academics import services
from regions.academics.calendar import HolidayDraft, PeriodDraft, propose_year
from regions.academics.copying import (
    TargetPlan,
    school_settings_copy,
    school_settings_override,
    school_settings_revert,
    settings_copy_preview,
)
from regions.academics.models import (
    AcademicYear,
    BellSchedule,
    ControlForm,
    GradingScale,
    HolidayKind,
    PeriodKind,
    ScaleKind,
)
from regions.academics.selectors import (
    KINDS,
    bell_schedule_list,
    control_form_list,
    grading_scale_list,
    school_settings,
    year_list,
    year_queryset,
)
from regions.schools.models import School
from tenants.services import region_set_timezone

SCHOOL_PARAM = OpenApiParameter(
    "school", int, description="id школы: её собственные настройки; без параметра — настройки региона"
)


# --- serializers ---------------------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=12)
    name = serializers.CharField(max_length=50)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    closes_on = serializers.DateField()


class HolidaySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=HolidayKind.choices, default=HolidayKind.VACATION)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    parallels = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=11), required=False, default=list, max_length=11
    )


class YearOutput(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.IntegerField(source="school_id", allow_null=True)
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    period_kind = serializers.CharField()
    periods = PeriodSerializer(many=True, source="periods.all")
    holidays = HolidaySerializer(many=True, source="holidays.all")


class YearProposalOutput(serializers.Serializer):
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    period_kind = serializers.CharField()
    periods = PeriodSerializer(many=True)
    holidays = HolidaySerializer(many=True)


class YearBodySerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    # DRF passes max_length to the ListSerializer; the stubs do not know it
    periods = PeriodSerializer(many=True, max_length=12)  # type: ignore[call-arg]
    holidays = HolidaySerializer(many=True, required=False, default=list, max_length=100)  # type: ignore[call-arg]


class YearCreateInput(YearBodySerializer):
    school = Id(required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=20)


def _drafts(data: dict[str, Any]) -> tuple[list[PeriodDraft], list[HolidayDraft]]:
    periods = [PeriodDraft(**p) for p in data["periods"]]
    holidays = [HolidayDraft(**h) for h in data.get("holidays", [])]
    return periods, holidays


class ScaleOutput(serializers.ModelSerializer):
    class Meta:
        model = GradingScale
        fields = [
            "id",
            "school",
            "code",
            "name",
            "kind",
            "min_value",
            "max_value",
            "conversion",
            "is_default",
        ]


class ScaleFields(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ScaleKind.choices)
    min_value = serializers.IntegerField(min_value=0, max_value=1000)
    max_value = serializers.IntegerField(min_value=0, max_value=1000)
    conversion = serializers.ListField(
        child=serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=1000), min_length=2, max_length=2
        ),
        required=False,
        default=list,
        max_length=20,
        help_text="[[порог, оценка по пятибалльной], …] от большего порога к меньшему",
    )
    is_default = serializers.BooleanField(required=False, default=False)


class ScaleCreateInput(ScaleFields):
    school = Id(required=False, allow_null=True, default=None)
    code = serializers.CharField(max_length=32)


class ScaleUpdateInput(ScaleFields):
    pass


class FormOutput(serializers.ModelSerializer):
    class Meta:
        model = ControlForm
        fields = ["id", "school", "code", "name", "short_name", "weight", "is_active"]


class FormFields(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    short_name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    weight = serializers.IntegerField(min_value=0, max_value=1000)
    is_active = serializers.BooleanField(required=False, default=True)


class FormCreateInput(FormFields):
    school = Id(required=False, allow_null=True, default=None)
    code = serializers.CharField(max_length=32)


class FormUpdateInput(FormFields):
    pass


class BellSerializer(serializers.Serializer):
    lesson_number = serializers.IntegerField(min_value=0, max_value=20)
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()


class ScheduleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.IntegerField(source="school_id", allow_null=True)
    name = serializers.CharField()
    shift = serializers.IntegerField()
    bells = BellSerializer(many=True, source="bells.all")


class ScheduleUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    bells = BellSerializer(many=True, max_length=20)  # type: ignore[call-arg]


class ScheduleCreateInput(ScheduleUpdateInput):
    school = Id(required=False, allow_null=True, default=None)
    shift = serializers.IntegerField(min_value=0, max_value=10)


def _bells(data: dict[str, Any]) -> list[tuple]:
    return [(b["lesson_number"], b["starts_at"], b["ends_at"]) for b in data["bells"]]


class EffectiveOutput(serializers.Serializer):
    school = serializers.IntegerField(source="school_id")
    own = serializers.DictField(child=serializers.BooleanField())
    years = YearOutput(many=True)
    grading_scales = ScaleOutput(many=True)
    control_forms = FormOutput(many=True)
    bell_schedules = ScheduleOutput(many=True)


class KindsInput(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=KINDS), min_length=1, max_length=len(KINDS)
    )


class CopyInput(KindsInput):
    source = Id()  # type: ignore[assignment]  # a request field, not Field.source
    targets = serializers.ListField(child=Id(), min_length=1, max_length=2000)


class ChangeOutput(serializers.Serializer):
    kind = serializers.CharField()
    action = serializers.CharField(
        help_text="create | change | remove; override — своя строка вместо настройки региона (detail: "
        "значение региона → новое); inherit — своя строка уходит, снова действует настройка региона"
    )
    key = serializers.CharField()
    detail = serializers.CharField()


class PlanOutput(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    short_name = serializers.CharField(source="school.short_name")
    changes = ChangeOutput(many=True)
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]  # a field


class TimezoneInput(serializers.Serializer):
    timezone = serializers.CharField(max_length=64)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _level(request: Any, school_id: int | None) -> School | None:
    if school_id is None:
        check_level(request, None, write=True)
        return None
    return admin_school(request, school_id)


# --- academic years ----------------------------------------------------------------------------------


class AcademicYearListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="academic_years_list", parameters=[SCHOOL_PARAM], responses=YearOutput(many=True)
    )
    def get(self, request):
        school = level_from_query(request)
        return Response(YearOutput(year_list(school_id=school.pk if school else None), many=True).data)

    @extend_schema(operation_id="academic_years_create", request=YearCreateInput, responses={201: YearOutput})
    def post(self, request):
        data = _valid(YearCreateInput, request.data)
        school = _level(request, data["school"])
        periods, holidays = _drafts(data)
        year = services.academic_year_create(
            school=school,
            name=data["name"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            period_kind=data["period_kind"],
            periods=periods,
            holidays=holidays,
            actor=request.user,
        )
        return Response(YearOutput(year_queryset().get(pk=year.pk)).data, status=status.HTTP_201_CREATED)


class AcademicYearProposalApi(APIView):
    permission_classes = [IsConfigAdmin]

    class ProposalQuery(serializers.Serializer):
        start_year = serializers.IntegerField(min_value=2000, max_value=2100)
        period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.QUARTER)

    @extend_schema(
        operation_id="academic_years_proposal",
        parameters=[ProposalQuery],
        responses=YearProposalOutput,
        summary="Предложить учебный год: периоды и каникулы по обычному календарю (ничего не сохраняет)",
    )
    def get(self, request):
        query = _valid(self.ProposalQuery, request.query_params)
        return Response(YearProposalOutput(propose_year(query["start_year"], query["period_kind"])).data)


class AcademicYearDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="academic_years_retrieve", responses=YearOutput)
    def get(self, request, year_id: int):
        year = level_object(request, AcademicYear, year_id, write=False)
        return Response(YearOutput(year_queryset().get(pk=year.pk)).data)

    @extend_schema(operation_id="academic_years_update", request=YearBodySerializer, responses=YearOutput)
    def put(self, request, year_id: int):
        year = level_object(request, AcademicYear, year_id, write=True)
        data = _valid(YearBodySerializer, request.data)
        periods, holidays = _drafts(data)
        services.academic_year_update(
            year=year,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            period_kind=data["period_kind"],
            periods=periods,
            holidays=holidays,
            actor=request.user,
        )
        return Response(YearOutput(year_queryset().get(pk=year.pk)).data)

    @extend_schema(operation_id="academic_years_delete", responses={204: None})
    def delete(self, request, year_id: int):
        year = level_object(request, AcademicYear, year_id, write=True)
        services.academic_year_delete(year=year, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- grading scales ------------------------------------------------------------------------------------


class GradingScaleListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="grading_scales_list", parameters=[SCHOOL_PARAM], responses=ScaleOutput(many=True)
    )
    def get(self, request):
        school = level_from_query(request)
        return Response(
            ScaleOutput(grading_scale_list(school_id=school.pk if school else None), many=True).data
        )

    @extend_schema(
        operation_id="grading_scales_create", request=ScaleCreateInput, responses={201: ScaleOutput}
    )
    def post(self, request):
        data = _valid(ScaleCreateInput, request.data)
        school = _level(request, data.pop("school"))
        scale = services.grading_scale_create(school=school, actor=request.user, **data)
        return Response(ScaleOutput(scale).data, status=status.HTTP_201_CREATED)


class GradingScaleDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="grading_scales_update", request=ScaleUpdateInput, responses=ScaleOutput)
    def put(self, request, scale_id: int):
        scale = level_object(request, GradingScale, scale_id, write=True)
        data = _valid(ScaleUpdateInput, request.data)
        return Response(
            ScaleOutput(services.grading_scale_update(scale=scale, actor=request.user, **data)).data
        )

    @extend_schema(operation_id="grading_scales_delete", responses={204: None})
    def delete(self, request, scale_id: int):
        scale = level_object(request, GradingScale, scale_id, write=True)
        services.grading_scale_delete(scale=scale, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- control forms -----------------------------------------------------------------------------------------


class ControlFormListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="control_forms_list", parameters=[SCHOOL_PARAM], responses=FormOutput(many=True)
    )
    def get(self, request):
        school = level_from_query(request)
        return Response(
            FormOutput(control_form_list(school_id=school.pk if school else None), many=True).data
        )

    @extend_schema(operation_id="control_forms_create", request=FormCreateInput, responses={201: FormOutput})
    def post(self, request):
        data = _valid(FormCreateInput, request.data)
        school = _level(request, data.pop("school"))
        form = services.control_form_create(school=school, actor=request.user, **data)
        return Response(FormOutput(form).data, status=status.HTTP_201_CREATED)


class ControlFormDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="control_forms_update", request=FormUpdateInput, responses=FormOutput)
    def put(self, request, form_id: int):
        form = level_object(request, ControlForm, form_id, write=True)
        data = _valid(FormUpdateInput, request.data)
        return Response(FormOutput(services.control_form_update(form=form, actor=request.user, **data)).data)

    @extend_schema(operation_id="control_forms_delete", responses={204: None})
    def delete(self, request, form_id: int):
        form = level_object(request, ControlForm, form_id, write=True)
        services.control_form_delete(form=form, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- bell schedules --------------------------------------------------------------------------------------------


class BellScheduleListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="bell_schedules_list", parameters=[SCHOOL_PARAM], responses=ScheduleOutput(many=True)
    )
    def get(self, request):
        school = level_from_query(request)
        return Response(
            ScheduleOutput(bell_schedule_list(school_id=school.pk if school else None), many=True).data
        )

    @extend_schema(
        operation_id="bell_schedules_create", request=ScheduleCreateInput, responses={201: ScheduleOutput}
    )
    def post(self, request):
        data = _valid(ScheduleCreateInput, request.data)
        school = _level(request, data["school"])
        schedule = services.bell_schedule_create(
            school=school, name=data["name"], shift=data["shift"], bells=_bells(data), actor=request.user
        )
        return Response(ScheduleOutput(schedule).data, status=status.HTTP_201_CREATED)


class BellScheduleDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="bell_schedules_update", request=ScheduleUpdateInput, responses=ScheduleOutput
    )
    def put(self, request, schedule_id: int):
        schedule = level_object(request, BellSchedule, schedule_id, write=True)
        data = _valid(ScheduleUpdateInput, request.data)
        services.bell_schedule_update(
            schedule=schedule, name=data["name"], bells=_bells(data), actor=request.user
        )
        return Response(ScheduleOutput(schedule).data)

    @extend_schema(operation_id="bell_schedules_delete", responses={204: None})
    def delete(self, request, schedule_id: int):
        schedule = level_object(request, BellSchedule, schedule_id, write=True)
        services.bell_schedule_delete(schedule=schedule, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a school's effective settings, override / revert, copy ------------------------------------------------


class SchoolSettingsApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="school_settings_retrieve",
        responses=EffectiveOutput,
        summary="Действующие настройки школы: свои, а где их нет — региона",
    )
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        return Response(EffectiveOutput(school_settings(school_id=school.pk)).data)


class SchoolSettingsOverrideApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="school_settings_override",
        request=KindsInput,
        responses=PlanOutput,
        summary="Взять копию настроек региона в школу, чтобы изменить их",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(KindsInput, request.data)
        return Response(
            PlanOutput(school_settings_override(school=school, kinds=data["kinds"], actor=request.user)).data
        )


class SchoolSettingsRevertApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="school_settings_revert",
        request=KindsInput,
        responses=PlanOutput,
        summary="Удалить свои настройки школы: снова действуют настройки региона",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(KindsInput, request.data)
        return Response(
            PlanOutput(school_settings_revert(school=school, kinds=data["kinds"], actor=request.user)).data
        )


def _copy_args(request: Any) -> tuple[School, list[School], list[str]]:
    data = _valid(CopyInput, request.data)
    source = admin_school(request, data["source"])
    targets = list(School.objects.filter(pk__in=data["targets"]).order_by("short_name", "id"))
    missing = set(data["targets"]) - {t.pk for t in targets}
    if missing:
        from django.http import Http404

        raise Http404(_("Нет школ %(missing)s") % {"missing": sorted(missing)[:10]})
    v = viewer(request)
    foreign = [t.short_name for t in targets if not v.can_admin_school(t.pk)]
    if foreign:
        raise PermissionDenied(_("Нет прав на школы: %(foreign)s") % {"foreign": ", ".join(foreign[:5])})
    return source, targets, data["kinds"]


class SettingsCopyPreviewApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="settings_copy_preview",
        request=CopyInput,
        responses=PlanOutput(many=True),
        summary="Что изменится в каждой школе при копировании настроек (ничего не сохраняет)",
    )
    def post(self, request):
        source, targets, kinds = _copy_args(request)
        plans: list[TargetPlan] = settings_copy_preview(source=source, targets=targets, kinds=kinds)
        return Response(PlanOutput(plans, many=True).data)


class SettingsCopyApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="settings_copy",
        request=CopyInput,
        responses=PlanOutput(many=True),
        summary="Скопировать настройки из школы во многие школы (одной транзакцией)",
    )
    def post(self, request):
        source, targets, kinds = _copy_args(request)
        plans = school_settings_copy(source=source, targets=targets, kinds=kinds, actor=request.user)
        return Response(PlanOutput(plans, many=True).data)


class RegionTimezoneApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="region_timezone_retrieve",
        responses=inline_serializer("RegionTimezone", {"timezone": serializers.CharField()}),
    )
    def get(self, request):
        return Response({"timezone": request.tenant.timezone})

    @extend_schema(
        operation_id="region_timezone_update",
        request=TimezoneInput,
        responses=inline_serializer("RegionTimezoneSet", {"timezone": serializers.CharField()}),
    )
    def put(self, request):
        check_level(request, None, write=True)
        data = _valid(TimezoneInput, request.data)
        region = region_set_timezone(
            region=request.tenant, timezone_name=data["timezone"], actor=request.user
        )
        return Response({"timezone": region.timezone})
