"""What happens on a busy portal: one table row per kind of activity, with its event and weight.

The weights make updates common and deletions or hires rare; the traffic generator draws from
the rows whose events are bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24monitor.sandbox import work_activity as work
from b24monitor.sandbox.crm_activity import crm, dynamic, move_deal, typed_variants
from b24monitor.sandbox.world import Action


@dataclass(frozen=True, slots=True)
class Activity:
    """One kind of thing that happens, the event it fires and how often it happens."""

    code: str
    weight: float
    action: Action
    also_reaches: tuple[str, ...] = ()  # type-specific variants the event also fires

    def reaches(self, bound: set[str]) -> bool:
        """Whether any registration would see this activity's event."""
        return self.code in bound or not bound.isdisjoint(self.also_reaches)


ACTIVITIES: tuple[Activity, ...] = (
    Activity("ONCRMDEALADD", 6, crm("deal", "ADD")),
    Activity("ONCRMDEALUPDATE", 14, crm("deal", "UPDATE", robot_share=0.3)),
    Activity("ONCRMDEALDELETE", 1, crm("deal", "DELETE")),
    Activity("ONCRMDEALMOVETOCATEGORY", 1, move_deal),
    Activity("ONCRMLEADADD", 5, crm("lead", "ADD", robot_share=0.2)),
    Activity("ONCRMLEADUPDATE", 6, crm("lead", "UPDATE", robot_share=0.25)),
    Activity("ONCRMLEADDELETE", 1, crm("lead", "DELETE")),
    Activity("ONCRMCONTACTADD", 3, crm("contact", "ADD")),
    Activity("ONCRMCONTACTUPDATE", 3, crm("contact", "UPDATE", robot_share=0.1)),
    Activity("ONCRMCONTACTDELETE", 0.5, crm("contact", "DELETE")),
    Activity("ONCRMCOMPANYADD", 2, crm("company", "ADD")),
    Activity("ONCRMCOMPANYUPDATE", 2, crm("company", "UPDATE", robot_share=0.1)),
    Activity("ONCRMCOMPANYDELETE", 0.3, crm("company", "DELETE")),
    Activity("ONCRMDYNAMICITEMADD", 2, dynamic("ADD"), typed_variants("ADD")),
    Activity("ONCRMDYNAMICITEMUPDATE", 2, dynamic("UPDATE"), typed_variants("UPDATE")),
    Activity("ONCRMDYNAMICITEMDELETE", 0.3, dynamic("DELETE"), typed_variants("DELETE")),
    Activity("ONTASKADD", 4, work.task_add),
    Activity("ONTASKUPDATE", 5, work.task_update),
    Activity("ONTASKDELETE", 1, work.task_delete),
    Activity("ONTASKCOMMENTADD", 2, work.task_comment),
    Activity("ONCALENDARENTRYADD", 2, work.calendar("ADD")),
    Activity("ONCALENDARENTRYUPDATE", 2, work.calendar("UPDATE")),
    Activity("ONCALENDARENTRYDELETE", 0.5, work.calendar("DELETE")),
    Activity("ONUSERADD", 0.3, work.user_add),
    Activity("ONLIVEFEEDPOSTADD", 1, work.post_add),
    Activity("ONVOXIMPLANTCALLEND", 1, work.call_end),
)
