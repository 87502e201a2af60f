"""Benchmarks: run each as `.venv/bin/python -m bench.<name>` from the project root."""

from collections.abc import Iterator, Sequence


def in_turn(names: Sequence[str], repeat: int) -> Iterator[tuple[int, str]]:
    """(repetition, name) for `repeat` rounds of the runs, every other round reversed (A B C, C B A, ...),
    so that a machine whose speed drifts favours none of them; each is then timed by its fastest."""
    for i in range(repeat):
        for name in names if i % 2 == 0 else reversed(names):
            yield i, name
