"""The planner: LLM-written programs over the toolset, run in the sandbox, repaired on failure.

``planner.py`` holds the loop, ``prompts/`` the templates (data, not code), ``examples.jsonl`` the
worked examples, ``retrieval.py`` what goes into a prompt, ``extract.py`` code extraction,
``signature.py`` input signatures, ``store.py`` the program store, ``records.py`` answers and traces.
"""
