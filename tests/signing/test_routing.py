"""Two signers in order: the official, then the agency seal that locks the result."""

from __future__ import annotations

import pytest

from signing import (
    Reason,
    SignatureAppearance,
    SigningProblem,
    StepNotReady,
    StepState,
    UnassignedRole,
    check_turn,
    is_complete,
    may_sign,
    plan_steps,
    verify,
)
from tests.signing.conftest import add_annotation, p12_session
from tests.signing.testpki import LivePki

ROLES = ["lanh_dao_ubnd_xa", "van_thu"]  # procedures.yaml: Đăng ký khai sinh
ASSIGNED = {"lanh_dao_ubnd_xa": "nguyen.van.an", "van_thu": ["tran.thi.binh", "le.van.cuong"]}


def test_steps_follow_the_procedure_roles_and_the_last_locks() -> None:
    steps = plan_steps(ROLES, ASSIGNED)
    assert [(s.number, s.role, s.locks) for s in steps] == [(1, "lanh_dao_ubnd_xa", False), (2, "van_thu", True)]
    assert steps[1].assignees == ("tran.thi.binh", "le.van.cuong")


def test_a_role_without_people_cannot_be_routed() -> None:
    with pytest.raises(UnassignedRole, match="van_thu"):
        plan_steps(ROLES, {"lanh_dao_ubnd_xa": "nguyen.van.an"})


def test_only_assigned_people_may_sign_their_step() -> None:
    steps = plan_steps(ROLES, ASSIGNED)
    assert may_sign(steps, [StepState.waiting, StepState.waiting], 1, "nguyen.van.an")
    assert not may_sign(steps, [StepState.waiting, StepState.waiting], 1, "tran.thi.binh")


def test_a_signed_but_unverified_step_blocks_the_next() -> None:
    steps = plan_steps(ROLES, ASSIGNED)
    with pytest.raises(StepNotReady, match="not verified"):
        check_turn(steps, [StepState.signed, StepState.waiting], 2)
    with pytest.raises(StepNotReady, match="already"):
        check_turn(steps, [StepState.verified, StepState.verified], 2)


def test_official_then_seal_in_order(pki: LivePki, result_pdf: bytes, official_stamp) -> None:
    steps = plan_steps(ROLES, ASSIGNED)
    states = [StepState.waiting, StepState.waiting]

    with pytest.raises(StepNotReady):  # the seal may not go first
        check_turn(steps, states, 2, "tran.thi.binh")

    step = check_turn(steps, states, 1, "nguyen.van.an")
    with p12_session(pki, "official") as session:
        pdf = session.sign(result_pdf, official_stamp, lock=step.locks).pdf
    states[0] = StepState.verified if verify(pdf, [pki.root_pem]).ok else StepState.refused
    assert states[0] is StepState.verified

    step = check_turn(steps, states, 2, "tran.thi.binh")
    seal_stamp = SignatureAppearance(name="UBND xã Bình Thạnh", box=(60, 60, 260, 120))
    with p12_session(pki, "seal") as session:
        pdf = session.sign(pdf, seal_stamp, lock=step.locks).pdf
    report = verify(pdf, [pki.root_pem])
    assert report.ok, report.problems
    assert [s.signer for s in report.signatures] == ["Nguyễn Văn An", "UBND xã Bình Thạnh"]
    assert report.signatures[0].intact  # the seal's incremental update left the official's bytes alone
    states[1] = StepState.verified
    assert is_complete(states)

    # The seal locked the document: no further signature, and a later edit breaks the lock.
    with p12_session(pki, "official") as session, pytest.raises(SigningProblem, match="locked"):
        session.sign(pdf)
    report = verify(add_annotation(pdf), [pki.root_pem])
    assert not report.ok
    assert [f.code for f in report.signatures[1].findings] == [Reason.MODIFIED]
