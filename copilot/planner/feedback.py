"""What goes back to the LLM after a failed attempt: the error, what the tools said, a precise hint.

A 1.5B model repairs far better when it is told exactly which of its usual mistakes it made: a key
no tool returns, a line it dropped since the last version, the question's options passed to a tool
that takes values of another kind. Texts live in ``prompts/*.md``; this module picks and fills them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from copilot.planner.answers import short
from copilot.prompts import PromptFolder
from copilot.sandbox.records import SandboxResult, ToolCallRecord
from copilot.tools import Toolset

PROMPTS = PromptFolder(Path(__file__).with_name("prompts"))
FEEDBACK_CHARS = 1500


def format_options(options: Sequence[str]) -> str:
    return json.dumps(list(options), ensure_ascii=False) if options else "(none listed: give a short free answer)"


def observations(calls: Sequence[ToolCallRecord]) -> str:
    """What the tools returned before a failure."""
    if not calls:
        return ""
    lines = ["", "Tool calls made before the failure, with what they returned:"]
    for call in calls[-5:]:
        sent = call.args
        args = ", ".join(f"{k}={short(v, 60)}" for k, v in sent.items()) if isinstance(sent, dict) else short(sent)
        outcome = f"raised {call.error}" if call.error else f"returned {short(call.result)}"
        lines.append(f"- {call.name}({args}) {outcome}")
    return "\n".join(lines)


def foreign_options(calls: Sequence[ToolCallRecord], options: Sequence[str]) -> ToolCallRecord | None:
    """A call given the question's options that knows (almost) none of them: it raised, or it reported
    most of them ``unmapped``. The options are then of another kind than the tool's labels (countries
    given to a language identifier): a two-hop question answered as one hop."""
    for call in calls:
        if not options or not isinstance(call.args, dict) or list(options) not in call.args.values():
            continue
        unmapped = call.result.get("unmapped") if isinstance(call.result, dict) else None
        if call.error or (isinstance(unmapped, list) and 2 * len(unmapped) > len(options)):
            return call
    return None


def foreign_options_hint(call: ToolCallRecord) -> str:
    why = call.error or "it reported them unmapped"
    return (f"You passed the question's options to {call.name}(), but they are not values it knows ({why}). "
            f"Call {call.name}() without them to find the attribute first, then pick the option with "
            f"choose(question, options, facts={{...what {call.name}() found...}}).")


def hint(message: str, calls: Sequence[ToolCallRecord], options: Sequence[str], toolset: Toolset,
         earlier: Sequence[str]) -> str:
    """A pointer for the mistakes small models make most; empty when none applies."""
    foreign = foreign_options(calls, options)
    if foreign is not None and foreign.error:
        return "\n" + foreign_options_hint(foreign)
    key = re.search(r"KeyError: '(\w+)'", message)
    if key:
        name = key.group(1)
        owners = [t.name for t in toolset if name in t.name or f'"{name}' in t.stub()]
        if not owners:
            return f"\nNo tool returns a key named '{name}': read the Returns section of the tool you call."
        return f"\nThe key '{name}' is in the results of: {', '.join(owners[:3])}. Call the tool that provides it."
    missing = re.search(r"NameError: name '(\w+)' is not defined", message)
    if missing:
        pattern = re.compile(rf"^\s*{re.escape(missing.group(1))}\s*=.*$", re.M)
        for program in reversed(earlier):
            found = pattern.search(program)
            if found:
                return f"\nAn earlier version defined it: `{found.group(0).strip()}`. Keep every line you need."
    return ""


def run_failed(result: SandboxResult, options: Sequence[str], toolset: Toolset, earlier: Sequence[str]) -> str:
    kind = result.error_kind.value if result.error_kind else "error"
    error = f"{kind}: {result.error_message}" + observations(result.tool_calls) + \
        hint(result.error_message or "", result.tool_calls, options, toolset, earlier)
    if result.stdout.strip():
        error += "\nPrinted output before the failure:\n" + result.stdout[-500:]
    return PROMPTS.render("repair", error=error[:FEEDBACK_CHARS])


def bad_answer(value: object, reason: str, options: Sequence[str]) -> str:
    expected = ("exactly one of: " + format_options(options)) if options else "a short, non-empty answer"
    return PROMPTS.render("bad_answer", value=short(value), reason=reason, expected=expected)


def refused(reason: str) -> str:
    return PROMPTS.render("ungrounded", reason=reason)


def policy(violations: Sequence[str]) -> str:
    return PROMPTS.render("repair", error="Policy violation: " + "; ".join(violations))


def unusable_reply(reason: str, params: Sequence[str]) -> str:
    return PROMPTS.render("format", reason=reason, params=", ".join(params))


def repeated(last_error: str) -> str:
    advice = ("use a different tool or a different field of its result, and check each step against the "
              "tools' Returns sections.")
    return PROMPTS.render("repeated", error=last_error[:FEEDBACK_CHARS], advice=advice)
