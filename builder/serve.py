"""``python build.py serve``: live preview with drafts, rebuild on change, reload open pages.

The preview is built (drafts and scheduled notices included) into a private
folder, ``SITE/.cache/serve-output``, never into ``output/``.  A small script is
added to every HTML response (not to the built files): it long-polls
``/__reload`` and reloads the page when a new build is ready.  When a build
fails, every page is replaced by an error page listing file, line and message.
"""

from __future__ import annotations

import html
import json
import mimetypes
import posixpath
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import cache
from .diagnostics import BuildError, Diagnostic
from .pipeline import BuildOptions, build
from .report import Reporter

PREVIEW_DIR = ".cache/serve-output"
RELOAD_PATH = "/__reload"
DEBOUNCE = 0.15  # seconds of quiet before a rebuild: editors save several files at once
LONG_POLL = 25.0
WATCHED_FILES = ("site.yaml", "terms.yaml", "pronunciations.yaml")
WATCHED_DIRS = ("content", "templates")
IGNORED_PARTS = {".cache", "output", ".git", "__pycache__", "node_modules"}

RELOAD_SCRIPT = """<script>/* serve: live reload (preview only, not in the built site) */
(function () {
  var id = %s;
  function poll() {
    fetch("%s?since=" + encodeURIComponent(id), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) { if (d.id !== id) { location.reload(); } else { poll(); } })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
"""


@dataclass(frozen=True)
class BuildState:
    id: int
    ok: bool
    error_page: bytes = b""
    seconds: float = 0.0


class Preview:
    """The current build and a condition to wait for the next one."""

    def __init__(self, site_dir: Path, output_dir: Path, host: str, port: int, jobs: int | None,
                 reporter: Reporter):
        self.site_dir = site_dir
        self.output_dir = output_dir
        self.base_url = f"http://{host}:{port}/"
        self.host, self.port = host, port  # the names the server answers to (Host: header)
        self.jobs = jobs
        self.reporter = reporter
        self.cond = threading.Condition()
        self.state = BuildState(0, False, error_page(0, [], "正在生成预览……"))
        self._build_lock = threading.Lock()
        cache.REMEMBER = True  # every rebuild reuses the cache tables already decoded in this process

    def rebuild(self) -> BuildState:
        with self._build_lock:
            started = time.perf_counter()
            options = BuildOptions(site_dir=self.site_dir, output_dir=self.output_dir, base_url=self.base_url,
                                   include_drafts=True, jobs=self.jobs if self.jobs is not None else 1,
                                   fresh_search=False)
            next_id = self.state.id + 1
            try:
                result = build(options, Reporter())
            except BuildError as exc:
                errors = [d for d in exc.diagnostics if d.level == "error"]
                state = BuildState(next_id, False, error_page(next_id, exc.diagnostics))
                self.reporter.note(f"构建失败：{len(errors)} 个错误，浏览器中显示错误页；改正后会自动恢复。")
                for item in errors[:20]:
                    self.reporter.note("  " + item.format())
            except Exception as exc:  # noqa: BLE001 - a template error or a builder bug: show it, keep serving
                detail = _template_error(exc)
                state = BuildState(next_id, False, error_page(next_id, detail[0], detail[1]))
                self.reporter.note("构建失败（" + (detail[1] or "内部错误") + "），浏览器中显示错误页。")
            else:
                seconds = time.perf_counter() - started
                state = BuildState(next_id, True, seconds=seconds)
                self.reporter.note(f"已重新生成（{result.pages} 个页面，{seconds:.2f} 秒）。")
            with self.cond:
                self.state = state
                self.cond.notify_all()
            return state

    def wait(self, since: str, timeout: float) -> BuildState:
        deadline = time.monotonic() + timeout
        with self.cond:
            while str(self.state.id) == since:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return self.state


def _template_error(exc: Exception) -> tuple[list[Diagnostic], str]:
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = exc.filename or exc.name or "templates"
        return [Diagnostic(str(path), exc.lineno or 0, 0, "error", "template-syntax",
                           f"模板语法错误：{exc.message}")], "模板语法错误"
    if isinstance(exc, jinja2.TemplateError):
        return [Diagnostic("templates", 0, 0, "error", "template-error", f"模板错误：{exc}")], "模板错误"
    return [Diagnostic("（程序）", 0, 0, "error", "internal-error",
                       "内部错误：这是程序缺陷而不是内容问题，请把下面的信息发给技术人员。\n" + traceback.format_exc())], "内部错误"


