"""One function derives the role profile from the position; overrides win."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from academy.org.models import Agency, Person, PersonnelGroup, RoleLevel
from academy.org.services import derive_role_profile, set_role_profile_override


@pytest.mark.parametrize(
    ("line", "level", "group", "role_level"),
    [
        ("K-COMP", "K2", PersonnelGroup.IT, RoleLevel.OPERATIONAL),
        ("O-COMP", "O3", PersonnelGroup.IT, RoleLevel.OPERATIONAL),
        ("K-COMP", "K4", PersonnelGroup.IT, RoleLevel.SUPERVISOR),
        ("D-ICT", "D1", PersonnelGroup.IT, RoleLevel.SUPERVISOR),
        ("K-HR", "K1", PersonnelGroup.NON_IT, RoleLevel.OPERATIONAL),
        ("D-MGT", "D2", PersonnelGroup.NON_IT, RoleLevel.SUPERVISOR),
        ("M-EXEC", "M2", PersonnelGroup.NON_IT, RoleLevel.EXECUTIVE),
    ],
)
def test_profile_follows_line_and_level(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    line: str,
    level: str,
    group: PersonnelGroup,
    role_level: RoleLevel,
) -> None:
    person = make_person(make_agency(), line=line, level=level)
    assert (person.personnel_group, person.role_level) == (group, role_level)


def test_a_cio_is_executive_it_whatever_the_position(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    person = make_person(make_agency(), line="K-PLAN", level="K3", is_cio=True)
    assert (person.personnel_group, person.role_level) == (PersonnelGroup.IT, RoleLevel.EXECUTIVE)


def test_an_override_wins_and_can_be_withdrawn(
    make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    person = make_person(make_agency(), line="K-STAT", level="K2")
    assert person.personnel_group is PersonnelGroup.NON_IT
    profile = set_role_profile_override(person, PersonnelGroup.IT, None)
    assert profile.code == "it-operational" and person.personnel_group is PersonnelGroup.IT
    set_role_profile_override(person, None, None)
    assert person.personnel_group is PersonnelGroup.NON_IT


def test_derivation_without_a_person() -> None:
    profile = derive_role_profile(
        line_is_it=False, level_role_level=RoleLevel.OPERATIONAL, is_cio=False, level_override=RoleLevel.EXECUTIVE
    )
    assert profile.code == "non-it-executive"
