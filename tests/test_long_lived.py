"""The process's long-lived objects are frozen once, at its first run, never again."""

from __future__ import annotations

import gc

from flows.long_lived import freeze_long_lived_objects


def test_objects_alive_at_the_first_run_are_frozen_and_a_later_runs_are_not() -> None:
    freeze_long_lived_objects.cache_clear()
    gc.unfreeze()
    try:
        freeze_long_lived_objects()
        frozen = gc.get_freeze_count()
        made_by_a_run = [[i] for i in range(1000)]  # containers, tracked by the collector
        freeze_long_lived_objects()

        assert frozen > 0
        # Nothing more is frozen (frozen objects that die meanwhile, on other threads of
        # this test process, leave the count: it can only fall), and the run's own
        # objects are still in the collector's generations, so collectable.
        assert gc.get_freeze_count() <= frozen
        collectable = {id(obj) for obj in gc.get_objects()}
        assert id(made_by_a_run) in collectable
        assert id(made_by_a_run[0]) in collectable
    finally:
        freeze_long_lived_objects.cache_clear()
        gc.unfreeze()
