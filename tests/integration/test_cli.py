"""The command line as a user runs it: real subprocesses, exit codes, no tracebacks."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.migrate import head_revision
from tests.databases import database_url

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, kb_dir):
    return {**os.environ, "SME_CONFIG": str(REPO / "config.yaml"),
            "SME_DATABASE_URL": database_url(tmp_path, "cli", empty=True),
            "SME_KNOWLEDGE__DIR": str(kb_dir), "SME_KNOWLEDGE__SEMANTIC": "off"}


def cli(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def test_ask_json(env):
    done = cli(env, "ask", "--json", "试用期最长可以约定多久？")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["matched"] is True and data["id"] == "labor-probation-length"
    assert data["answer"].startswith("劳动合同期限") and data["score"] > 0
    assert data["suggestions"] == [] and data["question"] == "试用期最长可以约定多久？"
    assert data["decision"] == "answered" and 0 < data["confidence"] <= 1
    assert data["source"].startswith("《中华人民共和国劳动合同法》") and data["updated"] == "2026-11-27"
    assert isinstance(data["related"], list) and data["mode"] == "lexical"


def test_ask_batch_from_stdin(env):
    questions = ["试用期最长可以约定多久", "明天会不会下雨呢", "", "高企"]
    done = cli(env, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert rows[0]["matched"] and not rows[1]["matched"] and rows[1]["answer"] is None
    assert rows[2]["error"] == "empty"
    assert set(rows[3]) >= {"question", "matched", "id", "score", "answer", "suggestions"}


def test_ask_text_and_kb_override(env, kb_dir):
    done = cli(env, "ask", "--kb", str(kb_dir), "老赖怎么查")
    assert done.returncode == 0 and "中国执行信息公开网" in done.stdout and "来源" in done.stdout


def test_kb_check_ok_and_failing(env, kb_dir):
    ok = cli(env, "kb", "check", str(kb_dir))
    assert ok.returncode == 0 and "6 条" in ok.stdout
    (kb_dir / "bad.yaml").write_text("- id: x\n  question: [\n", encoding="utf-8")
    bad = cli(env, "kb", "check", str(kb_dir))
    assert bad.returncode == 1
    assert "bad.yaml:" in bad.stderr and "Traceback" not in bad.stderr


def test_stale_calibration_fails_check_until_recalibrated(env, kb_dir):
    text = (kb_dir / "labor.yaml").read_text(encoding="utf-8")
    (kb_dir / "labor.yaml").write_text(text.replace("- 试用期能签半年吗", "- 试用期能签半年不"),
                                       encoding="utf-8")
    assert cli(env, "kb", "check", str(kb_dir)).returncode == 1
    calibrated = cli(env, "kb", "calibrate", "--kb", str(kb_dir))
    assert calibrated.returncode == 0 and "lexical" in calibrated.stdout
    assert cli(env, "kb", "check", str(kb_dir)).returncode == 0


def test_ask_with_broken_knowledge_base_explains(env, kb_dir):
    (kb_dir / "bad.yaml").write_text("- id: X Y\n", encoding="utf-8")
    done = cli(env, "ask", "试用期")
    assert done.returncode == 1 and "bad.yaml:1" in done.stderr and "Traceback" not in done.stderr


def test_kb_export_json(env):
    done = cli(env, "kb", "export", "--json")
    entries = json.loads(done.stdout)
    assert len(entries) == 6
    assert set(entries[0]) >= {"id", "question", "alternates", "answer", "source", "updated"}


def test_db_upgrade_and_bad_config(env):
    done = cli(env, "db", "upgrade")
    assert "alembic" not in done.stdout + done.stderr  # what make run prints first
    assert done.returncode == 0 and head_revision() in done.stdout
    bad = cli({**env, "SME_KNOWLEDGE__SEMANTIC": "sometimes"}, "ask", "x")
    assert bad.returncode == 2 and "knowledge.semantic" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_chat_over_stdin(env):
    done = cli(env, "chat", stdin="试用期最长可以约定多久\n/quit\n")
    assert done.returncode == 0, done.stderr
    assert "第19条" in done.stdout and "再见" in done.stdout


def test_the_bot_token_never_reaches_the_logs(env):
    """Run the real bot against an unreachable API briefly: whatever it logs has no token."""
    import signal

    token = "123456:SECRET-token-value"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=REPO, text=True,
        env={**env, "TELEGRAM_BOT_TOKEN": token, "SME_LOGGING__LEVEL": "DEBUG",
             "SME_TELEGRAM__BASE_URL": "http://127.0.0.1:9/bot"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=20)[0]
    assert "SECRET-token-value" not in output
    assert output  # it did log something (the failed start)


async def test_updates_failed_lists_the_parked_updates(env):
    from storage.db import create_engine, session_factory
    from storage.inbound import InboundStore
    from storage.migrate import upgrade

    engine = create_engine(env["SME_DATABASE_URL"])
    try:
        await upgrade(engine)
        done = cli(env, "updates", "failed")
        assert done.returncode == 0 and "#" not in done.stdout, done.stderr
        store = InboundStore(session_factory(engine), max_attempts=2)
        for update_id in (41, 42, 43):
            await store.record(update_id, json.dumps({"update_id": update_id, "message": "x"}))
        assert not await store.failed(41, "unparseable update: AttributeError: 'str'")
        assert await store.failed(41, "unparseable update: AttributeError: 'str'")
        assert not await store.failed(42, "RuntimeError: once")  # still to be tried again
    finally:
        await engine.dispose()
    done = cli(env, "updates", "failed")
    assert done.returncode == 0, done.stderr
    assert "#41" in done.stdout and "AttributeError" in done.stdout
    assert "#42" not in done.stdout and "#43" not in done.stdout


def test_chat_prints_no_log_line_and_ends_on_end_of_input(env, tmp_path):
    """Warnings (a refused staff command, an uncalibrated knowledge base) go to the chat's
    log file; Ctrl-D (end of input) says goodbye on a new line, exit code 0."""
    log = tmp_path / "chat.log"
    done = cli({**env, "SME_LOGGING__CHAT_FILE": str(log)}, "chat",
               stdin="/as staff\n/broadcast_send 99\n/as enterprise\n")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stdout + done.stderr and done.stderr == ""
    assert "staff action" in log.read_text(encoding="utf-8")
    assert done.stdout.endswith("\n\n再见！祝生意兴隆。\n")


def interruptible() -> None:
    """In the child: Ctrl-C as a terminal delivers it. A test run started in the background
    by a shell without job control inherits an ignored SIGINT, which the chat would keep."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_chat_ends_cleanly_on_ctrl_c(env, tmp_path):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "bot", "chat"], cwd=REPO, text=True,
                            env={**env, "SME_LOGGING__CHAT_FILE": str(tmp_path / "chat.log")},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=interruptible)
    proc.stdin.write("/new\n")
    proc.stdin.flush()
    out = ""
    deadline = time.monotonic() + 60
    while "请选择需求类别" not in out and time.monotonic() < deadline:
        out += proc.stdout.readline()  # waiting on the chat's output, not on a clock
    proc.send_signal(signal.SIGINT)  # the terminal's Ctrl-C, with the reader blocked on stdin
    rest, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0, errors
    assert errors == "" and "Traceback" not in rest
    assert rest.endswith("没有完成的需求填写已保存，下次启动时接着填写。\n再见！祝生意兴隆。\n")


