"""The one small interface every LLM backend implements, the record of each call, and option choice."""

from __future__ import annotations

import difflib
import math
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from copilot.options import match_option

LETTERS = string.ascii_uppercase
CHOICE_SYSTEM = "You answer multiple-choice questions with the letter of the correct option."


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    """One LLM call: the reply plus what it cost."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    # Prompt tokens served from a reused prefix (llama.cpp KV cache), when the backend knows.
    cached_tokens: int = 0
    # Time to the first token (prompt processing), when the backend streams; 0 when unknown.
    prefill_seconds: float = 0.0
    # From score_options: each answer letter's log-probability as the reply's first token; None
    # when the backend could not give them (then ``text`` holds a short generated reply).
    letter_logprobs: dict[str, float] | None = None


class ChatModel:
    """What the planner, the analyser and ``query_llm`` need from an LLM: every backend subclasses it.

    ``complete`` is the one call each backend must implement. The optional powers have defaults
    here, so no caller has to probe for them: ``keep_prefix`` (``keeps_prefix`` True where it does
    anything), ``score_options``, and the seconds spent on loading weights and the kept prefix.
    """

    name: str = ""  # the model
    backend: str = ""  # how it is reached, as settings name it: "local", "openai", "langchain:<module>:<factory>"
    keeps_prefix: ClassVar[bool] = False  # keep_prefix saves real work (the embedded model)
    load_seconds: float = 0.0  # loading the weights, so far
    prefix_seconds: float = 0.0  # loading (or computing) the kept prefix's state, so far

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] = ()) -> Completion:
        raise NotImplementedError(f"{type(self).__name__} must implement complete()")

    def keep_prefix(self, messages: Sequence[Message], on_progress: Callable[[str], None] | None = None) -> None:
        """Make the start shared by later prompts (``messages``, the last one left open) cheap, telling
        ``on_progress`` how a long build goes; by default nothing is kept."""

    def score_options(self, messages: Sequence[Message], letters: Sequence[str]) -> Completion:
        """Each answer letter's log-probability as the reply's first token, in ``letter_logprobs``.

        By default nothing is scored: a short generated reply comes back (``letter_logprobs`` None)
        for :func:`choose_option` to map to an option.
        """
        return self.complete(messages, max_tokens=8)


@dataclass(frozen=True)
class OptionChoice:
    """The option an LLM picks among several, with a probability per option and what it cost."""

    option: str
    scores: dict[str, float]  # option -> probability; they sum to 1
    method: str  # "logprobs" (letters scored) or "generation" (replies mapped to options)
    completions: tuple[Completion, ...]


def choice_messages(question: str, options: Sequence[str], context: str = "") -> list[Message]:
    """The lettered multiple-choice prompt: facts first, then the question and options A., B., ..."""
    listed = "\n".join(f"{LETTERS[i]}. {option}" for i, option in enumerate(options))
    facts = f"Facts:\n{context.strip()}\n\n" if context.strip() else ""
    return [Message("system", CHOICE_SYSTEM),
            Message("user", f"{facts}Question: {question.strip()}\nOptions:\n{listed}\n"
                            "Answer with the letter of the correct option only.")]


def choose_option(llm: ChatModel, question: str, options: Sequence[str], context: str = "") -> OptionChoice:
    """Pick one of ``options`` for ``question`` (given ``context``), never free text.

    The options are shown in their given order and reversed, and the two verdicts are combined,
    so that a model's preference for a position ("A") cancels out. A backend that scores letters
    (the embedded model; OpenAI-compatible servers that return logprobs) gives each letter's
    log-probability: an option's score is its mean log-probability over the two
    orders, as a softmax. Otherwise each order's short reply is mapped to an option with
    :func:`copilot.options.match_option` and the options are scored by votes (ties go to the
    as-given order's pick). Either way one option is returned.
    """
    options = list(dict.fromkeys(options))
    if not options or len(options) > len(LETTERS):
        raise ValueError(f"choose_option needs 1 to {len(LETTERS)} distinct options, got {len(options)}")
    if len(options) == 1:
        return OptionChoice(options[0], {options[0]: 1.0}, "single option", ())
    orders = [options, options[::-1]]
    completions, logprob_runs, votes, replies = [], [], [], []
    for shown in orders:
        letters = list(LETTERS[: len(shown)])
        messages = choice_messages(question, shown, context)
        completion = llm.score_options(messages, letters)
        completions.append(completion)
        if completion.letter_logprobs:
            logprob_runs.append({shown[i]: lp for i, lp in enumerate(_log_softmax(
                [completion.letter_logprobs.get(letter, -math.inf) for letter in letters]))})
        else:
            replies.append(completion.text)
            votes.append(match_option(completion.text, shown, {k.lower(): o for k, o in zip(letters, shown)}))
    if len(logprob_runs) == len(orders):
        mean = [sum(run[o] for run in logprob_runs) / len(orders) for o in options]
        probs = [math.exp(x) for x in _log_softmax(mean)]
        scores = {o: round(p, 4) for o, p in zip(options, probs)}
        return OptionChoice(max(options, key=lambda o: scores[o]), scores, "logprobs", tuple(completions))
    votes += [max(run, key=run.get) for run in logprob_runs]
    counted = Counter(v for v in votes if v is not None)
    if counted:
        best = max(counted.values())
        pick = next(v for v in votes if counted.get(v) == best)
    else:  # no reply named an option: the one closest in wording to the first reply
        pick = max(options, key=lambda o: difflib.SequenceMatcher(None, replies[0].lower(), o.lower()).ratio())
    total = sum(counted.values()) or 1
    scores = {o: round(counted.get(o, 0) / total, 4) for o in options}
    return OptionChoice(pick, scores, "generation", tuple(completions))


def _log_softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    if top == -math.inf:
        return [-math.log(len(values))] * len(values)
    norm = top + math.log(sum(math.exp(v - top) for v in values))
    return [v - norm for v in values]
