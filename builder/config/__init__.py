"""Typed site configuration (``site.yaml``): read and parsed once, validated in one place.

:func:`read_config_file` is the only code that opens site.yaml; :func:`load_config` turns it
into one frozen :class:`SiteConfig` with a typed field per section, which every stage and
command receives.  Each section's parser lives in a module of this package and uses the
messages of :mod:`.messages` (file and line, the one unknown-key warning with the nearest
known key as a suggestion, MkDocs style):

- this module: the site itself, ``categories``, ``home``, ``footer``;
- :mod:`.search`: ``search`` and ``xxgk``;  :mod:`.deploy`: ``deploy``;
- :mod:`.checks`: ``check`` and ``reprint_sources``;  :mod:`.terms`: ``terms``;
- :mod:`.broadcast`: ``broadcast`` and ``regions``.

Which messages stop which command (the rule): every section is validated when site.yaml
is loaded.  The sections every command needs (the site, columns, home, footer, search, xxgk,
deploy) report at once: an error there stops any command that loads the config.  The
sections of one stage (:data:`STAGE_SECTIONS`: ``check``/``reprint_sources`` and ``terms`` for
the editorial checks, ``broadcast``/``regions`` for the broadcast stage) keep their messages
on the config (``SiteConfig.deferred``); the stage that uses the section reports them with
:meth:`SiteConfig.report`, so a broadcast mistake fails ``build``/``check`` (which run that
stage) but not ``deploy``, and is reported once.  Files a section names (terms.yaml,
the pronunciation lexicon) are read by their stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import yamlio
from ..diagnostics import Diagnostic, Diagnostics
from .broadcast import BroadcastSettings, parse_broadcast
from .checks import CheckSettings, parse_check
from .deploy import DeployConfig, parse_deploy
from .messages import CONFIG_FILE, key_line, nearest, unknown_key  # noqa: F401 - the package's message helpers
from .search import SearchSettings, XxgkSettings, parse_search, parse_xxgk
from .terms import Term, parse_terms
SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
RESERVED_SLUGS = {"tags", "archives", "static", "files", "broadcast", "search", "xxgk"}


@dataclass(frozen=True)
class Category:
    name: str  # 栏目名, e.g. 通知公告
    slug: str  # ASCII path segment, e.g. tzgg
    type: str = "新闻"  # ColumnType meta value
    description: str = ""
    feed_content: str = ""  # "" = the site's default
    keywords: str = ""  # ColumnKeywords meta value ("" = the column name)
    update_days: int = 0  # 普查: the column must get a notice within this many days (0 = by type)

    @property
    def column_keywords(self) -> str:
        return self.keywords or self.name

    @property
    def update_period(self) -> int:
        """Days within which the column must be updated: 动态类 (news, notices, emergencies) 14, others 180."""
        if self.update_days:
            return self.update_days
        return 14 if self.type in DYNAMIC_TYPES else 180


# ColumnType values the 网站普查 treats as 动态类 (to be updated at least every two weeks).
DYNAMIC_TYPES = {"新闻", "动态", "要闻", "公告", "通知公告", "应急", "工作动态"}


@dataclass(frozen=True)
class Footer:
    sponsor: str = ""  # 主办单位
    organizer: str = ""  # 承办单位
    address: str = ""
    phone: str = ""
    email: str = ""
    postcode: str = ""
    site_code: str = ""  # 网站标识码
    icp: str = ""  # ICP备案号
    police: str = ""  # 公安机关备案号
    police_code: str = ""  # the number used in the beian.gov.cn link
    conac_id: str = ""  # 党政机关网站标识: the id in the bszs.conac.cn link ("" = no badge)
    jiucuo_url: str = ""  # 我为政府网站找错: "" = the national platform's link for site_code; "off" hides it

    @property
    def conac_link(self) -> str:
        return f"https://bszs.conac.cn/sitename?method=show&id={self.conac_id}" if self.conac_id else ""

    @property
    def jiucuo_link(self) -> str:
        if self.jiucuo_url == "off":
            return ""
        if self.jiucuo_url:
            return self.jiucuo_url
        return f"https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={self.site_code}" if self.site_code else ""


@dataclass(frozen=True)
class ConfigFile:
    """site.yaml as read once: its decoded text (for line numbers) and its parsed mapping."""

    text: str = ""
    data: dict = field(default_factory=dict)

    def section(self, key: str):
        """The raw value of a top-level section (None when absent)."""
        return self.data.get(key)


@dataclass(frozen=True)
class SiteConfig:
    title: str
    base_url: str
    categories: tuple[Category, ...]
    default_category: str
    timezone: str = "Asia/Shanghai"
    default_source: str = ""
    description: str = ""
    keywords: str = ""
    page_size: int = 20
    feed_size: int = 20
    feed_content: str = "summary"  # or "full"
    home_latest: int = 10
    home_per_category: int = 6
    summary_length: int = 120
    related: int = 5
    emergency_hours: int = 72  # banner life of an emergency notice without `expires`
    max_tags: int = 20  # tags one notice may have (each tag is a page of its own)
    footer: Footer = field(default_factory=Footer)
    search: SearchSettings = field(default_factory=SearchSettings)
    xxgk: XxgkSettings = field(default_factory=XxgkSettings)
    deploy: DeployConfig | None = None  # used only by the deploy command
    # The sections of one stage (STAGE_SECTIONS); their messages are in ``deferred``.
    check: CheckSettings = field(default_factory=CheckSettings)  # check: and reprint_sources:
    terms: tuple[Term, ...] = ()  # terms: (terms.yaml is read by the checks)
    broadcast: BroadcastSettings = field(default_factory=BroadcastSettings)  # broadcast: and regions: (no lexicon)
    # (section, its messages) for STAGE_SECTIONS, reported by the stage that uses the section.
    deferred: tuple[tuple[str, tuple[Diagnostic, ...]], ...] = field(default=(), repr=False, compare=False)
    # The loaded file: its text for line numbers in later messages (columns, audit).
    file: ConfigFile = field(default_factory=ConfigFile, repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    def category(self, name: str) -> Category | None:
        for cat in self.categories:
            if cat.name == name:
                return cat
        return None

    def core(self) -> "SiteConfig":
        """The config without the stage sections, the deploy targets and the loaded file: the site,
        columns, home, footer, search and xxgk.  What templates see as ``site`` and what the pages'
        and feeds' fingerprints digest, so that a ``broadcast:``, ``check:``, ``terms:`` or
        ``deploy:`` edit re-renders no page."""
        return replace(self, deploy=None, check=CheckSettings(), terms=(), broadcast=BroadcastSettings(),
                       deferred=(), file=ConfigFile())

    def report(self, section: str, diags: Diagnostics):
        """A stage section (``check``, ``terms``, ``broadcast``): its messages go to ``diags``; returns its value."""
        for name, found in self.deferred:
            if name == section:
                diags.extend(list(found))
        return getattr(self, section)

    def with_base_url(self, base_url: str) -> "SiteConfig":
        """The config with ``--base-url``'s address (the broadcast defaults that derive from the domain follow)."""
        return _with_stage_sections(replace(self, base_url=normalize_base_url(base_url)))


