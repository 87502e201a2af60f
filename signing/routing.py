"""Who signs a result, in which order, and whether a given step may be signed now.

Pure rules, no storage: the register keeps the signing tasks, and asks these functions. A
procedure's catalog entry lists its signer roles in order (e.g. `[lanh_dao_ubnd_xa, van_thu]`: the
commune leader, then the clerk with the agency seal); the agency maps each role to the people who
hold it. The last step locks the document, so nothing can be signed or changed after the seal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from signing.errors import StepNotReady


class StepState(StrEnum):
    """Where one signing step stands. Only `verified` lets the next step go ahead."""

    waiting = "waiting"
    signed = "signed"  # signature added, verification not yet done or not passed
    verified = "verified"
    refused = "refused"  # verification failed or the signer sent it back


@dataclass(frozen=True)
class Step:
    """One signature a result needs: its position (1-based), the role and who may sign it."""

    number: int
    role: str
    assignees: tuple[str, ...]
    locks: bool


class UnassignedRole(StepNotReady):
    """A role of the procedure has nobody assigned to it, so the result cannot be routed."""


def plan_steps(roles: Sequence[str], assignments: Mapping[str, str | Sequence[str]]) -> list[Step]:
    """The ordered steps of a result, from the procedure's `signers` roles and the role→people map.

    Every role must have at least one person; the last step is the one that locks the document.
    """
    if not roles:
        raise UnassignedRole("the procedure lists no signer roles")
    steps = []
    for number, role in enumerate(roles, start=1):
        people = assignments.get(role) or ()
        people = (people,) if isinstance(people, str) else tuple(people)
        if not people:
            raise UnassignedRole(f"nobody is assigned to role {role!r}; assign one with `sohoa signers assign`")
        steps.append(Step(number=number, role=role, assignees=people, locks=number == len(roles)))
    return steps


def check_turn(steps: Sequence[Step], states: Sequence[StepState], number: int, person: str | None = None) -> Step:
    """The step `number` if it may be signed now (by `person`, when given); `StepNotReady` if not.

    A step may be signed when every earlier step is signed *and verified* (a signature that
    failed verification does not count) and the step itself is still waiting.
    """
    if len(states) != len(steps):
        raise ValueError("one state per step is needed")
    if not 1 <= number <= len(steps):
        raise StepNotReady(f"there is no step {number}; the result has {len(steps)} steps")
    step = steps[number - 1]
    for earlier, state in zip(steps[: number - 1], states[: number - 1], strict=True):
        if state is not StepState.verified:
            raise StepNotReady(f"step {earlier.number} ({earlier.role}) is {state}, not verified: "
                               f"step {number} ({step.role}) must wait")
    if states[number - 1] is not StepState.waiting:
        raise StepNotReady(f"step {number} ({step.role}) is already {states[number - 1]}")
    if person is not None and person not in step.assignees:
        raise StepNotReady(f"{person} is not assigned to role {step.role!r}")
    return step


def may_sign(steps: Sequence[Step], states: Sequence[StepState], number: int, person: str | None = None) -> bool:
    """`check_turn` as a yes/no, for listing a signer's inbox."""
    try:
        check_turn(steps, states, number, person)
    except StepNotReady:
        return False
    return True


def is_complete(states: Sequence[StepState]) -> bool:
    """Every step verified: the dossier may move to "Đã xử lý xong" (status 9)."""
    return bool(states) and all(state is StepState.verified for state in states)
