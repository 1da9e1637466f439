// The three-pane inbox: keeps the list, the counts, the open conversation and the customer pane current.
// Writes go through the JSON API; what to show comes back as server-rendered partials swapped in place.
import { api, fragment, html } from "./api.js";
import { t } from "./i18n.js";
import { refreshTimes } from "./time.js";

export class Inbox {
  constructor(main, { presence, onOpened }) {
    this.main = main;
    this.view = main.dataset.view;
    this.openId = Number(main.dataset.openId) || null;
    this.presence = presence;
    this.onOpened = onOpened;
    this.list = document.getElementById("conversation-list");
    this.pendingRows = new Set();
    this.failed = [];
    this.rowTimer = null;
    this.navTimer = null;
    document.addEventListener("click", (e) => this.click(e));
    document.addEventListener("change", (e) => this.change(e));
    document.addEventListener("submit", (e) => this.submit(e));
    window.addEventListener("popstate", () => {
      const id = Number(new URLSearchParams(location.search).get("c")) || null;
      if (id && id !== this.openId) this.open(id, { push: false });
    });
  }

  // ---- events from the websocket (live or caught up) ----
  apply(event) {
    const cid = event.conversation_id;
    if (event.type.startsWith("saved_view.")) this.scheduleNav();
    if (event.type === "call.ringing") this.callRinging(event);
    if (cid) {
      // A customer message in the conversation the agent is reading is read: move the marker first, so
      // the row never flashes as unread.
      if (cid === this.openId && event.type === "message.received") this.guard(event, () => this.markRead(cid));
      else this.scheduleRow(cid);
      this.scheduleNav();
      if (cid === this.openId) {
        if (event.data && event.data.message_id) this.guard(event, () => this.upsertMessage(event.data.message_id));
        if (event.type.startsWith("conversation.")) this.guard(event, () => this.refreshHeader());
        if (event.type === "conversation.customer_changed") this.guard(event, () => this.refreshCustomer());
      }
    }
    const shown = this.customerId();
    if (shown && event.type.startsWith("customer")) {
      const data = event.data || {};
      if (event.customer_id === shown || data.source_id === shown || data.target_id === shown) {
        this.guard(event, () => this.refreshCustomer());
      }
    }
  }

  // A phone call rings (inboxes/calls.py): pop the caller's conversation with their customer 360 beside
  // it - for the agent the PBX routed the call to, or for everyone when it names no one. A ring caught up
  // after a reconnect (older than a minute) pops nothing, and a reply being typed is never pushed away.
  callRinging(event) {
    const data = event.data || {};
    const me = Number(this.main.dataset.agentId);
    if (data.direction !== "inbound" || (data.agent_id && data.agent_id !== me)) return;
    if (Date.now() - Date.parse(event.created_at) > 60000) return;
    toast(t("call_ringing", { id: event.customer_id }));
    const typing = document.querySelector("#composer textarea");
    if (!typing || !typing.value.trim()) this.guard(event, () => this.open(event.conversation_id));
  }

  // An event is applied by fetching what it changed; if that fetch fails (the server went away right
  // then), keep the event and apply it again after reconnecting, so no update is lost.
  guard(event, render) {
    render().catch(() => this.failed.push(event));
  }

  recover() {
    const events = this.failed.splice(0);
    events.forEach((event) => this.apply(event));
    this.refreshNav().catch(() => {});
    if (this.openId) this.refreshCustomer().catch(() => {});
  }

  scheduleRow(id) {
    this.pendingRows.add(id);
    clearTimeout(this.rowTimer);
    this.rowTimer = setTimeout(() => {
      const ids = [...this.pendingRows];
      this.pendingRows.clear();
      ids.forEach((rid) => this.refreshRow(rid).catch(() => this.failed.push({ conversation_id: rid, type: "" })));
    }, 50);
  }

  scheduleNav() {
    clearTimeout(this.navTimer);
    this.navTimer = setTimeout(() => this.refreshNav().catch(() => {}), 150); // recover() redoes it
  }

  async refreshNav() {
    const markup = await html(`/inbox/nav?view=${encodeURIComponent(this.view)}`);
    document.getElementById("nav-pane").innerHTML = markup;
  }

  async refreshRow(id) {
    const markup = await html(`/inbox/rows/${id}?view=${encodeURIComponent(this.view)}`);
    const old = this.list.querySelector(`.row[data-id="${id}"]`);
    const wasSelected = old && old.classList.contains("is-selected");
    if (old) old.remove();
    if (markup === null) return;
    const row = fragment(markup).firstElementChild;
    if (wasSelected) row.classList.add("is-selected");
    if (id === this.openId) row.classList.add("is-open");
    this.insertSorted(row);
    refreshTimes(row);
    this.presence.render();
  }

