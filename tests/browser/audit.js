// An in-page accessibility audit in the spirit of axe-core's rules, small
// enough to read: it returns one line per problem found. Used by
// test_browser.py through page.evaluate().
() => {
  const problems = [];
  const text = (el) => (el.textContent || "").replace(/\s+/g, " ").trim();
  const named = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\s+/).some((id) => document.getElementById(id) && text(document.getElementById(id)))) return true;
    if (el.tagName === "INPUT") {
      if (["submit", "button"].includes(el.type)) return !!el.value.trim();
      if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) return true;
      return !!el.closest("label");
    }
    return !!text(el);
  };
  if (!document.documentElement.lang) problems.push("html has no lang");
  if (!document.title.trim()) problems.push("page has no title");
  for (const el of document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea")) {
    if (!named(el)) problems.push(`${el.outerHTML.slice(0, 80)} has no accessible name`);
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (el.tabIndex > 0) problems.push(`${el.tagName} has a positive tabindex`);
  }
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`id ${id} is not unique`);
  const regions = document.querySelectorAll("[data-flashmw]");
  if (regions.length !== 1) problems.push(`${regions.length} notice containers`);
  for (const box of regions) {
    if (box.getAttribute("aria-live") !== "polite") problems.push("notices are not a polite live region");
    if (!named(box)) problems.push("the notice region has no name");
  }
  for (const n of document.querySelectorAll(".flashmw-notice")) {
    const role = n.getAttribute("role");
    const urgent = n.classList.contains("flashmw-notice--alert");
    if (role !== (urgent ? "alert" : "status")) problems.push(`notice with role ${role}`);
    const button = n.querySelector("button.flashmw-close");
    if (!button) problems.push("notice without a dismiss button");
  }
  return problems;
}
