"""``copilot ui`` start-up and answer times, measured over HTTP as the page uses it.

Starts ``copilot ui`` in a fresh process on a free 127.0.0.1 port and prints: seconds until the page
is served, until the models are loaded (the server warms up in the background), the first
question's wall time (upload to answer) and the same question again (program cache, models loaded).
The LLM is whatever the settings name (the embedded model by default), so the figures include
real planning. Wall times depend on machine load; run it on an idle machine.

    .venv/bin/python benchmarks/bench_ui.py [--audio examples/phone_call.flac] [--question "..."]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


def _post(url: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read())


def _ask(base: str, audio: Path, question: str) -> tuple[float, dict]:
    started = time.perf_counter()
    upload = _post(f"{base}/api/audio?name={audio.name}", audio.read_bytes(), "application/octet-stream")
    job = _post(f"{base}/api/ask", json.dumps({"instruction": question, "audio": [upload["id"]]}).encode(),
                "application/json")["job"]
    while True:
        view = _get(f"{base}/api/jobs/{job}")
        if view["state"] != "running":
            return time.perf_counter() - started, view
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=ROOT / "examples" / "phone_call.flac")
    parser.add_argument("--question", default="How many different people are speaking in this recording?")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", "from copilot.cli import main; main()", "ui", "--port", str(port)],
                              cwd=ROOT)
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit("copilot ui exited before serving the page")
                time.sleep(0.05)
        print(f"page served after        {time.perf_counter() - started:6.2f} s (process start to first 200)", flush=True)
        while not _get(base + "/api/info")["models_loaded"]:
            time.sleep(0.1)
        print(f"models loaded after      {time.perf_counter() - started:6.2f} s (background warm-up: Copilot "
              "and LLM)", flush=True)
        for name in ("first question", "same question again"):
            seconds, view = _ask(base, args.audio, args.question)
            result = view["result"] or {}
            print(f"{name:<24} {seconds:6.2f} s wall (upload, plan, run); answer {result.get('answer')!r}, "
                  f"error {view['error']!r}", flush=True)
            print("  split: " + ", ".join(f"{k} {v:.2f}" for k, v in result.get("timings", {}).items())
                  + f"; LLM calls {result.get('tokens', {}).get('llm_calls')}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
