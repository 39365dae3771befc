"""Bad configuration is refused, never guessed: one line naming the option
or variable and the value, exit status 2, and the program never starts."""
import os
import socket
import subprocess

import pytest

from harness import LAUNCHER, LIBRARY, preload_by_hand

BAD_OPTIONS = [
    (["--timeout", "abc"], "--timeout", "abc"),
    (["-t", "-5s"], "--timeout", "-5s"),
    (["--timeout", "10h"], "--timeout", "10h"),
    (["--timeout", "0"], "--timeout", ""),
    (["--timeout", "1.5.2s"], "--timeout", "1.5.2s"),
    (["--drain-timeout", "30s"], "--drain-timeout", "30s"),
    (["--cleanup-timeout", "40s"], "--cleanup-timeout", "40s"),
    (["-t", "10s", "--drain-timeout", "8s", "--cleanup-timeout", "5s"], "--drain-timeout", "8s"),
    (["--delay", "30s"], "--delay", "30s"),
    (["--delay", "soon"], "--delay", "soon"),
    (["--signals", "TERM,BOGUS"], "--signals", "BOGUS"),
    (["--signals", "KILL"], "--signals", "KILL"),
    (["-s", "SIGSTOP"], "--signals", "SIGSTOP"),
    (["-s", "TERM,,INT"], "--signals", "TERM,,INT"),
    (["-s", "SEGV"], "--signals", "SEGV"),
    (["-s", "99"], "--signals", "99"),
    (["--health", "nonsense"], "--health", "nonsense"),
    (["--health", "127.0.0.1:99999"], "--health", "127.0.0.1:99999"),
    (["--health", "localhost:8081"], "--health", "localhost:8081"),
    (["--report", ""], "--report", ""),
    (["--frobnicate"], "--frobnicate", ""),
    (["--timeout"], "--timeout", ""),
]

# (variable, value, what the message must show)
BAD_VARIABLES = [
    ("LASTCALL_TIMEOUT", "forever", "forever"),
    ("LASTCALL_TIMEOUT", "-1", "-1"),
    ("LASTCALL_DRAIN_TIMEOUT", "1m", "60s"),
    ("LASTCALL_CLEANUP_TIMEOUT", "x", "x"),
    ("LASTCALL_DELAY", "5 s", "5 s"),
    ("LASTCALL_SIGNALS", "TERM,NOPE", "NOPE"),
    ("LASTCALL_SIGNALS", "9", "9"),
    ("LASTCALL_LOG", "loud", "loud"),
    ("LASTCALL_HEALTH", "[::1]", "[::1]"),
    ("LASTCALL_REPORT", "", ""),
]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTCALL_") and k != "LD_PRELOAD"}
    env.update(extra)
    return env


def assert_refused(result, name, value, marker):
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2, result
    assert len(lines) == 1, lines
    assert lines[0].startswith("lastcall: ") and name in lines[0], lines[0]
    if value:
        assert value in lines[0], lines[0]
    assert not marker.exists(), "the program must not start"


@pytest.mark.parametrize("args,name,value", BAD_OPTIONS, ids=[" ".join(a) for a, _, _ in BAD_OPTIONS])
def test_launcher_refuses_bad_option(tmp_path, args, name, value):
    marker = tmp_path / "started"
    result = subprocess.run([LAUNCHER, *args, "--", "touch", str(marker)],
                            env=clean_env(), capture_output=True, timeout=10)
    assert_refused(result, name, value, marker)


VARIABLE_IDS = [f"{k}={v}" for k, v, _ in BAD_VARIABLES]


@pytest.mark.parametrize("variable,value,shown", BAD_VARIABLES, ids=VARIABLE_IDS)
def test_launcher_refuses_bad_variable(tmp_path, variable, value, shown):
    marker = tmp_path / "started"
    result = subprocess.run([LAUNCHER, "touch", str(marker)], env=clean_env(**{variable: value}),
                            capture_output=True, timeout=10)
    assert_refused(result, variable, shown, marker)


@pytest.mark.parametrize("variable,value,shown", BAD_VARIABLES, ids=VARIABLE_IDS)
def test_library_loaded_by_hand_refuses_bad_variable_before_main(tmp_path, variable, value, shown):
    marker = tmp_path / "started"
    result = subprocess.run(["touch", str(marker)],
                            env=clean_env(LD_PRELOAD=preload_by_hand(), **{variable: value}),
                            capture_output=True, timeout=10)
    assert_refused(result, variable, shown, marker)


def test_health_address_in_use_is_refused(tmp_path):
    marker = tmp_path / "started"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run([LAUNCHER, "--health", f"127.0.0.1:{port}", "--", "touch", str(marker)],
                                env=clean_env(), capture_output=True, timeout=10)
    assert_refused(result, "--health", f"127.0.0.1:{port}", marker)
    assert "cannot bind" in result.stderr.decode()


def test_good_configuration_runs_the_program_with_the_same_pid(tmp_path):
    script = tmp_path / "pid.sh"
    script.write_text('#!/bin/sh\necho "$$ $LD_PRELOAD"\n')
    script.chmod(0o755)
    proc = subprocess.Popen([LAUNCHER, "-t", "1500ms", "-d", "0.5s", "-s", "SIGTERM,2,hup", "-v",
                             "--", str(script)], env=clean_env(LD_PRELOAD="/nonexistent.so"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=10)
    pid, preload = out.decode().split(" ", 1)
    assert proc.returncode == 0, err
    assert int(pid) == proc.pid  # exec, not fork: signals reach the program
    assert preload.split()[0] == LIBRARY  # prepended, absolute
    assert preload.split()[1] == "/nonexistent.so"


def test_static_program_gets_a_warning_and_still_runs(tmp_path):
    static = tmp_path / "static"
    source = tmp_path / "s.c"
    source.write_text("int main(void) { return 7; }\n")
    if subprocess.run(["cc", "-static", "-o", str(static), str(source)], capture_output=True).returncode:
        pytest.skip("no static libc to build a static program")
    result = subprocess.run([LAUNCHER, "--", str(static)], env=clean_env(), capture_output=True, timeout=10)
    assert result.returncode == 7
    assert "statically linked" in result.stderr.decode()
