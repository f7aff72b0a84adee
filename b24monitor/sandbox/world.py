"""The simulated workplace activities act on: objects, staff, chance — and the names people use.

Titles and names are Russian, as on a typical Bitrix24 portal, so UTF-8 and percent-encoding get
exercised on every read (spec §1.2).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from b24monitor.sandbox.entities import EntityStore
from b24monitor.sandbox.users import UserDirectory

CLIENTS = ("ООО «Ромашка»", "АО «Северный ветер»", "ИП Смирнов", "ООО «Техносфера»", "ЗАО «Вектор»")
DEALS = ("Поставка серверов", "Внедрение Битрикс24", "Годовая подписка", "Монтаж видеонаблюдения")
TASKS = ("Подготовить КП", "Созвониться с клиентом", "Согласовать договор", "Выставить счёт")
MEETINGS = ("Планёрка отдела продаж", "Встреча с клиентом", "Демо для партнёра", "Ретроспектива")
FIRST_NAMES = ("Мария", "Алексей", "Елена", "Сергей", "Наталья", "Павел")
LAST_NAMES = ("Иванова", "Волков", "Морозова", "Лебедев", "Козлова", "Новиков")

Event = tuple[str, Any, int | None]
"""What an activity causes: event code, `data`, acting user (None: a robot, no tokens, §1.4)."""


@dataclass(slots=True)
class World:
    """What activities act on."""

    entities: EntityStore
    users: UserDirectory
    rng: random.Random

    def actor(self, robot_share: float = 0.0) -> int | None:
        """A random employee, or None (a robot) with the given probability."""
        if self.rng.random() < robot_share:
            return None
        return self.rng.choice(self.users.ids())

    def pick(self, names: tuple[str, ...]) -> str:
        """A random name from a list."""
        return self.rng.choice(names)

    def existing(self, kind: str, fields: Callable[[], dict[str, Any]]) -> int:
        """The ID of a random existing object, creating one silently if there is none."""
        ids = self.entities.ids(kind)
        return self.rng.choice(ids) if ids else self.entities.add(kind, fields())


Action = Callable[[World], Event]
