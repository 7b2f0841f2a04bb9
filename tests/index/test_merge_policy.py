"""The merge policy alone: when an update rebuilds the base segment instead of growing the delta."""

from __future__ import annotations

from index.merge_policy import MergePolicy
from nlp.settings import settings


def test_changes_within_the_share_of_the_base_grow_the_delta():
    policy = MergePolicy(ratio=0.25, min_changes=1000)
    assert not policy.should_rebuild(base=100_000, delta=20_000, tombstones=4_000)


def test_changes_past_the_share_rebuild_the_base_counting_tombstones_too():
    policy = MergePolicy(ratio=0.25, min_changes=1000)
    assert policy.should_rebuild(base=100_000, delta=20_000, tombstones=5_001)
    assert policy.should_rebuild(base=100_000, delta=0, tombstones=25_001)


def test_a_small_archive_is_not_rebuilt_on_every_meeting():
    policy = MergePolicy(ratio=0.25, min_changes=1000)
    assert not policy.should_rebuild(base=100, delta=900, tombstones=100)
    assert policy.should_rebuild(base=100, delta=901, tombstones=100)


def test_the_defaults_are_the_settings():
    policy = MergePolicy()
    assert (policy.ratio, policy.min_changes) == (settings.merge_ratio, settings.merge_min_changes)
