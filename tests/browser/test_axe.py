"""axe-core with the WCAG 2.1 A and AA rules: zero violations on every page kind, in every reading mode.

Each page is loaded once per width; the reading modes are switched with the header's own
toggle buttons (as a reader would) and axe runs again in each.  In 高对比度 mode axe's
AAA contrast rule (color-contrast-enhanced, 7:1) runs as well.
"""

from __future__ import annotations

import pytest

from support.site_pages import KIND_IDS, PAGE_KINDS, open_page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """
async extra => {
  const rules = axe.getRules(%s).map(r => r.ruleId).concat(extra);
  const result = await axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']});
  return {rules: rules.length, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 200))}))};
}
""" % WCAG_TAGS


def run_axe(page, axe_source: str, extra_rules: tuple[str, ...] = ()) -> list[str]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=axe_source)
    result = page.evaluate(RUN_AXE, list(extra_rules))
    assert result["rules"] > 40  # the WCAG 2.1 A/AA rule set really ran
    return [f"{v['id']} ({v['impact']}): {v['help']} -> {' | '.join(v['nodes'])}" for v in result["violations"]]


def set_mode(page, mode: str, on: bool) -> None:
    button = page.locator(f"header [data-mode='{mode}']")
    if (button.get_attribute("aria-pressed") == "true") != on:
        button.click()
    assert page.evaluate("m => document.documentElement.classList.contains(m)", mode) == on


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("kind", PAGE_KINDS, ids=KIND_IDS)
def test_no_wcag21_aa_violations_in_any_mode(browser, served, axe_source, kind, width):
    if kind.optional and not (served.root / kind.build / kind.path).exists():
        pytest.skip(f"{kind.path} is not built yet")
    found = {}
    with open_page(browser, served, kind, width=width) as (page, _watch):
        found["normal"] = run_axe(page, axe_source)
        set_mode(page, "elder", True)
        found["elder"] = run_axe(page, axe_source)
        set_mode(page, "elder", False)
        set_mode(page, "contrast", True)
        found["contrast"] = run_axe(page, axe_source, ("color-contrast-enhanced",))
    assert {mode: v for mode, v in found.items() if v} == {}


def test_axe_harness_reports_real_violations(browser, served, axe_source):
    """The check can fail: a missing alt text and grey-on-white text are reported."""
    kind = next(k for k in PAGE_KINDS if k.name == "notice-image")
    with open_page(browser, served, kind) as (page, _watch):
        page.evaluate("""() => {
          document.querySelector('.lead-image img').removeAttribute('alt');
          document.querySelector('.article-body p').style.color = '#aaaaaa';
        }""")
        ids = {line.split(" ")[0] for line in run_axe(page, axe_source)}
    assert {"image-alt", "color-contrast"} <= ids