TOP_KEYS = {
    "title", "base_url", "categories", "default_category", "timezone", "default_source",
    "description", "keywords", "page_size", "feed_size", "feed_content", "home",
    "summary_length", "related", "emergency_hours", "footer", "max_tags",
}
# Sections with a parser of their own (``reviews`` is accepted and unused).
STAGE_KEYS = {"broadcast", "regions", "check", "terms", "reviews", "reprint_sources", "search", "deploy", "xxgk"}
# Sections whose messages the stage using them reports (see the module docstring).
STAGE_SECTIONS = ("check", "terms", "broadcast")
KNOWN_KEYS = TOP_KEYS | STAGE_KEYS  # the one table of top-level keys (unknown-key warnings and suggestions)
CATEGORY_KEYS = {"name", "slug", "type", "description", "feed_content", "keywords", "update_days"}
HOME_KEYS = {"latest", "per_category"}
FOOTER_KEYS = set(Footer.__dataclass_fields__)


def normalize_base_url(url: str) -> str:
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def read_config_file(site_dir: Path, diags: Diagnostics) -> ConfigFile | None:
    """Read and parse ``site.yaml`` (the only place that does); problems go to ``diags``."""
    path = site_dir / CONFIG_FILE
    rel = CONFIG_FILE
    if not path.is_file():
        diags.error(rel, 0, "config-missing", f"找不到站点配置文件 {path}，请在站点目录中创建 site.yaml")
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        diags.error(rel, 0, "config-encoding", "site.yaml 不是 UTF-8 编码，请用 UTF-8 重新保存")
        return None
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        diags.error(rel, exc.line, "config-yaml", exc.message, exc.column)
        return None
    if not isinstance(data, dict):
        diags.error(rel, 1, "config-type", "site.yaml 的内容必须是“字段: 值”的形式")
        return None
    return ConfigFile(text, data)


