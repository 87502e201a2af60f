"""Calibrated confidence: monotone, conservative where evidence is thin, and shipped fitted."""

from __future__ import annotations

from procedures import Catalog
from procedures.calibration import ATTESTED, FILED, IDENTITY, fit, load_calibration, wilson_lower


def test_wilson_lower_bound_is_conservative() -> None:
    assert wilson_lower(10, 10) < 1.0
    assert wilson_lower(1000, 1000) > wilson_lower(10, 10)
    assert wilson_lower(0, 10) == 0.0


def test_fit_is_monotone_and_follows_the_share_right() -> None:
    # Raw 0.3 is right half the time, raw 0.9 always: the map must say so, in order.
    samples = [(0.3, True, i % 2 == 0) for i in range(200)] + [(0.9, True, True) for _ in range(400)]
    calibration = fit(samples)
    low, high = calibration.apply(0.3, True), calibration.apply(0.9, True)
    assert 0.4 < low <= 0.5
    assert 0.98 < high < 1.0
    assert calibration.apply(0.6, True) >= low
    assert calibration.to_yaml() and load_calibration(calibration.to_yaml()) == calibration


def test_identity_keeps_raw_values_and_shipped_map_is_fitted() -> None:
    assert IDENTITY.apply(0.42, True) == 0.42
    shipped = load_calibration()
    assert shipped.filed and shipped.null
    values = [y for _, y in shipped.filed]
    assert values == sorted(values)


def test_filings_on_an_attestation_alone_have_their_own_map() -> None:
    # Certifications filed at raw 0.3 are always right; application filings at raw 0.3 half the time:
    # one pooled map would lend the weak form matches the certifications' record.
    samples = [(0.3, True, True, ATTESTED) for _ in range(300)] + [(0.3, True, i % 2 == 0, FILED)
                                                                   for i in range(300)]
    calibration = fit(samples)
    assert calibration.apply(0.3, True, ATTESTED) > 0.95
    assert calibration.apply(0.3, True, FILED) <= 0.5
    assert load_calibration(calibration.to_yaml()) == calibration
    assert load_calibration().attested  # the shipped map has one


def test_procedures_the_dossier_cannot_tell_apart_are_never_surer_than_one_in_n(catalog: Catalog) -> None:
    import random

    from procedures import classify
    from tests.procedures.variants import circular_form

    page = circular_form(catalog.get("1.004194"), "", random.Random(1))  # CT01 stating no request
    result = classify([page], catalog)
    assert len({pid for pid, score in result.top3 if score == result.top3[0][1]}) == 3
    assert result.confidence <= 1 / 3 + 1e-9
