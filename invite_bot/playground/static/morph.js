// Redrawing a pane without taking away what a person is doing in it.
//
// The page redraws a pane whenever anything changes (every second or two while the bot
// works). Replacing the pane's HTML would replace its elements: a field would lose what
// was being typed, the focus and the caret; an open menu or fold would close. Instead the
// new HTML is laid over the live elements one by one ("morphing"): an element that is
// still there stays the same element, and only what changed in it is changed. A field's
// value, focus and caret are the browser's own state of that element, so they stay.
"use strict";

const morph = (() => {
  const drawn = new WeakMap(); // holder -> the HTML it was last drawn from

  // Elements that say who they are: matched by that, wherever they moved among their
  // siblings (a new invitation or message comes in at the top or the bottom).
  function keyOf(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    const d = node.dataset;
    const key = node.id || d.entry || d.invitation || d.openKey || d.blockId || d.morphKey;
    return key ? `${node.nodeName}:${key}` : null;
  }

  function sameKind(live, wanted) {
    if (live.nodeType !== wanted.nodeType || live.nodeName !== wanted.nodeName) return false;
    if (live.nodeType !== Node.ELEMENT_NODE) return true;
    return live.getAttribute("type") === wanted.getAttribute("type");
  }

  function syncAttributes(live, wanted) {
    for (const { name } of Array.from(live.attributes)) {
      // a fold the person opened stays open (the server never opens one)
      if (name === "open" && live.nodeName === "DETAILS") continue;
      if (!wanted.hasAttribute(name)) live.removeAttribute(name);
    }
    for (const { name, value } of Array.from(wanted.attributes)) {
      if (live.getAttribute(name) !== value) live.setAttribute(name, value);
    }
    // A switch shows what the server holds, unless the person is on it right now.
    const box = live.nodeName === "INPUT" && /^(checkbox|radio)$/.test(live.type);
    if (box && live !== document.activeElement) live.checked = wanted.hasAttribute("checked");
  }

  function morphNode(live, wanted) {
    if (live.nodeType !== Node.ELEMENT_NODE) {
      if (live.nodeValue !== wanted.nodeValue) live.nodeValue = wanted.nodeValue;
      return;
    }
    syncAttributes(live, wanted);
    // A text area's children are its first value only: what is typed in it stays.
    if (live.nodeName === "TEXTAREA") return;
    morphChildren(live, wanted);
  }

  function morphChildren(live, wanted) {
    const keyed = new Map();
    for (const child of live.childNodes) {
      const key = keyOf(child);
      if (key && !keyed.has(key)) keyed.set(key, child);
    }
    let cursor = live.firstChild;
    for (const next of Array.from(wanted.childNodes)) {
      const key = keyOf(next);
      let match = null;
      if (key) {
        match = keyed.get(key) || null;
        keyed.delete(key);
        if (match && !sameKind(match, next)) match = null;
      } else if (cursor && !keyOf(cursor) && sameKind(cursor, next)) {
        match = cursor;
      }
      if (match === null) {
        live.insertBefore(next, cursor); // taken from `wanted`
      } else if (match === cursor) {
        cursor = cursor.nextSibling;
        morphNode(match, next);
      } else {
        live.insertBefore(match, cursor);
        morphNode(match, next);
      }
    }
    while (cursor) {
      const after = cursor.nextSibling;
      live.removeChild(cursor);
      cursor = after;
    }
  }

  // Draw `html` into `holder`, keeping what can be kept; false when nothing changed.
  function draw(holder, html) {
    if (drawn.get(holder) === html) return false;
    drawn.set(holder, html);
    const template = document.createElement("template");
    template.innerHTML = html;
    morphChildren(holder, template.content);
    return true;
  }

  // Forget what `holder` was drawn from: the next draw lays its HTML over it again.
  function forget(holder) {
    drawn.delete(holder);
  }

  return { draw, forget };
})();