def error_page(build_id: int, items: list[Diagnostic], heading: str = "构建出错，网站没有更新") -> bytes:
    errors = [d for d in items if d.level == "error"]
    warnings = [d for d in items if d.level != "error"]
    rows = []
    for d in errors + warnings:
        where = html.escape(d.path) + (f"，第 {d.line} 行" if d.line else "") + (f"第 {d.column} 列" if d.column else "")
        kind = "错误" if d.level == "error" else "警告"
        rows.append(f'<li class="{d.level}"><p class="where"><strong>{kind}</strong> {where}</p>'
                    f'<pre>{html.escape(d.message)}</pre></li>')
    advice = ("请按下面的提示修改文件并保存，页面会自动刷新。" if errors else "")
    body = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>构建出错 - 预览</title>
<style>
body {{ font: 18px/1.7 "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }}
h1 {{ color: #b00; font-size: 1.6em; }}
li {{ margin: 0 0 1em; padding: .5em 1em; border-left: 6px solid #b00; background: #fff4f4; list-style: none; }}
li.warning {{ border-color: #c80; background: #fffaf0; }}
pre {{ white-space: pre-wrap; font: inherit; margin: .2em 0; }}
ul {{ padding: 0; }}
</style></head>
<body>
<h1>{html.escape(heading)}</h1>
<p>{advice}共 {len(errors)} 个错误、{len(warnings)} 个警告。</p>
<ul>
{"".join(rows)}
</ul>
</body>
</html>
"""
    return inject(body.encode("utf-8"), build_id)


def inject(page: bytes, build_id: int) -> bytes:
    script = (RELOAD_SCRIPT % (json.dumps(str(build_id)), RELOAD_PATH)).encode("utf-8")
    index = page.rfind(b"</body>")
    if index < 0:
        return page + script
    return page[:index] + script + page[index:]


LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def host_allowed(header: str | None, bound: str, port: int) -> bool:
    """Is ``Host:`` one of this server's own names (localhost, 127.0.0.1, ::1, the bound host),
    with this server's port or none?"""
    if not header:
        return False
    value = header.strip().lower()
    name, _, rest = value.rpartition(":") if not value.endswith("]") else (value, "", "")
    if name and rest.isdigit():
        if int(rest) != port:
            return False
        value = name
    elif ":" in value and not value.startswith("["):  # a bare IPv6 address, or garbage
        return False
    allowed = set(LOCAL_NAMES)
    if bound and bound not in ("0.0.0.0", "::", ""):
        allowed |= {bound.lower(), f"[{bound.lower()}]"}
    return value in allowed


def make_handler(preview: Preview):
    class Handler(BaseHTTPRequestHandler):
        server_version = "NoticePreview"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
            pass  # keep the terminal for build messages

        def do_HEAD(self) -> None:  # noqa: N802 - stdlib API
            self._serve(head=True)

        def do_GET(self) -> None:  # noqa: N802 - stdlib API
            self._serve(head=False)

        def _send(self, status: int, body: bytes, content_type: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _serve(self, head: bool) -> None:
            if not host_allowed(self.headers.get("Host"), preview.host, preview.port):
                # DNS rebinding: a page on another site must not read the drafts through this server
                self._send(HTTPStatus.FORBIDDEN, "403：只接受以本机地址访问预览（localhost、127.0.0.1 或 --host 指定的地址）。"
                           .encode("utf-8"), "text/plain; charset=utf-8", head)
                return
            url = urlsplit(self.path)
            if url.path == RELOAD_PATH:
                since = parse_qs(url.query).get("since", [""])[0]
                state = preview.wait(since, LONG_POLL)
                body = json.dumps({"id": str(state.id), "ok": state.ok}).encode("utf-8")
                self._send(HTTPStatus.OK, body, "application/json; charset=utf-8", head)
                return
            state = preview.state
            rel = posixpath.normpath(unquote(url.path)).lstrip("/")
            if rel in ("", "."):
                rel = "index.html"
            if rel.startswith("..") or "\\" in rel or "\0" in rel:
                self._send(HTTPStatus.BAD_REQUEST, b"bad path", "text/plain; charset=utf-8", head)
                return
            target = preview.output_dir / rel
            if target.is_dir():
                if not url.path.endswith("/"):
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", url.path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = target / "index.html"
            is_html = target.suffix == ".html" or not target.suffix
            if not state.ok and is_html:
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, state.error_page, "text/html; charset=utf-8", head)
                return
            status = HTTPStatus.OK
            if not target.is_file():
                status = HTTPStatus.NOT_FOUND
                target = preview.output_dir / "404.html"
                is_html = True
                if not target.is_file():
                    self._send(status, "找不到这个页面".encode("utf-8"), "text/plain; charset=utf-8", head)
                    return
            try:
                data = target.read_bytes()
            except OSError:  # swapped away by a rebuild between the check and the read
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, "正在重新生成，请刷新".encode("utf-8"),
                           "text/plain; charset=utf-8", head)
                return
            if is_html:
                self._send(status, inject(data, state.id), "text/html; charset=utf-8", head)
                return
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "application/xml"):
                kind += "; charset=utf-8"
            self._send(status, data, kind, head)

    return Handler


class Debouncer:
    """Run ``action`` once, ``delay`` seconds after the last of a burst of ``trigger()`` calls."""

    def __init__(self, delay: float, action):
        self.delay = delay
        self.action = action
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def trigger(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self.action)
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()


def relevant(site_dir: Path, path: str) -> bool:
    """Does a change to ``path`` affect the site?"""
    try:
        rel = Path(path).resolve().relative_to(site_dir)
    except ValueError:
        return False
    parts = rel.parts
    if not parts or any(p in IGNORED_PARTS for p in parts):
        return False
    name = parts[-1]
    if name.startswith((".#", "~$")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913":
        return False
    if len(parts) == 1:
        return name in WATCHED_FILES or name.endswith((".yaml", ".yml"))
    return parts[0] in WATCHED_DIRS or name.endswith((".yaml", ".yml"))  # e.g. data/pron.yaml


def watch(site_dir: Path, on_change):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [event.src_path, getattr(event, "dest_path", "")]
            if any(p and relevant(site_dir, p) for p in paths):
                on_change()

    observer = Observer()
    handler = Handler()
    observer.schedule(handler, str(site_dir), recursive=False)
    for name in WATCHED_DIRS:
        if (site_dir / name).is_dir():
            observer.schedule(handler, str(site_dir / name), recursive=True)
    from .pipeline import site_yaml_files

    for folder in sorted({f.parent for f in site_yaml_files(site_dir)} - {site_dir}):
        observer.schedule(handler, str(folder), recursive=False)  # a lexicon in a subfolder
    observer.daemon = True
    observer.start()
    return observer


def serve(site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000, jobs: int | None = None,
          reporter: Reporter) -> int:
    site_dir = site_dir.resolve()
    if not (site_dir / "site.yaml").is_file():
        reporter.note(f"找不到站点配置文件 {site_dir / 'site.yaml'}，请用 --site 指定站点目录")
        return 1
    output_dir = site_dir / PREVIEW_DIR
    try:
        server = ThreadingHTTPServer((host, port), None)  # handler set below, once the port is ours
    except OSError as exc:
        reporter.note(f"无法在 {host}:{port} 上启动预览（{exc.strerror}）：端口可能已被占用，请用 --port 换一个，例如 --port 8001")
        return 1
    server.daemon_threads = True
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    actual_port = server.server_address[1]
    preview = Preview(site_dir, output_dir, host, actual_port, jobs, reporter)
    server.RequestHandlerClass = make_handler(preview)
    debouncer = Debouncer(DEBOUNCE, preview.rebuild)
    observer = None
    try:
        preview.rebuild()
        observer = watch(site_dir, debouncer.trigger)
        shown = f"[{host}]" if ":" in host else host
        reporter.note(f"预览地址：http://{shown}:{actual_port}/ （含草稿和定时公告；修改 content/、templates/、site.yaml、"
                      f"词表后自动刷新；按 Ctrl-C 停止）")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        debouncer.cancel()
        if observer is not None:
            observer.stop()
        server.server_close()
    reporter.note("预览已停止。")
    sys.stderr.flush()
    return 0
