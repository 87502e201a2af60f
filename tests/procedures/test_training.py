"""Learning from reviewers' corrections: the model helps, stores and versions itself."""

from __future__ import annotations

from procedures import Catalog, TrainedModel, classify, train
from tests.procedures.conftest import ID_CARD, form, ocr_noise


def _marriage(seed: int) -> list[str]:
    page = form("TỜ KHAI ĐĂNG KÝ KẾT HÔN", f"Họ, chữ đệm, tên: Người thứ {seed}\nNơi cư trú: ấp {seed}\n")
    return [ID_CARD, ocr_noise(page, seed, 0.02)]


def _business(seed: int) -> list[str]:
    page = form("GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH",
                f"1. Tên hộ kinh doanh: Tạp hóa số {seed}\n2. Ngành, nghề kinh doanh: bán lẻ\n",
                "Phụ lục III-1")
    return [ocr_noise(page, seed, 0.02)]


def test_trained_model_agrees_and_round_trips(catalog: Catalog) -> None:
    examples = [(_marriage(i), "1.000894") for i in range(3)] + [(_business(i), "1.001612") for i in range(3)]
    model = train(examples, catalog)
    assert model.examples == 6 and model.version.startswith("m-")
    probabilities = model.probabilities(_marriage(99))
    assert max(probabilities, key=probabilities.get) == "1.000894"
    restored = TrainedModel.from_bytes(model.to_bytes())
    assert restored.version == model.version
    assert restored.probabilities(_business(42)) == model.probabilities(_business(42))
    assert classify(_business(42), catalog, model=restored).procedure == "1.001612"


def test_same_data_same_version_and_unknown_labels_skipped(catalog: Catalog) -> None:
    examples = [(_marriage(1), "1.000894"), (_marriage(2), "NOT-IN-CATALOG")]
    first, second = train(examples, catalog), train(examples, catalog)
    assert first.version == second.version and first.examples == 1
    assert train([(_marriage(3), "1.000894")], catalog).version != first.version


def test_model_bytes_are_checked() -> None:
    try:
        TrainedModel.from_bytes(b"not a model")
    except ValueError as exc:
        assert "not a sohoa" in str(exc)
    else:
        raise AssertionError("garbage was accepted as a model")
