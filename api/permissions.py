from rest_framework.permissions import BasePermission

from core.roles import Role


class HasRole(BasePermission):
    """``HasRole.of(Role.X, Role.Y)``: the user holds at least one of the roles."""

    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: Role) -> type["HasRole"]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": tuple(str(r) for r in roles)})

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and any(user.has_role(r) for r in self.roles))


IsFederalOperator = HasRole.of(Role.FEDERAL_OPERATOR)
# Any signed-in user of the region with a platform role; which objects they see is decided per
# object by regions.access.viewer_for (the permission matrix).
IsRegionUser = HasRole.of(Role.REGIONAL_ADMIN, Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT, Role.PARENT)
