"""Command line: ``python build.py [build|check|...] [options]``."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import __version__
from .diagnostics import BuildError
from .pipeline import BuildOptions, build, check, summary_line
from .report import ConsoleReporter

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("build", "check", "speak")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=REPO_ROOT, metavar="DIR",
                        help="站点目录（含 site.yaml、content/，可选 templates/）/ site folder (default: repository root)")
    parser.add_argument("--output", type=Path, default=None, metavar="DIR",
                        help="输出目录 / output folder (default: SITE/output)")
    parser.add_argument("--base-url", default=None, metavar="URL", help="网站地址，覆盖 site.yaml 的 base_url")
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
    _common(sub.add_parser("check", help="只校验，不写文件 / validate without writing"))
    sub.add_parser("speak", help="显示文字的广播读法：speak \"文本\"，或从标准输入逐行读取 / spoken form of text",
                   add_help=False)
    return parser


def _options(args: argparse.Namespace) -> BuildOptions:
    site = args.site.resolve()
    return BuildOptions(site_dir=site, output_dir=(args.output or site / "output").absolute(),
                        base_url=args.base_url, include_drafts=args.drafts, strict=args.strict, jobs=args.jobs,
                        use_cache=not args.no_cache, audio=getattr(args, "audio", False))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    if argv and argv[0] == "speak":
        from .speech import main as speak_main

        return speak_main(argv[1:])
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")
    args = make_parser().parse_args(argv)
    reporter = ConsoleReporter(verbose=getattr(args, "verbose", False))
    try:
        return _run(args, reporter)
    except BuildError as exc:
        reporter.diagnostics(exc.diagnostics)
        errors = sum(1 for d in exc.diagnostics if d.level == "error")
        reporter.note(f"构建失败：共 {errors} 个错误，请按提示修改后重试。输出目录未作任何改动。")
        return 1
    except KeyboardInterrupt:
        reporter.note("已中断，输出目录未作任何改动。")
        return 130
    except Exception:  # a bug in the builder, not in the content
        reporter.note("内部错误：这是程序缺陷而不是内容问题，请把以下信息发给技术人员。输出目录未作任何改动。")
        traceback.print_exc()
        return 3


def _run(args: argparse.Namespace, reporter: ConsoleReporter) -> int:
    options = _options(args)
    if args.command == "check":
        site = check(options, reporter)
        reporter.diagnostics(site.diagnostics)
        reporter.note(f"检查通过：{len(site.entries)} 篇公告，{len(site.diagnostics)} 个警告。")
        return 0
    result = build(options, reporter)
    reporter.diagnostics(result.warnings)
    for note in result.notes:
        reporter.note(note)
    reporter.note(summary_line(result))
    return 0
