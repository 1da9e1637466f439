// The search page: results re-run through GET /api/v1/search as the agent types, with highlights.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { refreshTimes } from "./time.js";

function highlighted(text, query) {
  const words = [...new Set(query.split(/\s+/).filter(Boolean))].sort((a, b) => b.length - a.length);
  const span = document.createElement("span");
  if (!words.length) {
    span.textContent = text;
    return span;
  }
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    span.append(text.slice(last, match.index));
    const mark = document.createElement("mark");
    mark.textContent = match[0];
    span.append(mark);
    last = match.index + match[0].length;
  }
  span.append(text.slice(last));
  return span;
}

function resultItem(hit, query) {
  const li = document.createElement("li");
  li.className = "search-hit";
  const link = document.createElement("a");
  link.href = hit.conversation_id ? `/?c=${hit.conversation_id}` : "#";
  const name = document.createElement("strong");
  name.append(highlighted(hit.customer_name || "—", query));
  link.append(name);
  li.append(link);
  const text = document.createElement("p");
  text.append(highlighted(hit.text.slice(0, 300), query));
  li.append(text);
  if (hit.created_at) {
    const time = document.createElement("time");
    time.setAttribute("datetime", hit.created_at);
    time.dataset.rel = "";
    time.className = "muted";
    li.append(time);
  }
  return li;
}

export function installSearch(form) {
  const input = form.querySelector("input[name=q]");
  const list = document.getElementById("search-results");
  let timer = null;
  let latest = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = input.value.trim();
      const ticket = ++latest;
      history.replaceState({}, "", query ? `?q=${encodeURIComponent(query)}` : location.pathname);
      const hits = query ? await api("GET", `/api/v1/search?q=${encodeURIComponent(query)}&limit=50`) : [];
      if (ticket !== latest) return; // a newer query answered first
      list.replaceChildren(...hits.map((h) => resultItem(h, query)));
      if (query && !hits.length) {
        const li = document.createElement("li");
        li.className = "empty-state";
        li.textContent = t("no_results");
        list.append(li);
      }
      refreshTimes(list);
    }, 250);
  });
}
