"""Every hostile or careless input gets its verdict from the stage alone: stored, or refused with a reason.

Never an exception other than a verdict, never a read through a link, never a blocked open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.intake import assemble
from ingest.rejection import Rejected
from tests.ingest.hostile import KINDS, Kind


def test_the_suite_is_broad() -> None:
    assert len({k.name for k in KINDS}) == len(KINDS) >= 40


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_verdict(tmp_path: Path, kind: Kind) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    entry = kind.build(inbox)
    if kind.refusal is None:
        intake = assemble(entry)
        assert intake.pages == kind.pages
        return
    with pytest.raises(Rejected) as caught:
        assemble(entry)
    assert caught.value.code == kind.refusal, caught.value.english
    assert caught.value.english and caught.value.vietnamese


def test_a_folder_keeps_the_order_people_number_pages_in(tmp_path: Path) -> None:
    [good] = [k for k in KINDS if k.name == "good-folder"]
    intake = assemble(good.build(tmp_path))
    assert [f.path.name for f in intake.files] == ["trang-1.png", "trang-2.png", "trang-10.png"]
