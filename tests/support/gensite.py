"""Test sites: the repository's example site copied, or many realistic notices generated into a temporary folder."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = ("site.yaml", "pronunciations.yaml", "terms.yaml")


def copy_example_site(dest: Path) -> Path:
    """The repository's example site (content/ and its YAML files, 2020-2026) copied to ``dest``."""
    shutil.copytree(REPO / "content", dest / "content")
    for name in EXAMPLE_FILES:
        shutil.copy(REPO / name, dest / name)
    return dest

SITE_YAML = """title: {title}
base_url: https://gen.example/
timezone: Asia/Shanghai
default_source: 测试县融媒体中心
page_size: 20
categories:
  - {{name: 要闻动态, slug: ywdt}}
  - {{name: 通知公告, slug: tzgg, type: 公告}}
  - {{name: 应急管理, slug: yjgl}}
"""

_WORDS = ("防汛", "抗旱", "疫苗", "停水", "道路", "施工", "乡村振兴", "人居环境", "安全生产", "森林防火",
          "医保", "社保", "招聘", "消防", "文明城市", "秸秆禁烧", "义务教育", "城乡低保", "气象", "农业")
_SENTENCES = (
    "县委、县政府高度重视，召开专题会议进行安排部署。",
    "各乡镇（街道）要压实责任，确保各项措施落到实处。",
    "请广大群众相互转告，提前做好准备，如有疑问请拨打热线电话0375-1234567咨询。",
    "截至目前，全县已完成任务总量的百分之八十以上。",
    "相关部门将加强巡查，对发现的问题立即整改。",
)


def write_site(root: Path, count: int, *, title: str = "生成测试县人民政府", seed: int = 0,
               skip: frozenset[int] = frozenset()) -> Path:
    """A site with ``count`` notices (numbers in ``skip`` left out); deterministic for a seed."""
    rng = random.Random(seed)
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML.format(title=title), encoding="utf-8")
    categories = ("要闻动态", "通知公告", "应急管理")
    for n in range(count):
        tags = rng.sample(_WORDS, 2)
        body = "\n\n".join("".join(rng.choice(_SENTENCES) for _ in range(4)) for _ in range(4))
        if n in skip:
            continue
        month = 1 + n % 12
        # 2021: in the past for the tests' pinned clock (2022-07-01), so no date is a typo guard's "future"
        folder = content / "2021" / f"{month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"notice-{n:04d}.md").write_text(
            f"---\ntitle: 关于{tags[0]}和{tags[1]}工作的通知（第{n}号）\ndate: 2021-{month:02d}-{1 + n % 28:02d} "
            f"{8 + n % 10:02d}:{n % 60:02d}\ncategory: {categories[n % 3]}\ntags: [{tags[0]}, {tags[1]}]\n"
            f"author: 记者{n % 7}\n---\n\n{body}\n", encoding="utf-8")
    return root
