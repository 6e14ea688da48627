import type { Locator, Page } from '@playwright/test';

// Checks that run inside the page. They are plain JavaScript in strings: the e2e files are
// type-checked without the DOM library. Each returns a list of problems, empty when all is well.

/**
 * Accessibility rules of serious or critical impact, after axe-core's rules of the same names
 * (axe-core itself is not installed here; see a11y.spec.ts). Scope: the elements under `root`
 * (a CSS selector), or the whole document.
 */
const A11Y_RULES = `((rootSelector) => {
  const problems = [];
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  if (!root) return ['no element matches ' + rootSelector];
  const all = [root, ...root.querySelectorAll('*')];
  const describe = (el) => {
    const id = el.getAttribute('data-testid') || el.id || el.getAttribute('aria-label') || (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return '<' + el.tagName.toLowerCase() + (id ? ' ' + id : '') + '>' + (text ? ' "' + text + '"' : '');
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const fail = (rule, el, why) => problems.push(rule + ': ' + describe(el) + (why ? ' ' + why : ''));

  // document-title, html-has-lang, html-lang-valid
  if (!rootSelector) {
    if (!document.title.trim()) problems.push('document-title: the page has no title');
    const lang = document.documentElement.getAttribute('lang') || '';
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) problems.push('html-has-lang: <html lang="' + lang + '">');
  }

  // duplicate-id(-aria): every id once, so labels and aria references point at one element.
  const ids = new Map();
  for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1 && root.querySelector('#' + CSS.escape(id))) problems.push('duplicate-id-aria: id "' + id + '" is used ' + n + ' times');

  const ROLES = new Set(['alert','alertdialog','application','article','banner','button','cell','checkbox','columnheader','combobox','complementary','contentinfo','definition','dialog','directory','document','feed','figure','form','grid','gridcell','group','heading','img','link','list','listbox','listitem','log','main','marquee','math','menu','menubar','menuitem','menuitemcheckbox','menuitemradio','meter','navigation','none','note','option','presentation','progressbar','radio','radiogroup','region','row','rowgroup','rowheader','scrollbar','search','searchbox','separator','slider','spinbutton','status','switch','tab','table','tablist','tabpanel','term','textbox','timer','toolbar','tooltip','tree','treegrid','treeitem']);
  const REFS = ['aria-labelledby', 'aria-describedby', 'aria-controls', 'aria-owns', 'aria-activedescendant', 'aria-errormessage'];
  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const INTERACTIVE = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [role="checkbox"], [role="radio"], [role="tab"], [role="switch"], [role="menuitem"], [role="option"]';
  const AUTOCOMPLETE = new Set(['on','off','name','honorific-prefix','given-name','additional-name','family-name','honorific-suffix','nickname','email','username','new-password','current-password','one-time-code','organization-title','organization','street-address','address-line1','address-line2','address-line3','address-level4','address-level3','address-level2','address-level1','country','country-name','postal-code','cc-name','cc-given-name','cc-additional-name','cc-family-name','cc-number','cc-exp','cc-exp-month','cc-exp-year','cc-csc','cc-type','transaction-currency','transaction-amount','language','bday','bday-day','bday-month','bday-year','sex','url','photo','tel','tel-country-code','tel-national','tel-area-code','tel-local','tel-extension','impp']);

  for (const el of all) {
    const role = el.getAttribute('role');
    // aria-roles: only roles that exist.
    if (role !== null && !role.split(/\\s+/).some((r) => ROLES.has(r))) fail('aria-roles', el, 'role="' + role + '"');
    // aria-valid-attr-value: references name elements that exist.
    for (const attr of REFS) {
      const v = el.getAttribute(attr);
      if (v === null) continue;
      const missing = v.split(/\\s+/).filter((id) => id && !document.getElementById(id));
      if (missing.length && !(attr === 'aria-controls' && el.getAttribute('aria-expanded') === 'false')) fail('aria-valid-attr-value', el, attr + ' names missing id(s) ' + missing.join(', '));
    }
    // label (for=): a label's target exists.
    if (el.tagName === 'LABEL' && el.htmlFor && !document.getElementById(el.htmlFor)) fail('label', el, 'for="' + el.htmlFor + '" names no element');
    // aria-hidden-focus: nothing focusable inside aria-hidden.
    if (el.getAttribute('aria-hidden') === 'true') for (const f of el.querySelectorAll(FOCUSABLE)) if (f.tabIndex >= 0) fail('aria-hidden-focus', f, 'is focusable inside aria-hidden');
    // nested-interactive: no control inside a button or link.
    if (el.matches('button, a[href], [role="button"], [role="link"], [role="tab"]') && el.querySelector(INTERACTIVE)) fail('nested-interactive', el, 'holds ' + describe(el.querySelector(INTERACTIVE)));
    // image-alt
    if (el.tagName === 'IMG' && !el.hasAttribute('alt') && !el.getAttribute('aria-label') && role !== 'presentation' && role !== 'none') fail('image-alt', el);
    // summary-name
    if (el.tagName === 'SUMMARY' && visible(el) && !(el.textContent || '').trim() && !el.getAttribute('aria-label')) fail('summary-name', el);
    // list / listitem, definition-list / dlitem
    if ((el.tagName === 'UL' || el.tagName === 'OL') && role === null) for (const c of el.children) if (!['LI', 'SCRIPT', 'TEMPLATE'].includes(c.tagName)) fail('list', el, 'has a <' + c.tagName.toLowerCase() + '> child');
    if (el.tagName === 'LI' && el.parentElement && !['UL', 'OL', 'MENU'].includes(el.parentElement.tagName) && el.parentElement.getAttribute('role') !== 'list') fail('listitem', el, 'outside a list');
    if (el.tagName === 'DL') for (const c of el.children) if (!['DT', 'DD', 'DIV', 'SCRIPT', 'TEMPLATE'].includes(c.tagName)) fail('definition-list', el, 'has a <' + c.tagName.toLowerCase() + '> child');
    if ((el.tagName === 'DT' || el.tagName === 'DD') && !el.closest('dl')) fail('dlitem', el, 'outside a <dl>');
    // aria-required-parent: tabs in a tablist, options in a listbox.
    if (role === 'tab' && !el.closest('[role="tablist"]')) fail('aria-required-parent', el, 'tab outside a tablist');
    if (role === 'option' && el.tagName !== 'OPTION' && !el.closest('[role="listbox"], [role="combobox"]')) fail('aria-required-parent', el, 'option outside a listbox');
    // autocomplete-valid
    const ac = el.getAttribute('autocomplete');
    if (ac !== null && el.matches('input, select, textarea') && !ac.trim().split(/\\s+/).some((t) => AUTOCOMPLETE.has(t))) fail('autocomplete-valid', el, 'autocomplete="' + ac + '"');
  }

  // scrollable-region-focusable: a region that scrolls can be reached by keyboard (Chromium
  // focuses scrollers itself, and a scroller holding a control is reached through it).
  for (const el of all) {
    if (!visible(el)) continue;
    const s = getComputedStyle(el);
    const scrolls = (/(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 1) || (/(auto|scroll)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1);
    if (!scrolls || el.tabIndex >= 0 || el === document.scrollingElement || el.matches('main')) continue;
    if (![...el.querySelectorAll(FOCUSABLE)].some((f) => f.tabIndex >= 0 && visible(f))) fail('scrollable-region-focusable', el, 'scrolls but nothing in it takes focus');
  }

  // color-contrast: text against what is behind it, opacity and translucent layers blended.
  const parse = (c) => {
    const m = /^rgba?\\(([^)]+)\\)$/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null; // a gradient or picture: cannot be judged here
      const c = parse(s.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const disabled = (el) => el.closest('button:disabled, input:disabled, select:disabled, textarea:disabled, fieldset:disabled, [aria-disabled="true"]') !== null || (el.tagName === 'LABEL' && el.control && el.control.disabled);
  const seen = new Set();
  for (const el of all) {
    const hasText = el.matches('input:not([type="checkbox"]):not([type="radio"]):not([type="hidden"]), textarea') ? el.value.trim() !== '' : [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!hasText || !visible(el) || disabled(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // visually hidden
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    const bg = background(el);
    if (!fg || !bg) continue;
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const [a, b] = [lum(text), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const need = large ? 3 : 4.5;
    if (ratio + 0.005 < need) {
      const key = s.color + '|' + bg.join(',') + '|' + el.className;
      if (seen.has(key)) continue; // one report per colour pair and class
      seen.add(key);
      fail('color-contrast', el, ratio.toFixed(2) + ':1 (needs ' + need + ':1), ' + s.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')');
    }
  }
  return problems;
})`;