  // Newest activity first, ties by id: the order of the server's list.
  insertSorted(row) {
    const key = (r) => [Number(r.dataset.ts), Number(r.dataset.id)];
    const [ts, id] = key(row);
    const empty = this.list.querySelector("[data-empty]");
    if (empty) empty.remove();
    for (const other of this.list.querySelectorAll(".row[data-id]")) {
      const [ots, oid] = key(other);
      if (ts > ots || (ts === ots && id > oid)) {
        other.before(row);
        return;
      }
    }
    // Older than every loaded row: it belongs to a page not loaded yet, unless the list is complete.
    if (!this.list.querySelector("[data-load-more]")) this.list.append(row);
  }

  rows() {
    return [...this.list.querySelectorAll(".row[data-id]")];
  }

  async markRead(id) {
    await api("POST", `/api/v1/conversations/${id}/read`);
    this.scheduleRow(id);
  }

  // The server marked it read when it rendered the conversation: clear the row at once.
  clearUnread(id) {
    const row = this.list.querySelector(`.row[data-id="${id}"]`);
    if (!row) return;
    row.classList.remove("is-unread");
    const badge = row.querySelector(".unread-count");
    if (badge) badge.remove();
  }

  // ---- the open conversation ----
  async open(id, { push = true } = {}) {
    const markup = await html(`/inbox/conversations/${id}`);
    const pane = document.getElementById("conversation-pane");
    pane.innerHTML = markup;
    this.openId = id;
    this.main.dataset.openId = String(id);
    for (const row of this.rows()) row.classList.toggle("is-open", Number(row.dataset.id) === id);
    this.clearUnread(id);
    this.select(id);
    if (push) history.pushState({}, "", `?view=${encodeURIComponent(this.view)}&c=${id}`);
    this.presence.view(id);
    refreshTimes(pane);
    this.scrollTimeline(true);
    await this.refreshCustomer();
    this.onOpened(id);
  }

  customerId() {
    const node = document.querySelector("#customer-pane [data-customer-id]");
    return node ? Number(node.dataset.customerId) : null;
  }

  async refreshHeader() {
    if (!this.openId) return;
    const markup = await html(`/inbox/conversations/${this.openId}/header`);
    const header = document.getElementById("conv-header");
    if (header) header.innerHTML = markup;
  }

  async refreshCustomer() {
    const conv = document.querySelector("#conversation-pane [data-customer-id]");
    if (!conv) return;
    // The conversation's customer may have changed (merge): ask the header's source of truth.
    const id = this.openId;
    const detail = await api("GET", `/api/v1/conversations/${id}`);
    conv.dataset.customerId = String(detail.customer.id);
    const markup = await html(`/inbox/customers/${detail.customer.id}?current=${id}`);
    const pane = document.getElementById("customer-pane");
    pane.innerHTML = markup;
    refreshTimes(pane);
  }

  async upsertMessage(messageId) {
    const markup = await html(`/inbox/messages/${messageId}`);
    const timeline = document.getElementById("timeline");
    if (!timeline || markup === null) return;
    const item = fragment(markup).firstElementChild;
    const existing = document.getElementById(`msg-${messageId}`);
    const nearBottom = this.isNearBottom();
    if (existing) existing.replaceWith(item);
    else timeline.append(item);
    refreshTimes(item);
    if (!existing) this.scrollTimeline(nearBottom);
  }

  isNearBottom() {
    const pane = document.getElementById("timeline");
    return !pane || pane.scrollHeight - pane.scrollTop - pane.clientHeight < 120;
  }

  scrollTimeline(force) {
    const pane = document.getElementById("timeline");
    if (pane && force) pane.scrollTop = pane.scrollHeight;
  }

