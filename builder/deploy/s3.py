"""S3-compatible object storage (Aliyun OSS, Tencent COS, Huawei OBS, MinIO, AWS) through boto3.

Object storage has no atomic switch, so the order is what keeps visitors safe:
files pages link to first (each group uploaded in parallel, the next group only after it), then the pages, the home page and feeds last, and
deletions only after every page that linked to a deleted file is replaced.  Each
object gets its Content-Type (with charset) and Cache-Control from
:mod:`builder.deploy.media`, and a Content-MD5 the store verifies.  The target's
state is its object listing: size and ETag (the MD5 of an object uploaded in one
part, which is how every object here is uploaded).
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..config.deploy import S3Target
from .errors import DeployError
from .media import cache_control, content_type, upload_rank
from .plan import Plan

PARALLEL = 8  # uploads in flight within one rank


class S3Backend:
    def __init__(self, target: S3Target, site_dir: Path, reporter=None):
        self.t = target
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise DeployError("没有安装 boto3，无法发布到对象存储：python3 -m pip install -r requirements.txt") from exc
        access = os.environ.get(target.access_key_env, "")
        secret = os.environ.get(target.secret_key_env, "")
        if not access or not secret:
            raise DeployError(f"部署目标“{target.name}”需要对象存储的访问密钥：请在 CI 的机密变量中设置环境变量 "
                              f"{target.access_key_env} 和 {target.secret_key_env}")
        style = {"auto": "auto", "path": "path", "virtual": "virtual"}[target.addressing]
        self.client = boto3.client(
            "s3", endpoint_url=target.endpoint or None, region_name=target.region or None,
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": style}, retries={"max_attempts": 4, "mode": "standard"},
                          connect_timeout=20, read_timeout=120,
                          request_checksum_calculation="when_required", response_checksum_validation="when_required"),
        )
        self.current = ""

    def _fail(self, exc: Exception, doing: str) -> DeployError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            why = "访问被拒绝：请检查访问密钥和存储桶权限"
        elif code in ("NoSuchBucket", "404"):
            why = f"存储桶“{self.t.bucket}”不存在"
        else:
            why = f"{type(exc).__name__}: {exc}"
        return DeployError(f"部署目标“{self.t.name}”（{self.t.where}）{doing}失败：{why}")

    def lock(self) -> None:  # object storage has no lock; the CI runs one deploy at a time
        pass

    def unlock(self) -> None:
        pass

    def remote_state(self) -> dict[str, tuple[int, str | None]]:
        remote: dict[str, tuple[int, str | None]] = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.t.bucket, Prefix=self.t.prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.t.prefix):]
                    if not key or key.startswith(".notice-pipeline/"):
                        continue
                    etag = obj.get("ETag", "").strip('"')
                    remote[key] = (int(obj["Size"]), etag if "-" not in etag else None)
        except Exception as exc:  # noqa: BLE001 - botocore raises many kinds; all are the environment
            raise self._fail(exc, "读取文件列表") from exc
        return remote

    def apply(self, plan: Plan, output: Path, record: dict) -> tuple[str, "Transfer"]:
        from .ssh import Transfer

        transfer = Transfer(files=0, bytes=0, method="s3")
        # One rank at a time (see media.upload_rank), the files of a rank in parallel: a page is
        # still uploaded only after everything it links to is in place.
        added = set(plan.added)
        groups: dict[tuple[int, bool], list[str]] = {}
        for path in plan.uploads:  # new files of a rank before changed ones (a changed page may link to a new one)
            groups.setdefault((upload_rank(path), path not in added), []).append(path)

        def put(path: str) -> int:
            data = (output / path).read_bytes()
            try:
                self.client.put_object(
                    Bucket=self.t.bucket, Key=self.t.prefix + path, Body=data,
                    ContentType=content_type(path), CacheControl=cache_control(path),
                    ContentMD5=base64.b64encode(bytes.fromhex(plan.local[path].md5)).decode("ascii"))
            except Exception as exc:  # noqa: BLE001
                raise self._fail(exc, f"上传 {path} ") from exc
            return len(data)

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            for rank in sorted(groups):
                for size in pool.map(put, groups[rank]):
                    transfer.files += 1
                    transfer.bytes += size
        transfer.wire_bytes = transfer.bytes
        deleted = list(plan.deleted)
        for start in range(0, len(deleted), 1000):
            batch = deleted[start:start + 1000]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.t.bucket,
                    Delete={"Objects": [{"Key": self.t.prefix + p} for p in batch], "Quiet": True})
            except Exception as exc:  # noqa: BLE001
                raise self._fail(exc, "删除旧文件") from exc
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise DeployError(f"部署目标“{self.t.name}”删除 {first.get('Key')} 失败：{first.get('Message')}")
        return "", transfer

    def rollback(self, to: str = "") -> str:
        raise DeployError(f"部署目标“{self.t.name}”是对象存储，不保存历史版本，无法回滚。"
                          "请在仓库中撤销（git revert）有问题的提交，再运行一次 python build.py deploy", code=2)