def load_config(site_dir: Path, diags: Diagnostics) -> SiteConfig | None:
    """Read site.yaml once and validate it into one :class:`SiteConfig`; all problems go to ``diags``."""
    file = read_config_file(site_dir, diags)
    if file is None:
        return None
    return config_from_file(file, diags)


def config_from_file(file: ConfigFile, diags: Diagnostics) -> SiteConfig | None:
    """Validate an already-loaded site.yaml; None when it has errors (all of them in ``diags``)."""
    rel = CONFIG_FILE
    text, data = file.text, file.data
    n_errors = len(diags.errors)

    def err(key: str, code: str, message: str) -> None:
        diags.error(rel, key_line(text, key), code, message)

    for key in data:
        if key not in KNOWN_KEYS:
            unknown_key(diags, key_line(text, key), key, KNOWN_KEYS)

    def string(key: str, default: str | None = None, src: dict = data, where: str = "") -> str:
        value = src.get(key, default)
        if value is None:
            err(key, "config-required", f"缺少必填配置项“{where}{key}”")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            err(key, "config-type", f"配置项“{where}{key}”应当是文字")
            return str(default or "")
        return str(value).strip()

    def integer(key: str, default: int, src: dict = data, where: str = "", minimum: int = 1) -> int:
        value = src.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            err(key, "config-type", f"配置项“{where}{key}”应当是不小于 {minimum} 的整数，现在是“{value}”")
            return default
        return value

    def choice(key: str, default: str, options: tuple[str, ...], src: dict = data, where: str = "") -> str:
        value = src.get(key, default)
        if value not in options:
            err(key, "config-value", f"配置项“{where}{key}”只能是 {' / '.join(options)}，现在是“{value}”")
            return default
        return value

    title = string("title")
    base_url = string("base_url", "http://localhost:8000/")
    if base_url and not re.match(r"^https?://[^/\s]+", base_url):
        err("base_url", "config-value", f"base_url 必须是以 http:// 或 https:// 开头的网址，现在是“{base_url}”")
    timezone = string("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        err("timezone", "config-value", f"无法识别的时区“{timezone}”，请写成 Asia/Shanghai 这样的时区名")
        timezone = "Asia/Shanghai"

    categories: list[Category] = []
    raw_cats = data.get("categories")
    if not isinstance(raw_cats, list) or not raw_cats:
        err("categories", "config-required", "必须在 categories 中至少声明一个栏目，例如：\n  categories:\n    - {name: 通知公告, slug: tzgg}")
        raw_cats = []
    seen_names: set[str] = set()
    seen_slugs: set[str] = set()
    for item in raw_cats:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            err("categories", "config-type", "categories 的每一项应当写成 {name: 栏目名, slug: 英文路径}")
            continue
        for key in item:
            if key not in CATEGORY_KEYS:
                unknown_key(diags, key_line(text, key), key, CATEGORY_KEYS, "栏目中有")
        name = string("name", None, item, "categories.")
        slug = string("slug", None, item, "categories.")
        if slug and not SLUG_RE.match(slug):
            err("slug", "config-value", f"栏目“{name}”的 slug“{slug}”只能由小写英文字母、数字和 - 组成")
        if slug in RESERVED_SLUGS:
            err("slug", "config-value", f"栏目 slug“{slug}”与系统目录重名，请换一个")
        if name in seen_names:
            err("name", "config-duplicate", f"栏目“{name}”重复声明")
        if slug in seen_slugs:
            err("slug", "config-duplicate", f"栏目 slug“{slug}”被多个栏目使用")
        seen_names.add(name)
        seen_slugs.add(slug)
        feed_content = item.get("feed_content", "")
        if feed_content not in ("", "summary", "full"):
            err("feed_content", "config-value", f"栏目“{name}”的 feed_content 只能是 summary 或 full")
            feed_content = ""
        update_days = item.get("update_days", 0)
        if isinstance(update_days, bool) or not isinstance(update_days, int) or update_days < 0:
            err("update_days", "config-value", f"栏目“{name}”的 update_days 应当是天数（正整数），例如 update_days: 14")
            update_days = 0
        categories.append(Category(name=name, slug=slug, type=str(item.get("type", "新闻")),
                                   description=str(item.get("description", "")), feed_content=feed_content,
                                   keywords=str(item.get("keywords", "") or ""), update_days=update_days))

    default_category = string("default_category", categories[0].name if categories else "")
    if categories and default_category not in seen_names:
        err("default_category", "config-value",
            f"默认栏目“{default_category}”不在 categories 中，可选：{'、'.join(c.name for c in categories)}")

    home = data.get("home") or {}
    if not isinstance(home, dict):
        err("home", "config-type", "home 应当写成 latest: 10 这样的字段")
        home = {}
    for key in home:
        if key not in HOME_KEYS:
            unknown_key(diags, key_line(text, key), key, HOME_KEYS, "home 中有")

    raw_footer = data.get("footer") or {}
    if not isinstance(raw_footer, dict):
        err("footer", "config-type", "footer 应当写成 sponsor: 主办单位名称 这样的字段")
        raw_footer = {}
    for key in raw_footer:
        if key not in FOOTER_KEYS:
            unknown_key(diags, key_line(text, key), key, FOOTER_KEYS, "footer 中有")
    footer = Footer(**{k: string(k, "", raw_footer, "footer.") for k in FOOTER_KEYS if k in raw_footer})

    deploy = parse_deploy(data.get("deploy"), text, diags, rel)

    config = SiteConfig(
        title=title,
        base_url=normalize_base_url(base_url or "http://localhost:8000/"),
        categories=tuple(categories),
        default_category=default_category,
        timezone=timezone,
        default_source=string("default_source", title),
        description=string("description", ""),
        keywords=string("keywords", ""),
        page_size=integer("page_size", 20),
        feed_size=integer("feed_size", 20),
        feed_content=choice("feed_content", "summary", ("summary", "full")),
        home_latest=integer("latest", 10, home, "home."),
        home_per_category=integer("per_category", 6, home, "home."),
        summary_length=integer("summary_length", 120, minimum=10),
        related=integer("related", 5, minimum=0),
        emergency_hours=integer("emergency_hours", 72),
        max_tags=integer("max_tags", 20, minimum=1),
        footer=footer,
        search=parse_search(text, data.get("search"), diags),
        xxgk=parse_xxgk(text, data.get("xxgk"), diags),
        deploy=deploy,
        file=file,
    )
    if len(diags.errors) > n_errors:
        return None
    return _with_stage_sections(config)


def _with_stage_sections(config: SiteConfig) -> SiteConfig:
    """Parse the stage sections (STAGE_SECTIONS) of ``config.file``, keeping their messages in ``deferred``."""
    text, data = config.file.text, config.file.data
    found: dict[str, Diagnostics] = {name: Diagnostics() for name in STAGE_SECTIONS}
    check = parse_check(text, data.get("check"), data.get("reprint_sources"), found["check"])
    terms = parse_terms(data.get("terms"), CONFIG_FILE, text, found["terms"], where="terms.")
    broadcast = parse_broadcast(text, data.get("broadcast"), data.get("regions"), config.footer.phone,
                                config.default_source, config.domain, found["broadcast"])
    return replace(config, check=check, terms=terms, broadcast=broadcast,
                   deferred=tuple((name, tuple(found[name].items)) for name in STAGE_SECTIONS))
