"""`interp-bot lessons`: the maintainers' decisions the relevance model learns from, as text and JSON, and what
`--forget` / `--restore` did. Only the `most` most recent lessons not forgotten are used (MAX_LESSONS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.catalogue.text import one_line
from bot.cli.output import iso

if TYPE_CHECKING:
    from bot.store.curation import Lesson


def _lessons_used(lessons: list[Lesson], most: int) -> set[int]:
    """The paper ids whose lessons the model uses: the `most` most recent of those not forgotten."""
    kept = [x.paper_id for x in lessons if not x.forgotten]
    return set(kept[-most:]) if most > 0 else set()


def lessons_json(lessons: list[Lesson], most: int) -> list[dict[str, Any]]:
    """`lessons --json`: every approval and rejection, oldest first; `used` says whether the model learns from it."""
    used = _lessons_used(lessons, most)
    return [{"id": x.paper_id, "title": x.title, "decision": x.decision, "topic": x.topic,
             "decided_at": iso(x.decided_at), "forgotten": x.forgotten, "used": x.paper_id in used}
            for x in lessons]


def lessons_text(lessons: list[Lesson], most: int) -> str:
    if not lessons:
        return "No lessons yet: the model learns from maintainers' approvals and rejections.\n"
    used = _lessons_used(lessons, most)
    forgotten = sum(x.forgotten for x in lessons)
    lines = [f"{len(used)} lesson(s) the relevance model learns from, oldest first"
             + (f"; {forgotten} forgotten" if forgotten else "") + ":"]
    for x in lessons:
        state = "FORGOTTEN" if x.forgotten else "learned" if x.paper_id in used else f"too old (only the {most} " \
            "most recent are used)"
        lines.append(f"  #{x.paper_id:<6} {x.decision:<17} {x.decided_at:%Y-%m-%d}  {state:<9}  {one_line(x.title)}")
    lines.append("`interp-bot lessons --forget ID` makes the model forget one (the decision stands); "
                 "`--restore ID` teaches it again.")
    return "\n".join(lines) + "\n"


_DECISION_NOUNS = {"approved": "approval", "rejected": "rejection", "rejected upstream": "rejection upstream"}


def lesson_change(lesson: Lesson, forget: bool, before: list[Lesson], after: list[Lesson],
                  most: int) -> dict[str, Any]:
    """What `lessons --forget/--restore` did, for `--json` and as `text`: `lesson` as it was before, the lessons
    before and after. Only the `most` most recent lessons not forgotten are used, so forgetting one may bring an
    older one back into use, restoring one may put the oldest out of it, and a lesson too old to be used is not
    learned from, forgotten or not."""
    used_before, used_after = _lessons_used(before, most), _lessons_used(after, most)
    what = f"the {_DECISION_NOUNS.get(lesson.decision, lesson.decision)} of #{lesson.paper_id} " \
           f"{one_line(lesson.title)!r}"
    too_old = f"it is too old to be used (only the {most} most recent lessons are)"
    if forget and lesson.forgotten:
        text = f"already forgotten: the relevance model does not learn from {what}"
    elif not forget and not lesson.forgotten:
        text = f"not forgotten: the relevance model already learns from {what}" if lesson.paper_id in used_after \
            else f"not forgotten: {what} is kept, but {too_old}"
    elif forget:
        text = (f"forgotten: the relevance model no longer learns from {what}" if lesson.paper_id in used_before
                else f"forgotten: {what}; the relevance model did not learn from it anyway: {too_old}")
        text += ("; the decision itself stands (`interp-bot lessons --restore " + f"{lesson.paper_id}` undoes this)")
    else:
        text = (f"restored: the relevance model learns from {what} again" if lesson.paper_id in used_after
                else f"restored: {what}, but the relevance model does not learn from it: {too_old}")
    if back := sorted(used_after - used_before - {lesson.paper_id}):
        text += f"; {', '.join(f'#{n}' for n in back)}, older, is used again in its place"
    if out := sorted(used_before - used_after - {lesson.paper_id}):
        text += f"; {', '.join(f'#{n}' for n in out)}, the oldest used, is no longer (only the {most} most recent are)"
    return {"id": lesson.paper_id, "forgotten": forget, "used": lesson.paper_id in used_after,
            "changed": lesson.forgotten != forget, "now_used": back, "no_longer_used": out, "text": text}
