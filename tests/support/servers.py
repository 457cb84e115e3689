"""Real servers on loopback for the deploy tests: OpenSSH sshd, nginx, an S3 endpoint (moto).

Each is started by the test on a free port with throwaway keys and configuration in a
temporary folder; the system's own sshd and nginx configuration is never read or touched.
A tool that is not installed skips the test locally and fails it in CI (``CI`` set), where
``bash tools/setup.sh --dev`` installs openssh-server, rsync and nginx.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
NGINX = "/usr/sbin/nginx"


def require(path_or_name: str) -> str:
    found = path_or_name if os.path.isfile(path_or_name) else shutil.which(path_or_name)
    if not found:
        message = f"{path_or_name} is not installed: run `bash tools/setup.sh --dev`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {proc.stderr.read().decode(errors='replace') if proc.stderr else ''}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SshServer:
    def __init__(self, folder: Path, port: int, user: str, client_key: Path, known_hosts: Path):
        self.folder, self.port, self.user = folder, port, user
        self.client_key, self.known_hosts = client_key, known_hosts

    def ssh(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ssh", "-p", str(self.port), "-i", str(self.client_key), "-o", "IdentitiesOnly=yes",
                               "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={self.known_hosts}",
                               "-o", "StrictHostKeyChecking=yes", f"{self.user}@127.0.0.1", command],
                              capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def sshd(folder: Path):
    """An OpenSSH server on 127.0.0.1 accepting one throwaway key for the current user."""
    require(SSHD)
    require("ssh")
    folder.mkdir(parents=True, exist_ok=True)
    host_key, client_key = folder / "host_ed25519", folder / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "notice-pipeline-test", "-f", str(key)],
                       check=True, capture_output=True)
    (folder / "authorized_keys").write_text((folder / "client_ed25519.pub").read_text())
    os.chmod(folder / "authorized_keys", 0o600)
    port = free_port()
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} " + (folder / "host_ed25519.pub").read_text())
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nAuthorizedKeysFile {folder}/authorized_keys\n"
        f"PidFile {folder}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups 50:30:100\nMaxSessions 50\n")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc, "sshd")
        yield SshServer(folder, port, getpass.getuser(), client_key, known)
    finally:
        stop(proc)


@contextlib.contextmanager
def nginx(folder: Path, root: Path):
    """nginx on 127.0.0.1 with the configuration ``deploy --nginx-config`` prints (HTTP only)."""
    require(NGINX)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    from builder.deploy.nginx import nginx_config

    server = nginx_config("127.0.0.1", str(root), https=False, port=port)
    server = server.replace(f"    listen [::]:{port};\n", "")  # loopback IPv4 only in tests
    (folder / "site.conf").write_text(server, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""  # the worker must read files under a 0700 pytest folder
    main = (f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
            f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n  scgi_temp_path {folder}/scgi;\n"
            f"  include {folder}/site.conf;\n}}\n")
    (folder / "nginx.conf").write_text(main, encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-q", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc, "nginx")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(proc)


@contextlib.contextmanager
def s3_endpoint(folder: Path):
    """moto's S3 server (a separate process, real HTTP) on 127.0.0.1."""
    try:
        import moto.server  # noqa: F401
        import boto3  # noqa: F401
    except ImportError:
        require("moto[server] and boto3")
    port = free_port()
    env = dict(os.environ, MOTO_ALLOW_NONEXISTENT_REGION="true")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_port(port, proc, "moto server", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
