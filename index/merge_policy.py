"""When the vector index's base segment is rebuilt: the merge policy, as its own small unit.

An update appends added vectors to a delta segment and records removed base vectors as
tombstones; both cost every query a little (the delta is searched exactly, tombstones are
filtered). Rebuilding the base costs one full build. The policy (as tantivy's `merge_policy.rs`,
here in one step) rebuilds when the changes since the base outgrow a share of it, and never for
fewer changes than a floor, so that a small archive is not rebuilt on every meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.settings import settings


@dataclass(frozen=True)
class MergePolicy:
    #: Rebuild once delta + tombstones exceed this share of the base (`settings.merge_ratio`).
    ratio: float = field(default_factory=lambda: settings.merge_ratio)
    #: ... but never for fewer changes than this (`settings.merge_min_changes`).
    min_changes: int = field(default_factory=lambda: settings.merge_min_changes)

    def should_rebuild(self, base: int, delta: int, tombstones: int) -> bool:
        """Whether a base of `base` vectors with `delta` added and `tombstones` removed is rebuilt."""
        return delta + tombstones > max(self.min_changes, self.ratio * base)