  // ---- selection (j/k) ----
  select(id) {
    for (const row of this.rows()) row.classList.toggle("is-selected", Number(row.dataset.id) === id);
    const row = this.list.querySelector(`.row[data-id="${id}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  move(step) {
    const rows = this.rows();
    if (!rows.length) return;
    const current = rows.findIndex((r) => r.classList.contains("is-selected"));
    const start = current === -1 ? rows.findIndex((r) => r.classList.contains("is-open")) : current;
    const next = Math.max(0, Math.min(rows.length - 1, start + step));
    this.select(Number(rows[start === -1 ? 0 : next].dataset.id));
    const link = this.list.querySelector(".row.is-selected .row-link");
    if (link) link.focus({ preventScroll: true });
  }

  openSelected() {
    const row = this.list.querySelector(".row.is-selected") || this.rows()[0];
    if (row) this.open(Number(row.dataset.id));
  }

  // ---- actions (buttons, selects and shortcuts) ----
  async act(path, body) {
    if (!this.openId) return null;
    try {
      const result = await api("POST", `/api/v1/conversations/${this.openId}/${path}`, body);
      await this.refreshHeader();
      this.scheduleRow(this.openId);
      this.scheduleNav();
      return result;
    } catch (error) {
      toast(t("send_failed", { reason: error.message }), true);
      return null;
    }
  }

  resolve() {
    return this.act("status", { status: "resolved" });
  }

  assignMe() {
    return this.act("assign", { assignee_id: Number(this.main.dataset.agentId) });
  }

  setPriority(priority) {
    return this.act("priority", { priority });
  }

  addTag(tag) {
    return tag ? this.act("tags", { add: [tag] }) : null;
  }

  askTag() {
    if (!this.openId) return;
    const dialog = document.getElementById("tag-dialog");
    dialog.querySelector("input").value = "";
    dialog.showModal();
  }

  askPriority() {
    if (this.openId) document.getElementById("priority-dialog").showModal();
  }

  async retry(messageId) {
    try {
      await api("POST", `/api/v1/messages/${messageId}/retry`);
      await this.upsertMessage(messageId);
    } catch (error) {
      toast(t("send_failed", { reason: error.message }), true);
    }
  }

  click(e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    const target = e.target.closest("[data-open], [data-action], [data-load-more], [data-close]");
    if (!target) return;
    if (target.dataset.open) {
      e.preventDefault();
      this.open(Number(target.dataset.open));
    } else if (target.dataset.loadMore) {
      this.loadMore(target);
    } else if (target.hasAttribute("data-close")) {
      target.closest("dialog").close();
    } else if (target.tagName === "BUTTON") {
      this.button(target);
    }
  }

  button(target) {
    const action = target.dataset.action;
    if (action === "resolve") this.resolve();
    else if (action === "reopen") this.act("status", { status: "open" });
    else if (action === "pending") this.act("status", { status: "pending" });
    else if (action === "assign-me") this.assignMe();
    else if (action === "tag") this.askTag();
    else if (action === "untag") this.act("tags", { remove: [target.dataset.tag] });
    else if (action === "retry") this.retry(Number(target.dataset.messageId));
  }

  change(e) {
    const action = e.target.dataset && e.target.dataset.action;
    if (action === "assign") this.act("assign", { assignee_id: Number(e.target.value) || null });
    else if (action === "priority") this.setPriority(e.target.value);
    else if (e.target.matches("[data-switch-select]")) {
      const form = e.target.form;
      form.action = e.target.value;
      form.submit();
    }
  }

  async loadMore(button) {
    const item = button.closest("li");
    const markup = await html(`/inbox/rows?view=${encodeURIComponent(this.view)}&cursor=${button.dataset.loadMore}`);
    const known = new Set(this.rows().map((r) => r.dataset.id));
    const rows = fragment(markup);
    for (const row of [...rows.querySelectorAll(".row[data-id]")]) if (known.has(row.dataset.id)) row.remove();
    item.replaceWith(rows);
    refreshTimes(this.list);
    this.presence.render();
  }

  async submit(e) {
    const form = e.target;
    if (form.matches("[data-tag-form]")) {
      this.addTag(form.querySelector("input").value.trim());
    } else if (form.matches("[data-priority-form]")) {
      if (e.submitter && e.submitter.dataset.priority) this.setPriority(e.submitter.dataset.priority);
    } else if (form.matches("[data-customer-edit]")) {
      e.preventDefault();
      await this.saveCustomer(form);
    } else if (form.matches("[data-customer-merge]")) {
      e.preventDefault();
      await this.mergeCustomer(form);
    }
  }

  async saveCustomer(form) {
    const data = new FormData(form);
    const tags = String(data.get("tags") || "").split(",").map((s) => s.trim()).filter(Boolean);
    try {
      await api("PATCH", `/api/v1/customers/${form.dataset.customerEdit}`, {
        name: data.get("name"), tier: data.get("tier"), notes: data.get("notes"), tags,
      });
      toast(t("saved"));
      await this.refreshCustomer();
      this.refreshHeader();
    } catch (error) {
      toast(t("send_failed", { reason: error.message }), true);
    }
  }

  async mergeCustomer(form) {
    const source = Number(new FormData(form).get("source_id"));
    if (!source || !confirm(t("merge_confirm", { source }))) return;
    try {
      await api("POST", "/api/v1/customers/merge", { source_id: source, target_id: Number(form.dataset.customerMerge) });
      toast(t("merged"));
      await this.refreshCustomer();
    } catch (error) {
      toast(t("send_failed", { reason: error.message }), true);
    }
  }
}

let toastTimer = null;
export function toast(text, isError = false) {
  const node = document.getElementById("toast");
  if (!node) return;
  node.textContent = text;
  node.classList.toggle("is-error", isError);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 4000);
}
