"""``copilot ui``: a local web page to ask questions about recordings and see how they were answered.

A small FastAPI app (:mod:`copilot.ui.server`) serves one static page (``static/``); the picture of
the audio and what the tools found on it come from :mod:`copilot.ui.picture`.
"""
