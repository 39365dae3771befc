"""apache2 (mpm_prefork, its default "AcceptFilter http data", which is
TCP_DEFER_ACCEPT): its SIGTERM kills its children at once and cuts the
downloads. Under lastcall they complete; the deferred accepts' dropped
ACKs are not taken for a backlog overflow (no 2 s patience, new clients
refused at once), the exit follows the last byte; and apache's error log
holds no line its own stop lacks."""
import os
import re
import signal
import time

from harness import Outcome, connect_refused, free_port, http_get, in_thread, world_readable_dir

SIZE = 4 * 1024 * 1024


def apache_setup(port):
    # apache's children run as www-data: what they read must be reachable
    root = world_readable_dir()
    www = os.path.join(root, "www")
    os.mkdir(www)
    os.chmod(www, 0o755)
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(os.urandom(SIZE))
    os.chmod(os.path.join(www, "big.bin"), 0o644)
    os.mkdir(os.path.join(root, "run"))
    conf = os.path.join(root, "apache2.conf")
    with open(conf, "w") as f:
        f.write(f"""ServerRoot {root}
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {root}/run/apache2.pid
Mutex file:{root}/run default
ErrorLog /dev/stderr
LogLevel notice
DocumentRoot {www}
User www-data
Group www-data
StartServers 4
MinSpareServers 4
MaxSpareServers 8
<Directory {www}>
    Require all granted
</Directory>
""")
    return conf


def downloads(port, count=3):
    outcomes = [Outcome() for _ in range(count)]
    for outcome in outcomes:
        in_thread(http_get, port, "/big.bin", outcome, 65536, 0.01, rcvbuf=32768)
    for outcome in outcomes:
        assert outcome.started.wait(10)
    return outcomes


def start(servers, port, under):
    # own session: apache's parent signals its whole process group at a stop
    server = servers(["apache2", "-DFOREGROUND", "-f", apache_setup(port)],
                     lastcall_args=() if under else None, log_level="info", own_session=True)
    server.wait_for(r"resuming normal operations")
    return server


def test_apache_downloads_complete_without_overflow_patience(servers):
    port = free_port()
    server = start(servers, port, True)
    got = downloads(port)
    server.send(signal.SIGTERM)
    server.wait_for(r"listeners closed \(1")
    began = time.monotonic()
    assert connect_refused(port, timeout=1.0) and time.monotonic() - began < 0.5, \
        "a new client hung"
    for outcome in got:
        assert outcome.done.wait(30)
        assert outcome.ok and len(outcome.body) == SIZE, outcome
    assert server.wait_exit(20) == 0, server.stderr_text()
    assert not server.has_line(r"overflowed"), server.stderr_text()
    last_byte = max(o.done_time for o in got)
    after = server.exit_time - last_byte
    print(f"\napache2: exit {after * 1000:+.0f} ms from the last byte")
    assert -0.05 <= after < 0.5, server.stderr_text()


def test_apache_alone_cuts_its_downloads(servers):
    port = free_port()
    server = start(servers, port, False)
    got = downloads(port)
    server.send(signal.SIGTERM)
    server.wait_exit(20)
    assert all(o.done.wait(30) for o in got)
    assert not any(o.ok for o in got), "control: apache's SIGTERM should cut downloads"


def program_lines(server):
    # times, pids and each run's own directory made alike
    return {re.sub(r"\d+", "N", re.sub(r"lastcall-test-[^/]+/", "DIR/", re.sub(r"^\[[^]]*\] ", "", line))).rstrip()
            for line in server.stderr_text().splitlines()
            if line.strip() and not line.startswith("lastcall[")}


def test_apaches_log_holds_nothing_its_own_stop_lacks(servers):
    lines = []
    for under in (False, True):
        port = free_port()
        server = start(servers, port, under)
        outcome = Outcome()
        http_get(port, "/big.bin", outcome)
        assert outcome.ok
        server.send(signal.SIGTERM)
        server.wait_exit(20)
        lines.append(program_lines(server))
    extra = sorted(lines[1] - lines[0])
    assert not extra, "apache2 under lastcall logged:\n" + "\n".join(extra)
