"""Driving a page with the keyboard alone, as a switch or screen-reader user does (issue 13).

Every move is a key press: Tab (forwards only), arrow keys inside a radio group, Space to tick,
Enter to press a button or send a form, typing into the focused field. After every Tab the focused
element is checked to be on screen and not hidden under anything fixed or sticky (WCAG 2.2's 2.4.11
Focus Not Obscured), and to show a visible focus indicator (2.4.7)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

_FOCUS_PROBLEM_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing has the focus";
  const r = el.getBoundingClientRect();
  if (r.bottom <= 0 || r.top >= window.innerHeight) return `the focus is off screen (${Math.round(r.top)}px)`;
  // Entirely covered by something fixed or sticky (a header, a banner): 2.4.11 fails.
  for (const other of document.body.querySelectorAll("*")) {
    const position = getComputedStyle(other).position;
    if ((position !== "fixed" && position !== "sticky") || other.contains(el)) continue;
    const o = other.getBoundingClientRect();
    if (o.left <= r.left && o.right >= r.right && o.top <= r.top && o.bottom >= r.bottom) return "the focus is under " + other.tagName;
  }
  // A visible focus indicator: an outline, or a box shadow, when focused by the keyboard.
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadowed = style.boxShadow && style.boxShadow !== "none";
  if (!outlined && !shadowed && el.tabIndex >= 0) return `no focus indicator on ${el.tagName} '${(el.innerText || el.value || "").slice(0, 30)}'`;
  return "";
}"""


def focus_problem(page: Page) -> str:
    """'' when the focused element can be seen, else what is wrong."""
    return page.evaluate(_FOCUS_PROBLEM_JS)


def _has_focus(target: Locator) -> bool:
    return target.evaluate("e => e === document.activeElement")


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until `target` has the focus, checking each stop on the way can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        problem = focus_problem(page)
        assert not problem, problem
        if _has_focus(target):
            return
    raise AssertionError(f"{target} was not reached in {limit} presses of Tab")


def choose(page: Page, radio: Locator, limit: int = 60) -> None:
    """Tab into the radio's group, then arrow down to the radio (arrows select as they move)."""
    name = radio.get_attribute("name")
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert not focus_problem(page), focus_problem(page)
        if page.evaluate(
            "(name) => document.activeElement.type === 'radio' && document.activeElement.name === name", name
        ):
            break
    else:
        raise AssertionError(f"no radio of {name!r} reached")
    for _ in range(12):
        if _has_focus(radio):
            break
        page.keyboard.press("ArrowDown")
    assert _has_focus(radio), f"{radio} not reached with the arrow keys"
    if not radio.is_checked():
        page.keyboard.press("Space")
    expect(radio).to_be_checked()


def tick(page: Page, checkbox: Locator) -> None:
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()


def press(page: Page, button: Locator) -> None:
    tab_to(page, button)
    page.keyboard.press("Enter")


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def focus_is_on(page: Page, target: Locator) -> None:
    """The focus has moved (by itself) to `target`."""
    expect(target).to_be_focused()


def sign_in(page: Page, email: str, password: str, to: str = "") -> None:
    """The sign-in page, with keys: the email address, the password, Enter."""
    page.goto("/login" + (f"?next={to}" if to else ""))
    expect(page.locator('main[data-ready="true"]')).to_be_attached()
    type_into(page, page.get_by_label("Email address"), email)
    type_into(page, page.get_by_label("Password", exact=True), password)
    page.keyboard.press("Enter")
