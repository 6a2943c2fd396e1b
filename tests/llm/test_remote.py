"""OpenAI-compatible and LangChain backends, against a real local HTTP server and a LangChain model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from copilot.config import Settings
from copilot.errors import ConfigError, LLMError
from copilot.llm import Message, make_llm
from copilot.llm.remote import LangChainLLM, OpenAILLM


class ChatServer:
    """A chat-completions endpoint on 127.0.0.1 that answers from a script of (status, reply) pairs.

    A script entry may add a third item, the choice's ``logprobs`` object, sent only when the
    request asked for logprobs (as real servers do).
    """

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                status, text, *logprobs = server.script.pop(0)
                payload = {"error": {"message": text}} if status != 200 else {
                    "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}
                if logprobs and body.get("logprobs"):
                    payload["choices"][0]["logprobs"] = logprobs[0]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_chat_completion_round_trip_with_usage(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ChatServer([(200, "def main(audio):\n    return 'x'")]) as server:
        llm = make_llm(Settings(llm="openai", llm_model="qwen2.5-coder:7b", llm_base_url=server.url))
        out = llm.complete([Message("system", "s"), Message("user", "u")], max_tokens=50, stop=["###"])
    assert out.text.startswith("def main") and (out.prompt_tokens, out.completion_tokens) == (11, 3)
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "qwen2.5-coder:7b"
    assert sent["body"]["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert sent["body"]["max_tokens"] == 50 and sent["body"]["stop"] == ["###"]


def test_transient_errors_are_retried_with_backoff():
    with ChatServer([(503, "overloaded"), (429, "slow down"), (500, "oops"), (200, "fine")]) as server:
        llm = OpenAILLM("m", base_url=server.url, api_key="k", retry_wait=0.01)
        assert llm.complete([Message("user", "hi")]).text == "fine"
    assert len(server.requests) == 4 and server.requests[0]["auth"] == "Bearer k"


def test_permanent_errors_are_not_retried():
    with ChatServer([(400, "bad request"), (200, "never")]) as server:
        llm = OpenAILLM("m", base_url=server.url, api_key="k", retry_wait=0.01)
        with pytest.raises(LLMError, match="request refused"):
            llm.complete([Message("user", "hi")])
    assert len(server.requests) == 1


def test_retries_give_up_after_the_limit():
    with ChatServer([(503, "down")] * 5) as server:
        llm = OpenAILLM("m", base_url=server.url, api_key="k", retry_wait=0.01)
        with pytest.raises(LLMError, match="after retries"):
            llm.complete([Message("user", "hi")])
    assert len(server.requests) == 5


def test_openai_without_key_or_server_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_llm(Settings(llm="openai"))


def test_langchain_chat_model_adapter():
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    llm = LangChainLLM(FakeListChatModel(responses=["def main(audio):\n    return 'ok'"]))
    out = llm.complete([Message("system", "rules"), Message("user", "question")])
    assert out.text == "def main(audio):\n    return 'ok'"


def test_langchain_spec_errors_are_clear():
    with pytest.raises(ConfigError, match="langchain:<module>:<factory>"):
        make_llm(Settings(llm="langchain:no_such_module:factory"))
    with pytest.raises(ConfigError, match="unknown LLM"):
        make_llm(Settings(llm="gpt5"))
