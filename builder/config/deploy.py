"""The ``deploy:`` section of ``site.yaml``: named targets, validated in one function.

Secrets never live here: site.yaml is in the repository, so a password, secret key
or private key in it is an error.  SSH authenticates with the SSH agent or with a key
file whose *path* comes from an environment variable; object storage reads its keys
from environment variables named by the target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .messages import unknown_key
from ..diagnostics import Diagnostics

TYPES = ("ssh", "s3")
SSH_KEYS = {"type", "host", "port", "user", "path", "method", "keep", "key_env", "known_hosts"}
S3_KEYS = {"type", "endpoint", "bucket", "prefix", "region", "addressing", "access_key_env", "secret_key_env"}
# Key names that can only mean a secret written into the repository.
SECRET_NAME = re.compile(r"(passw|passwd|pwd|secret|token|private|credential|access_key$|secret_key$|^key$|identity$)",
                         re.IGNORECASE)
SECRET_VALUE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|^(AKIA|LTAI)[0-9A-Za-z]{12,}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SshTarget:
    name: str
    host: str
    path: str  # remote folder holding releases/ and the `current` symlink
    user: str = ""
    port: int = 22
    method: str = "auto"  # auto | rsync | sftp
    keep: int = 5  # releases kept on the server
    key_env: str = "NOTICE_DEPLOY_SSH_KEY"  # environment variable holding the path of a private key file
    known_hosts: str = ""  # a known_hosts file (site-relative or absolute); empty: the user's own
    type: str = "ssh"

    @property
    def where(self) -> str:
        login = f"{self.user}@{self.host}" if self.user else self.host
        return f"{login}:{self.path}" + (f"（端口 {self.port}）" if self.port != 22 else "")


@dataclass(frozen=True)
class S3Target:
    name: str
    bucket: str
    endpoint: str = ""  # e.g. https://oss-cn-beijing.aliyuncs.com; empty: AWS
    prefix: str = ""  # folder inside the bucket, "" or ending in "/"
    region: str = ""
    addressing: str = "auto"  # auto | path | virtual
    access_key_env: str = "AWS_ACCESS_KEY_ID"
    secret_key_env: str = "AWS_SECRET_ACCESS_KEY"
    type: str = "s3"

    @property
    def where(self) -> str:
        return f"{self.endpoint or 's3'}/{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class DeployConfig:
    targets: tuple = ()  # SshTarget | S3Target, in site.yaml order

    def target(self, name: str):
        for t in self.targets:
            if t.name == name:
                return t
        return None


def without_deploy_section(text: bytes) -> bytes:
    """site.yaml without its top-level ``deploy:`` block: what the pages can depend on.

    Adding or editing a deploy target must not make the next build re-render every page.
    """
    out: list[bytes] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if re.match(rb"^deploy\s*:", line):
            skipping = True
            continue
        if skipping and line.strip() and not line[:1].isspace() and not line.lstrip().startswith(b"#"):
            skipping = False
        if not skipping:
            out.append(line)
    return b"".join(out).rstrip() + b"\n"  # blank lines left at the end move nothing


def _line(text: str, key: str) -> int:
    pattern = re.compile(r"^\s*-?\s*" + re.escape(str(key)) + r"\s*:")
    start = 1
    for no, line in enumerate(text.split("\n"), 1):
        if re.match(r"^deploy\s*:", line):
            start = no
            break
    for no, line in enumerate(text.split("\n")[start - 1:], start):
        if pattern.match(line):
            return no
    return start if start > 1 else 0


def _secret_message(where: str) -> str:
    return (f"site.yaml 中不能写密码或密钥（{where}）：site.yaml 保存在仓库里，能看到仓库的人都能看到它。"
            "请删除这一行（已经提交过的，请立即更换该密码或密钥），"
            "SSH 请改用 SSH agent 或由环境变量 key_env（默认 NOTICE_DEPLOY_SSH_KEY）给出私钥文件的路径，"
            "对象存储请把密钥放在 CI 的机密变量（环境变量 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY，"
            "或 access_key_env、secret_key_env 指定的变量名）中")


def _scan_secrets(value, where: str, text: str, diags: Diagnostics, rel: str) -> bool:
    """Report secret-looking keys or values anywhere below ``value``; True when one was found."""
    found = False
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{where}.{key}"
            if SECRET_NAME.search(str(key)) and not str(key).endswith("_env") and str(key) != "known_hosts":
                diags.error(rel, _line(text, key), "deploy-secret", _secret_message(sub))
                found = True
            else:
                found |= _scan_secrets(item, sub, text, diags, rel)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found |= _scan_secrets(item, f"{where}[{i}]", text, diags, rel)
    elif isinstance(value, str) and SECRET_VALUE.search(value.strip()):
        diags.error(rel, _line(text, where.rsplit(".", 1)[-1]), "deploy-secret", _secret_message(where))
        found = True
    return found


def parse_deploy(raw, text: str, diags: Diagnostics, rel: str = "site.yaml") -> DeployConfig:
    """Validate the ``deploy:`` section (``raw``: its parsed YAML value, ``text``: site.yaml's text).

    Every problem goes to ``diags``; the targets that are valid are returned.
    """
    if raw is None:
        return DeployConfig()
    if not isinstance(raw, dict):
        diags.error(rel, _line(text, "deploy"), "config-type",
                    "deploy 应当写成“目标名: {type: ssh, host: …, path: …}”的形式，见 docs/publishing.md")
        return DeployConfig()
    if _scan_secrets(raw, "deploy", text, diags, rel):
        return DeployConfig()
    targets = []
    for name, item in raw.items():
        name = str(name)
        where = f"deploy.{name}."

        def err(key: str, message: str, code: str = "config-value") -> None:
            diags.error(rel, _line(text, key), code, message)

        if not NAME_RE.match(name):
            err(name, f"部署目标名“{name}”只能由英文字母、数字、- 和 _ 组成")
            continue
        if not isinstance(item, dict):
            err(name, f"部署目标“{name}”应当写成 {{type: ssh, host: …, path: …}} 这样的字段", "config-type")
            continue
        kind = item.get("type", "ssh")
        if kind not in TYPES:
            err("type", f"配置项“{where}type”只能是 ssh 或 s3，现在是“{kind}”")
            continue
        known = SSH_KEYS if kind == "ssh" else S3_KEYS
        for key in item:
            if key not in known:
                unknown_key(diags, _line(text, key), key, known, f"部署目标“{name}”中有")
        ok = True

        def text_value(key: str, default: str | None = None) -> str:
            nonlocal ok
            value = item.get(key, default)
            if value is None:
                err(key, f"缺少必填配置项“{where}{key}”", "config-required")
                ok = False
                return ""
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                err(key, f"配置项“{where}{key}”应当是文字", "config-type")
                ok = False
                return ""
            return str(value).strip()

        def int_value(key: str, default: int, low: int, high: int) -> int:
            nonlocal ok
            value = item.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                err(key, f"配置项“{where}{key}”应当是 {low}～{high} 的整数，现在是“{value}”", "config-type")
                ok = False
                return default
            return value

        def env_name(key: str, default: str) -> str:
            nonlocal ok
            value = text_value(key, default)
            if value and not ENV_RE.match(value):
                err(key, f"配置项“{where}{key}”应当是环境变量的名字（如 {default}），不是密钥本身")
                ok = False
            return value

        if kind == "ssh":
            host = text_value("host")
            path = text_value("path")
            if host and (host.startswith("-") or not re.match(r"^[A-Za-z0-9._:\[\]-]+$", host)):
                err("host", f"配置项“{where}host”不是有效的主机名或 IP 地址：“{host}”")
                ok = False
            if path and (not path.startswith("/") or "\n" in path or path.rstrip("/") == ""):
                err("path", f"配置项“{where}path”应当是服务器上的绝对路径（如 /srv/www/site），且不能是根目录 /")
                ok = False
            user = text_value("user", "")
            if user and not re.match(r"^[A-Za-z0-9._][A-Za-z0-9._-]*$", user):
                err("user", f"配置项“{where}user”不是有效的用户名：“{user}”")
                ok = False
            method = text_value("method", "auto")
            if method not in ("auto", "rsync", "sftp"):
                err("method", f"配置项“{where}method”只能是 auto、rsync 或 sftp，现在是“{method}”")
                ok = False
            target = SshTarget(name=name, host=host, path=path.rstrip("/"), user=user,
                               port=int_value("port", 22, 1, 65535), method=method,
                               keep=int_value("keep", 5, 2, 100), key_env=env_name("key_env", "NOTICE_DEPLOY_SSH_KEY"),
                               known_hosts=text_value("known_hosts", ""))
        else:
            bucket = text_value("bucket")
            if bucket and not re.match(r"^[a-z0-9][a-z0-9.-]{1,62}$", bucket):
                err("bucket", f"配置项“{where}bucket”不是有效的存储桶名称：“{bucket}”")
                ok = False
            endpoint = text_value("endpoint", "")
            if endpoint and not re.match(r"^https?://[^/\s]+/?$", endpoint):
                err("endpoint", f"配置项“{where}endpoint”应当是 https://oss-cn-beijing.aliyuncs.com 这样的地址")
                ok = False
            prefix = text_value("prefix", "").strip("/")
            if ".." in prefix.split("/"):
                err("prefix", f"配置项“{where}prefix”不能包含 ..")
                ok = False
            addressing = text_value("addressing", "auto")
            if addressing not in ("auto", "path", "virtual"):
                err("addressing", f"配置项“{where}addressing”只能是 auto、path 或 virtual")
                ok = False
            target = S3Target(name=name, bucket=bucket, endpoint=endpoint.rstrip("/"),
                              prefix=prefix + "/" if prefix else "", region=text_value("region", ""),
                              addressing=addressing, access_key_env=env_name("access_key_env", "AWS_ACCESS_KEY_ID"),
                              secret_key_env=env_name("secret_key_env", "AWS_SECRET_ACCESS_KEY"))
        if ok:
            targets.append(target)
    return DeployConfig(tuple(targets))
