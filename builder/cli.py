"""Command line: ``python build.py [build|check|...] [options]``."""

from __future__ import annotations

import argparse
import errno
import re
import sys
import traceback
from pathlib import Path

from . import __version__
from .diagnostics import BuildError
from .diagformat import FORMATS, render as render_diagnostics
from .ownership import refusal
from .publish import PartialSync
from .site import EpochProblem, source_date_epoch
from .pipeline import BuildOptions, build, check, summary_line
from .report import ConsoleReporter

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("build", "check", "speak", "new", "serve", "deploy")
SITE_HELP = ("站点目录（含 site.yaml、content/，可选 templates/），默认是当前目录（须含 site.yaml）"
             " / site folder (default: the current folder, which must hold site.yaml)")


def default_site(cwd: Path) -> Path | None:
    """--site when it is not given: the current folder when it holds site.yaml (in the project
    root that is the example site); anywhere else there is no default."""
    cwd = cwd.resolve()
    return cwd if (cwd / "site.yaml").is_file() else None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535 or not text.strip().isascii():
        raise argparse.ArgumentTypeError(f"端口“{text}”无效，应当是 1 到 65535 之间的整数（0 表示任选一个空闲端口）")
    return port


def _base_url(text: str) -> str:
    if not re.match(r"^https?://[^/\s?#]+", text, re.ASCII | re.IGNORECASE) or any(c.isspace() or ord(c) < 32
                                                                                   for c in text):
        raise argparse.ArgumentTypeError(f"网址“{text[:80]}”无效：必须以 http:// 或 https:// 开头，"
                                         "例如 https://www.example.gov.cn/")
    return text


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=None, metavar="DIR", help=SITE_HELP)
    parser.add_argument("--output", type=Path, default=None, metavar="DIR",
                        help="输出目录 / output folder (default: SITE/output)")
    parser.add_argument("--base-url", type=_base_url, default=None, metavar="URL",
                        help="网站地址（http:// 或 https://），覆盖 site.yaml 的 base_url")
    parser.add_argument("--drafts", action="store_true", help="包含草稿和定时发布的公告（页面上标注 草稿 / 定时）")
    parser.add_argument("--strict", action="store_true", help="警告也视为错误 / warnings fail the build")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="并行进程数 / worker processes")
    parser.add_argument("--no-cache", action="store_true",
                        help="不使用增量缓存，完整重建（仍会更新缓存）/ ignore the incremental cache")
    parser.add_argument("--verbose", "-v", action="store_true", help="显示各阶段耗时 / show stage timings")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="公告发布流水线：把 content/ 中的公告生成网站、RSS/Atom 订阅源和村村响广播稿。\n"
                    "Notice Pipeline: builds the site, feeds and loudspeaker scripts from content/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"Notice Pipeline {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    build_parser = sub.add_parser("build", help="生成网站（默认命令）/ build the site")
    _common(build_parser)
    build_parser.add_argument("--audio", action="store_true",
                              help="用 espeak-ng 把广播稿生成 WAV 音频 / render broadcast scripts to WAV")
    build_parser.add_argument("--force", action="store_true",
                              help="输出目录不是空的、也不是本工具生成的时，仍然整体替换它 / replace a non-empty output folder we did not create")
    build_parser.add_argument("--summary-json", type=Path, default=None, metavar="FILE",
                              help="把构建摘要（篇数、定时、过期、警告）写成 JSON，供 CI 使用 / write the build summary as JSON")
    check_parser = sub.add_parser("check", help="只校验，不写文件 / validate without writing")
    _common(check_parser)
    check_parser.add_argument("--audit", action="store_true",
                              help="网站普查自查：首页和栏目更新、空白栏目、链接、错敏字、必备信息、发布时间 / "
                                   "government-website inspection self-check")
    check_parser.add_argument("--external", action="store_true",
                              help="--audit 时也检查外部链接（需要联网）/ also request external links")
    check_parser.add_argument("--timeout", type=float, default=10.0, metavar="秒",
                              help="外部链接的超时秒数，默认 10 / per-request timeout")
    check_parser.add_argument("--concurrency", type=int, default=8, metavar="N",
                              help="同时检查的外部链接数，默认 8 / parallel requests")
    check_parser.add_argument("--format", choices=FORMATS, default="text",
                              help="输出格式：text 给人看，json 给程序，github 为 GitHub Actions 注释 / output format")
    sub.add_parser("speak", help="显示文字的广播读法：speak \"文本\"，或从标准输入逐行读取 / spoken form of text",
                   add_help=False)
    new = sub.add_parser("new", help="新建一篇公告（填好全部字段）/ start a new notice")
    new.add_argument("title", help="公告标题 / title")
    new.add_argument("--category", default=None, metavar="栏目", help="栏目名，默认 site.yaml 的 default_category")
    new.add_argument("--date", default=None, metavar="时间", help="发布时间，如 2022-05-04 12:30；默认现在")
    new.add_argument("--yaml", action="store_true", help="写成纯 YAML 公告（.yaml）而不是 Markdown（.md）")
    new.add_argument("--site", type=Path, default=None, metavar="DIR", help=SITE_HELP)
    serve = sub.add_parser("serve", help="本地预览：含草稿和定时公告，改动后自动刷新 / live preview")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1（只允许本机访问）")
    serve.add_argument("--port", type=_port, default=8000, help="端口，默认 8000")
    serve.add_argument("--site", type=Path, default=None, metavar="DIR", help=SITE_HELP)
    serve.add_argument("--jobs", type=int, default=None, metavar="N", help="并行进程数 / worker processes")
    _deploy_parser(sub)
    return parser


def _deploy_parser(sub) -> None:
    deploy = sub.add_parser(
        "deploy", help="把 output/ 发布到 site.yaml 中 deploy: 的目标（SSH 服务器或对象存储）/ publish output/",
        description="发布 output/ 到 site.yaml 的 deploy: 目标：只传改动的文件，SSH 目标原子切换 current，可回滚。"
                    "密码和密钥只从环境变量或 SSH agent 读取。详见 docs/publishing.md")
    deploy.add_argument("targets", nargs="*", metavar="目标", help="部署目标名（默认全部）/ target names (default: all)")
    deploy.add_argument("--site", type=Path, default=None, metavar="DIR", help=SITE_HELP)
    deploy.add_argument("--output", type=Path, default=None, metavar="DIR",
                        help="要发布的输出目录，默认 SITE/output / folder to publish")
    deploy.add_argument("--dry-run", action="store_true", help="只列出将要新增、修改、删除的文件，不作改动 / list changes only")
    deploy.add_argument("--rollback", action="store_true", help="切换回上一个版本（SSH 目标）/ switch back to the previous release")
    deploy.add_argument("--to", default="", metavar="版本", help="与 --rollback 一起用：切换到指定版本 / release to roll back to")
    deploy.add_argument("--summary-json", type=Path, default=None, metavar="FILE",
                        help="把部署摘要写成 JSON，供 CI 使用 / write the deploy summary as JSON")
    deploy.add_argument("--nginx-config", action="store_true",
                        help="打印 nginx 配置（配合 --domain、--root），不部署 / print an nginx server block")
    deploy.add_argument("--domain", default=None, help="与 --nginx-config 一起用：网站域名，默认取 base_url")
    deploy.add_argument("--root", default=None, metavar="DIR",
                        help="与 --nginx-config 一起用：网站根目录（部署目标的 current），默认取 SSH 目标的 path/current")
    deploy.add_argument("--http-only", action="store_true", help="与 --nginx-config 一起用：不写 HTTPS 部分（内网测试用）")
    deploy.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    deploy.add_argument("--verbose", "-v", action="store_true", help="显示各阶段耗时 / show stage timings")


def _deploy(args: argparse.Namespace, reporter: ConsoleReporter) -> int:
    from .deploy import DeployError, DeployOptions, deploy, load_deploy_config

    site = args.site.resolve()
    try:
        if args.nginx_config:
            from .deploy.nginx import nginx_config

            domain, root = args.domain, args.root
            if domain is None or root is None:
                from urllib.parse import urlsplit

                from .config.deploy import SshTarget
                from .diagnostics import Diagnostics
                from .config import load_config

                config = load_config(site, Diagnostics())
                if domain is None and config is not None:
                    domain = urlsplit(config.base_url).hostname
                if root is None:
                    targets = (config.deploy if config is not None else load_deploy_config(site)).targets  # raises on errors
                    ssh = [t for t in targets if isinstance(t, SshTarget)]
                    root = f"{ssh[0].path}/current" if ssh else None
            if not domain or not root:
                reporter.note("请用 --domain 给出网站域名、用 --root 给出网站根目录（部署目标的 current 目录）")
                return 2
            sys.stdout.write(nginx_config(domain, root, https=not args.http_only, port=args.port))
            return 0
        options = DeployOptions(site_dir=site, output_dir=(args.output or site / "output").absolute(),
                                targets=tuple(args.targets), dry_run=args.dry_run, rollback=args.rollback,
                                rollback_to=args.to, summary_json=args.summary_json)
        return deploy(options, reporter)
    except DeployError as exc:
        reporter.note(f"部署失败：{exc.message}")
        return exc.code


def _options(args: argparse.Namespace, exits_after: bool = False) -> BuildOptions:
    site = args.site.resolve()
    # Resolved: a symlinked --output is locked, staged and swapped where it really is.
    return BuildOptions(site_dir=site, output_dir=(args.output or site / "output").resolve(),
                        base_url=args.base_url, include_drafts=args.drafts, strict=args.strict, jobs=args.jobs,
                        use_cache=not args.no_cache, audio=getattr(args, "audio", False), exits_after=exits_after)


def main(argv: list[str] | None = None, exits_after: bool = False) -> int:
    """``exits_after``: the caller leaves the process right after (build.py, with ``os._exit``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    if argv and argv[0] == "speak":
        from .broadcast.speech import main as speak_main

        return speak_main(argv[1:])
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")
    parser = make_parser()
    args = parser.parse_args(argv)
    site_arg = None
    if hasattr(args, "site"):
        if args.site is None:
            args.site = default_site(Path.cwd())
            if args.site is None:
                parser.exit(2, f"当前目录 {Path.cwd()} 里没有 site.yaml，不是站点目录：请进入站点目录再运行，"
                               f"或用 --site 指定站点目录，例如 python build.py {args.command} --site 站点目录\n")
        else:
            site_arg = str(args.site)
        args.site_arg = site_arg
    reporter = ConsoleReporter(verbose=getattr(args, "verbose", False))
    if args.command in ("build", "check", "serve", "new"):
        try:
            source_date_epoch()
        except EpochProblem as exc:
            reporter.note(f"错误：{exc}。输出目录未作任何改动。")
            return 2
    try:
        return _run(args, reporter, exits_after)
    except BuildError as exc:
        if getattr(args, "summary_json", None):
            from . import summary

            summary.write(args.summary_json, summary.failure_summary(exc.diagnostics))
        if getattr(args, "format", "text") != "text":
            sys.stdout.write(render_diagnostics(exc.diagnostics, args.format, args.site.resolve()))
            sys.stdout.flush()
        else:
            reporter.diagnostics(exc.diagnostics)
        errors = sum(1 for d in exc.diagnostics if d.level == "error")
        if args.command == "check":
            reporter.note(f"检查未通过：共 {errors} 个错误，请按提示修改后重试。")
        elif args.command == "deploy":
            reporter.note(f"未部署：site.yaml 中有 {errors} 个错误，请按提示修改后重试。部署目标未作任何改动。")
        else:
            reporter.note(f"构建失败：共 {errors} 个错误，请按提示修改后重试。输出目录未作任何改动。")
        return 1
    except KeyboardInterrupt:
        reporter.note("已中断，输出目录未作任何改动。")
        return 130
    except PartialSync as exc:
        reporter.note(f"环境错误：{exc.output} 是挂载点，逐个文件同步到一半时出错（{_environment(exc.cause)}）。"
                      "输出目录现在新旧文件混合，请解决问题后重新构建。")
        return EXIT_ENVIRONMENT
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            raise_internal(reporter)
            return 3
        reporter.note(f"环境错误：{_environment(exc)}。这不是内容问题也不是程序缺陷；输出目录未作任何改动。")
        return EXIT_ENVIRONMENT
    except Exception:  # a bug in the builder, not in the content
        raise_internal(reporter)
        return 3


def _audit(args: argparse.Namespace, options: BuildOptions, reporter: ConsoleReporter) -> int:
    """``check --audit``: the 网站普查 items; exit 1 when one fails."""
    from . import audit

    try:
        site = check(options, reporter)
        items = audit.run(site, site.diagnostics, audit.ExternalOptions(
            args.external, max(0.1, args.timeout), max(1, args.concurrency)))
        shown = site.diagnostics
    except BuildError as exc:
        items, shown = audit.unchecked(exc.diagnostics), exc.diagnostics
        if args.format == "text":
            reporter.diagnostics(shown)
    sys.stdout.write(audit.render(items, args.format, args.site.resolve()))
    sys.stdout.flush()
    return 0 if all(item.passed for item in items) else 1


def raise_internal(reporter: ConsoleReporter) -> None:
    reporter.note("内部错误：这是程序缺陷而不是内容问题，请把以下信息发给技术人员。输出目录未作任何改动。")
    traceback.print_exc()


# Exit code 4: the machine, not the content or the program (README: 退出码).
EXIT_ENVIRONMENT = 4
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO,
                      errno.ENAMETOOLONG, errno.EMFILE, errno.ENFILE, errno.EFBIG}


def _environment(exc: OSError) -> str:
    where = f"“{exc.filename}”" if exc.filename else ""
    reason = {
        errno.ENOSPC: "磁盘已满", errno.EDQUOT: "磁盘配额已用完", errno.EACCES: "没有写入权限",
        errno.EPERM: "操作不被允许（权限不足）", errno.EROFS: "文件系统是只读的", errno.EIO: "磁盘读写出错",
        errno.ENAMETOOLONG: "文件名太长，目标文件系统不接受", errno.EMFILE: "打开的文件太多",
        errno.ENFILE: "打开的文件太多", errno.EFBIG: "文件超过了系统允许的大小",
    }.get(exc.errno, exc.strerror or "系统错误")
    hint = {errno.ENOSPC: "请清理磁盘空间", errno.EDQUOT: "请清理磁盘空间",
            errno.EACCES: "请检查输出目录及其上级目录的权限", errno.EPERM: "请检查输出目录及其上级目录的权限",
            errno.EROFS: "请换一个可写的输出目录"}.get(exc.errno, "请检查磁盘和输出目录")
    return f"{where}{reason}，{hint}"


def _run(args: argparse.Namespace, reporter: ConsoleReporter, exits_after: bool = False) -> int:
    if args.command == "new":
        from .scaffold import new_notice

        return new_notice(args.site.resolve(), args.title, category=args.category, date=args.date,
                          as_yaml=args.yaml, reporter=reporter, site_arg=args.site_arg)
    if args.command == "serve":
        from .serve import serve

        return serve(args.site.resolve(), host=args.host, port=args.port, jobs=args.jobs, reporter=reporter)
    if args.command == "deploy":
        return _deploy(args, reporter)
    options = _options(args, exits_after)
    if args.command == "check" and args.audit:
        return _audit(args, options, reporter)
    if args.command == "check":
        site = check(options, reporter)
        if args.format != "text":
            sys.stdout.write(render_diagnostics(site.diagnostics, args.format, args.site.resolve()))
            sys.stdout.flush()
        else:
            reporter.diagnostics(site.diagnostics)
        warnings = sum(1 for d in site.diagnostics if d.level == "warning")
        notices = sum(1 for d in site.diagnostics if d.level == "notice")
        reporter.note(f"检查通过：{len(site.entries)} 篇公告，{warnings} 个警告" + (f"，{notices} 条提示" if notices else "") + "。")
        return 0
    problem = refusal(options.site_dir, args.output or options.output_dir, force=args.force)
    if problem:
        reporter.note(f"错误：{problem}。输出目录未作任何改动。")
        return 2
    result = build(options, reporter)
    if args.summary_json:
        from . import summary

        summary.write(args.summary_json, summary.build_summary(result))
    reporter.diagnostics(result.warnings)
    for note in result.notes:
        reporter.note(note)
    reporter.note(summary_line(result))
    return 0