def test_ctrl_c_at_the_terminal_reaches_the_chat_alone(env, tmp_path):
    """In a real terminal, Ctrl-C goes to the terminal's foreground process group: `make run`
    (here a shell) must not be killed with the chat, so the chat takes the foreground."""
    import pty
    import select
    import signal
    import time

    script = f"{sys.executable} -m bot chat; echo chat-exit=$?"
    pid, master = pty.fork()
    if pid == 0:  # the child: a shell in a new session on the terminal, as make would run it
        interruptible()
        os.chdir(REPO)
        os.execve("/bin/sh", ["/bin/sh", "-c", script],
                  {**env, "SME_LOGGING__CHAT_FILE": str(tmp_path / "chat.log")})
    seen = b""

    def read_until(marker: bytes, seconds: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while marker not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:  # the terminal closed
                    return

    try:
        read_until("> ".encode())  # the prompt: the chat is waiting for input
        os.write(master, b"\x03")  # Ctrl-C as typed
        read_until(b"chat-exit=")
        read_until(b"\n", 5)
    finally:
        os.close(master)
        child = os.pidfd_open(pid)  # readable when the shell has exited
        if not select.select([child], [], [], 30)[0]:  # a hung chat fails the test, not CI
            os.killpg(pid, signal.SIGKILL)
        os.close(child)
        os.waitpid(pid, 0)
    text = seen.decode("utf-8", "replace")
    assert "再见！祝生意兴隆。" in text and "chat-exit=0" in text, text
