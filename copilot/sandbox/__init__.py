"""The sandbox: generated programs run in a fresh, isolated worker process; tools stay in the host.

    >>> from copilot.sandbox.host import Sandbox
    >>> sandbox = Sandbox(Limits(), setting="warn")
    >>> sandbox.check()  # once: what this machine gives a worker, against the setting
    >>> result = sandbox.run(source, {"audio": "audio_1"}, ToolBridge(toolset.tools, {"audio_1": audio}, runtime))
    >>> result.ok, result.value, result.error_kind, result.error_message

``host`` is the front door (the probe, the setting, ``Sandbox``); ``session`` starts one worker and
serves its tool calls through a ``dispatch`` callable; ``policy`` checks and compiles programs;
``worker``, ``namespace``, ``layers`` and ``protocol`` run inside the worker (stdlib only, which is
why this package imports nothing: the worker must start in tens of milliseconds). See
docs/sandbox.md for what is enforced, by which layer, and what happens where the OS refuses a measure.
"""
