"""Knowledge on top of an audio attribute: choose() against one free-text reply, same embedded model.

Each question states what a tool found (speaker gender, spoken language, animal sound) and asks
for world knowledge over four options; the correct option's position is rotated so a bias
toward one position shows. Compared in one run, on the same questions:
  - "free reply": one chat call ("reply with the option"), mapped by copilot.options.match_option
    (what query_llm-based programs do; an unmapped reply counts as wrong);
  - "letters, one order": the option letters' log-probabilities, options as given;
  - "choose": letters scored in the given and the reversed order, combined (choose_option: what the
    choose tool does for facts that name no attribute; for an attribute's knowledge step see
    bench_knowledge.py).

    PYTHONPATH=$PWD python benchmarks/bench_choose.py
"""

from __future__ import annotations

import statistics
import time

from copilot.config import load_settings
from copilot.llm.base import LETTERS, Message, choice_messages, choose_option
from copilot.llm.local import LocalLLM
from copilot.options import match_option

# (facts, question, correct option, three wrong options)
QUESTIONS = [
    ("speaker gender: male", "Which vocal range is this speaker most likely to sing in?", "bass", ["soprano", "alto", "mezzo-soprano"]),
    ("speaker gender: female", "Which vocal range is this speaker most likely to sing in?", "soprano", ["bass", "baritone", "tenor"]),
    ("speaker gender: male", "How would you politely address this speaker in a letter?", "Mr.", ["Mrs.", "Ms.", "Madam"]),
    ("speaker gender: female", "How would you politely address this speaker in a letter?", "Madam", ["Sir", "Mr.", "Lord"]),
    ("speaker gender: male", "Which family role could this speaker have?", "father", ["mother", "aunt", "sister"]),
    ("speaker gender: female", "Which family role could this speaker have?", "grandmother", ["grandfather", "uncle", "brother"]),
    ("spoken language: Japanese", "In which country is the speaker's language the official language?", "Japan", ["Brazil", "Germany", "Mexico"]),
    ("spoken language: Portuguese", "In which country is the speaker's language the official language?", "Brazil", ["Japan", "Germany", "Italy"]),
    ("spoken language: German", "Which city is in a country where the speaker's language is spoken?", "Berlin", ["Madrid", "Tokyo", "Lima"]),
    ("spoken language: Russian", "Which writing system does the speaker's language use?", "Cyrillic", ["Latin", "Hangul", "Devanagari"]),
    ("spoken language: Korean", "Which writing system does the speaker's language use?", "Hangul", ["Cyrillic", "Arabic", "Latin"]),
    ("spoken language: Spanish", "Which of these novels was first written in the speaker's language?", "Don Quixote", ["War and Peace", "Madame Bovary", "The Tale of Genji"]),
    ("animal sound: cow", "What product does the animal in the recording give?", "milk", ["wool", "eggs", "honey"]),
    ("animal sound: sheep", "What product does the animal in the recording give?", "wool", ["milk", "honey", "silk"]),
    ("animal sound: hen", "What product does the animal in the recording give?", "eggs", ["wool", "honey", "leather"]),
    ("animal sound: bee", "What product does the animal in the recording give?", "honey", ["milk", "eggs", "wool"]),
    ("animal sound: frog", "Where does the animal in the recording usually live?", "a pond", ["a desert", "a glacier", "a mountain peak"]),
    ("animal sound: crow", "Which of these can the animal in the recording do?", "fly", ["swim underwater for hours", "purr", "bark"]),
    ("animal sound: dog", "Which of these is the animal in the recording?", "a mammal", ["a bird", "an insect", "a reptile"]),
    ("animal sound: rooster", "When does the animal in the recording usually make this sound?", "at dawn", ["at midnight only", "never", "underwater"]),
    ("emotion: angry", "Which situation most likely caused the speaker's emotion?", "someone broke their car window", ["they won a prize", "they are falling asleep", "they heard a good joke"]),
    ("emotion: happy", "Which situation most likely caused the speaker's emotion?", "they won a prize", ["their pet died", "someone broke their car window", "they lost their job"]),
    ("emotion: sad", "Which situation most likely caused the speaker's emotion?", "their pet died", ["they won a prize", "they heard a good joke", "their team won"]),
    ("emotion: surprised", "Which situation most likely caused the speaker's emotion?", "a surprise party for them", ["a normal day at work", "a long nap", "a boring lecture"]),
]


def main() -> None:
    llm = LocalLLM(load_settings())
    right = {"free reply": 0, "letters, one order": 0, "choose": 0}
    seconds = {k: [] for k in right}
    first_letter = {"letters, one order": [], "free reply": []}
    for i, (facts, question, answer, wrong) in enumerate(QUESTIONS):
        options = list(wrong)
        options.insert(i % 4, answer)  # the answer sits at A, B, C, D in turn
        start = time.perf_counter()
        prompt = (f"Facts: {facts}\n{question} Options: {', '.join(options)}. "
                  "Reply with the option exactly as written.")
        reply = llm.complete([Message("user", prompt)], max_tokens=16).text
        seconds["free reply"].append(time.perf_counter() - start)
        mapped = match_option(reply, options)
        right["free reply"] += mapped == answer
        first_letter["free reply"].append(mapped == options[0])
        start = time.perf_counter()
        letters = list(LETTERS[:4])
        one = llm.score_options(choice_messages(question, options, facts), letters).letter_logprobs
        pick = options[letters.index(max(one, key=one.get))]
        seconds["letters, one order"].append(time.perf_counter() - start)
        right["letters, one order"] += pick == answer
        first_letter["letters, one order"].append(pick == options[0])
        start = time.perf_counter()
        right["choose"] += choose_option(llm, question, options, facts).option == answer
        seconds["choose"].append(time.perf_counter() - start)
    n = len(QUESTIONS)
    print(f"{n} questions, answer position rotated A-D; embedded Qwen2.5-Coder-1.5B")
    for method, count in right.items():
        share = f"  picks option A {sum(first_letter[method])}/{n}" if method in first_letter else ""
        print(f"{method:20s} {count:2d}/{n} right ({count / n:.0%}); median {statistics.median(seconds[method]):.1f} s"
              f"{share}")


if __name__ == "__main__":
    main()