/** Roles that must carry an accessible name, as a line of Playwright's ARIA snapshot shows them: `- textbox`, `- button [disabled]`, `- combobox:`. */
const UNNAMED = /^\s*- (button|textbox|searchbox|combobox|listbox|checkbox|radio|radiogroup|switch|slider|spinbutton|tab|tablist|link|dialog|alertdialog|progressbar|meter|tooltip|menuitem|img)(?=$|:| \[)/;

/** Controls that assistive technology would announce without a name (Chromium's own computation). */
export async function unnamedControls(scope: Locator): Promise<string[]> {
  const snapshot = await scope.ariaSnapshot();
  return snapshot
    .split('\n')
    .filter((l) => UNNAMED.test(l))
    .map((l) => `unnamed control: ${l.trim()}`);
}

/** Every serious or critical accessibility problem on the page, or inside `rootSelector`. */
export async function a11yProblems(page: Page, rootSelector?: string): Promise<string[]> {
  const scope = page.locator(rootSelector ?? 'body');
  const rules = await page.evaluate<string[]>(`${A11Y_RULES}(${JSON.stringify(rootSelector ?? null)})`);
  return [...(await unnamedControls(scope)), ...rules];
}

/**
 * Where a control does not fit: outside the window's width, outside the box that scrolls it
 * (cut off by an overflow that hides or scrolls), or a text box narrower than `minChars`
 * characters of its own font. Also a page, content area or table that scrolls sideways.
 */
const LAYOUT = `((minChars) => {
  const problems = [];
  const name = (el) => '<' + el.tagName.toLowerCase() + ' ' + (el.getAttribute('data-testid') || el.id || el.getAttribute('aria-label') || (el.textContent || '').trim().slice(0, 30) || '.' + el.className) + '>';
  const doc = document.scrollingElement;
  if (doc.scrollWidth > doc.clientWidth + 1) problems.push('the page is ' + doc.scrollWidth + 'px wide in a ' + doc.clientWidth + 'px window');
  for (const box of document.querySelectorAll('main.content, main .panel-flush, main .table-scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) problems.push(name(box) + ' scrolls sideways (' + box.scrollWidth + 'px in ' + box.clientWidth + 'px)');
  }
  const clipper = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') return e;
    }
    return null;
  };
  const ctx = document.createElement('canvas').getContext('2d');
  const width = window.innerWidth;
  for (const el of document.querySelectorAll('main input, main button, main select, main textarea, [role="dialog"] input, [role="dialog"] button, [role="dialog"] select, [role="dialog"] textarea')) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 && r.height === 0) continue; // not rendered (a closed <details>)
    if (s.visibility === 'hidden') continue;
    if (r.left < -1 || r.right > width + 1) problems.push(name(el) + ' is outside the window (' + Math.round(r.left) + '-' + Math.round(r.right) + ' of ' + width + 'px)');
    const box = clipper(el);
    if (box) {
      // Sideways the control lies within what its box shows; up and down only where the box hides what overflows (one that scrolls down is fine).
      const b = box.getBoundingClientRect();
      const left = b.left + box.clientLeft, right = left + box.clientWidth, top = b.top + box.clientTop, bottom = top + box.clientHeight;
      const hidesY = ['hidden', 'clip'].includes(getComputedStyle(box).overflowY);
      if (r.left < left - 1 || r.right > right + 1 || (hidesY && (r.top < top - 1 || r.bottom > bottom + 1))) problems.push(name(el) + ' is cut off by ' + name(box) + ' (' + Math.round(r.left) + '-' + Math.round(r.right) + ' in ' + Math.round(left) + '-' + Math.round(right) + ')');
    }
    const text = el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'hidden', 'file', 'color', 'range', 'submit', 'button', 'reset', 'image'].includes(el.type));
    if (text) {
      ctx.font = s.fontStyle + ' ' + s.fontWeight + ' ' + s.fontSize + ' ' + s.fontFamily;
      const inner = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      const need = ctx.measureText('0'.repeat(minChars)).width;
      if (inner + 0.5 < need) problems.push(name(el) + ' holds ' + (inner / (need / minChars)).toFixed(1) + ' characters (at least ' + minChars + ')');
    }
  }
  return problems;
})`;

/** Controls clipped or too narrow on the page as it is now (see LAYOUT). */
export async function layoutProblems(page: Page, minChars = 8): Promise<string[]> {
  return page.evaluate<string[]>(`${LAYOUT}(${JSON.stringify(minChars)})`);
}

/** The screens in the side navigation, read from the page: a screen added to NAV is checked without editing a spec. */
export async function navScreens(page: Page): Promise<string[]> {
  const ids = await page.locator('nav[aria-label="Screens"] [data-testid^="nav-"]').evaluateAll((els) => els.map((el) => (el as unknown as { dataset: { testid: string } }).dataset.testid.slice('nav-'.length)));
  if (ids.length === 0) throw new Error('no screens found in the side navigation (nav[aria-label="Screens"] [data-testid^="nav-"])');
  return ids;
}
