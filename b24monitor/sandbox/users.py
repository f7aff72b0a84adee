"""The sandbox portal's employees: who is an administrator, and their user records.

Simplified: a fixed staff of four; user 1 is the administrator who installed the app. Admin rights
matter for the offline methods and for binding with another user's auth_type (spec §2.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    """One employee of the portal."""

    id: int
    name: str
    last_name: str
    email: str
    admin: bool = False
    department: int = 1

    def record(self) -> dict[str, Any]:
        """The user as `user.get` / `profile` / ONUSERADD show it (wire values are strings)."""
        return {
            "ID": str(self.id),
            "ACTIVE": "Y",
            "NAME": self.name,
            "LAST_NAME": self.last_name,
            "EMAIL": self.email,
            "ADMIN": self.admin,
            "UF_DEPARTMENT": [str(self.department)],
        }


STAFF = (
    User(1, "Анна", "Смирнова", "anna@sandbox.example", admin=True),
    User(7, "Иван", "Петров", "ivan@sandbox.example", department=3),
    User(12, "Ольга", "Кузнецова", "olga@sandbox.example", department=3),
    User(15, "Дмитрий", "Соколов", "dmitry@sandbox.example", department=5),
)


class UserDirectory:
    """Employees by ID; new ones can be hired (the traffic generator's ONUSERADD)."""

    def __init__(self, staff: tuple[User, ...] = STAFF) -> None:
        self._users = {user.id: user for user in staff}

    def get(self, user_id: int) -> User | None:
        """The user with this ID, or None."""
        return self._users.get(user_id)

    def is_admin(self, user_id: int) -> bool:
        """Whether the user is a portal administrator."""
        user = self._users.get(user_id)
        return user is not None and user.admin

    def ids(self) -> list[int]:
        """All user IDs, ascending."""
        return sorted(self._users)

    def add(self, user: User) -> None:
        """Hire a user."""
        self._users[user.id] = user

    def next_id(self) -> int:
        """The ID the next hired user gets."""
        return max(self._users) + 1
