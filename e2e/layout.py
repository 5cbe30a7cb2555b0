"""Measurements of a page's layout for WCAG 2.2 AA, taken in the browser (issue 13):

- `overflow(page)`: what sticks out sideways past the viewport (1.4.10 Reflow: a phone page at
  320 CSS px, and at 200% zoom, which is a 195 px wide viewport for a 390 px phone, 640 px for a
  1280 px desk). Data tables may scroll inside their own box (`.table-scroll`), as 1.4.10 allows,
  so only the page itself scrolling sideways counts, named by its deepest offending elements.
- `small_targets(page)`: every link, button and control outside a sentence that is under 24x24
  CSS px (2.5.8 Target Size, held stricter than its spacing exception: footer, error-summary and
  list links count too). A link inside a sentence (its block has other words) is exempt, as 2.5.8
  says; a checkbox or radio counts with its label, which clicks it too.

Each returns short descriptions ("a 'privacy policy' 96x17"), so a failing assertion says what to
fix."""

from __future__ import annotations

from playwright.sync_api import Page

_OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const describe = (el) => {
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/)[0] : "";
    return `${el.tagName.toLowerCase()}${cls} '${text}' ends at ${Math.round(el.getBoundingClientRect().right)}px`;
  };
  const sticksOut = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1;
  };
  // Inside a box that scrolls on its own (a data table's), sticking out is that box's business.
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!sticksOut(el) || inScroller(el)) continue;
    if ([...el.children].some(sticksOut)) continue;  // the deepest offenders only
    found.push(describe(el));
    if (found.length >= 5) break;
  }
  if (found.length) return found;
  // Nothing sticks out as a box: then it is text running out of one (a long word).
  for (const el of document.body.querySelectorAll("*")) {
    if (inScroller(el) || getComputedStyle(el).overflowX !== "visible") continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && ![...el.children].some((c) => c.scrollWidth > c.clientWidth + 1)) {
      found.push(describe(el).replace(/ ends at .*/, ` is ${el.clientWidth}px wide, its text ${el.scrollWidth}px`));
      if (found.length >= 5) break;
    }
  }
  return found.length ? found : [`the page is ${document.documentElement.scrollWidth}px wide`];
}"""

_TARGETS_JS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=combobox], [role=menuitem]';
  const visible = (el, r) => {
    if (r.width < 2 || r.height < 2) return false;  // visually hidden (a native input behind a styled one)
    if (r.right < 0 || r.bottom < 0 || r.left > document.documentElement.scrollWidth) return false;  // a skip link, off screen until focused
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && Number(s.opacity) > 0;
  };
  const blockOf = (el) => {
    let p = el.parentElement;
    while (p && getComputedStyle(p).display.startsWith("inline")) p = p.parentElement;
    return p;
  };
  const inSentence = (el) => {
    if (getComputedStyle(el).display !== "inline") return false;
    const block = blockOf(el);
    if (!block) return false;
    const rest = (block.innerText || "").replace(el.innerText || "", "").replace(/[\\s.,;:()]/g, "");
    return rest.length > 0;
  };
  const withLabel = (el, r) => {
    if (!(el.type === "checkbox" || el.type === "radio" || el.getAttribute("role") === "checkbox" || el.getAttribute("role") === "radio")) return r;
    const label = el.closest("label") || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
    if (!label) return r;
    const l = label.getBoundingClientRect();
    const left = Math.min(r.left, l.left), top = Math.min(r.top, l.top);
    return {width: Math.max(r.right, l.right) - left, height: Math.max(r.bottom, l.bottom) - top};
  };
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (!visible(el, r)) continue;
    const size = withLabel(el, r);
    if (size.width >= 23.5 && size.height >= 23.5) continue;
    if (el.tagName === "A" && inSentence(el)) continue;
    const text = (el.innerText || el.getAttribute("aria-label") || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    small.push(`${el.tagName.toLowerCase()} '${text}' ${Math.round(size.width)}x${Math.round(size.height)}`);
  }
  return small;
}"""


def overflow(page: Page) -> list[str]:
    """What makes the page scroll sideways at its current width ([] when nothing does)."""
    return page.evaluate(_OVERFLOW_JS)


def small_targets(page: Page) -> list[str]:
    """Links, buttons and controls outside a sentence smaller than 24x24 CSS px."""
    return page.evaluate(_TARGETS_JS)


def at_width(page: Page, width: int) -> list[str]:
    """`overflow(page)` with the viewport `width` CSS px wide (the height kept), then back."""
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": width, "height": size["height"]})
    page.wait_for_timeout(100)  # one layout at the new width (and Radix's resize listeners)
    try:
        return overflow(page)
    finally:
        page.set_viewport_size(size)
