// The composer: reply or internal note, Ctrl/Cmd+Enter sends, a draft per conversation in localStorage,
// attachments sent as base64 JSON, and canned replies inserted by typing "/".
import { api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./inbox.js";
import { attachSmsCounter } from "./sms.js";

const draftKey = (id) => `sonnim:draft:${id}`;
let canned = []; // filled by the first "/" (one request, however fast the agent types)
let cannedRequest = null;

function cannedReplies() {
  if (cannedRequest === null) {
    cannedRequest = api("GET", "/api/v1/canned-replies").then(
      (list) => (canned = list),
      () => {
        cannedRequest = null; // try again on the next "/"
        return [];
      },
    );
  }
  return cannedRequest;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({
      filename: file.name,
      content_type: file.type || "application/octet-stream",
      data_base64: String(reader.result).split(",", 2)[1] || "",
    });
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export class Composer {
  constructor({ inbox, presence }) {
    this.inbox = inbox;
    this.presence = presence;
    this.menuIndex = 0;
  }

  // Called whenever a conversation pane is rendered.
  attach() {
    this.form = document.getElementById("composer");
    if (!this.form) return;
    this.id = Number(this.form.dataset.conversationId);
    this.text = this.form.querySelector("textarea");
    this.files = this.form.querySelector("#composer-files");
    this.menu = this.form.querySelector("#canned-menu");
    const draft = JSON.parse(localStorage.getItem(draftKey(this.id)) || "null");
    if (draft) {
      this.text.value = draft.text || "";
      this.setMode(draft.mode || "reply");
    }
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "mode") this.setMode(e.target.value);
      if (e.target === this.files) this.showFiles();
    });
    this.text.addEventListener("input", () => {
      this.saveDraft();
      this.presence.typing();
      this.updateMenu();
    });
    this.text.addEventListener("keydown", (e) => this.keydown(e));
    attachSmsCounter(this.form); // byte count and SMS/LMS when the reply goes out on an SMS inbox
    this.menu.addEventListener("mousedown", (e) => {
      const item = e.target.closest("[data-canned]");
      if (item) {
        e.preventDefault();
        this.insertCanned(Number(item.dataset.canned));
      }
    });
  }

  focus(mode) {
    if (!this.form || !document.body.contains(this.form)) return;
    this.setMode(mode);
    this.text.focus();
  }

  setMode(mode) {
    this.form.dataset.mode = mode;
    const radio = this.form.querySelector(`input[name=mode][value=${mode}]`);
    if (radio) radio.checked = true;
    this.saveDraft();
  }

  saveDraft() {
    const text = this.text.value;
    if (text) localStorage.setItem(draftKey(this.id), JSON.stringify({ text, mode: this.form.dataset.mode }));
    else localStorage.removeItem(draftKey(this.id));
  }

  showFiles() {
    const count = this.files.files.length;
    this.form.querySelector("#composer-files-label").textContent = count ? t("attached", { count }) : "";
  }

  keydown(e) {
    if (!this.menu.hidden) {
      const items = [...this.menu.querySelectorAll("[data-canned]")];
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.menuIndex = (this.menuIndex + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        this.highlightMenu();
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && items.length && !(e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.insertCanned(Number(items[this.menuIndex].dataset.canned));
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        this.menu.hidden = true;
        return;
      }
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      this.send();
    } else if (e.key === "Escape") {
      this.text.blur();
    }
  }

  // The "/word" right before the caret, if any.
  slashQuery() {
    const before = this.text.value.slice(0, this.text.selectionStart);
    const match = before.match(/(^|\s)\/([^\s/]*)$/);
    return match ? { query: match[2], start: before.length - match[2].length - 1 } : null;
  }

  async updateMenu() {
    if (!this.slashQuery()) {
      this.menu.hidden = true;
      return;
    }
    const replies = await cannedReplies();
    const slash = this.slashQuery(); // again: the text may have changed while the list loaded
    if (!slash || document.activeElement !== this.text) {
      this.menu.hidden = true;
      return;
    }
    const query = slash.query.toLowerCase();
    const matches = replies.filter(
      (c) => c.title.toLowerCase().includes(query) || c.text.toLowerCase().includes(query),
    );
    this.menu.replaceChildren(
      ...(matches.length ? matches.slice(0, 8) : [null]).map((c) => {
        const li = document.createElement("li");
        if (c === null) {
          li.textContent = t("no_canned");
          li.className = "muted";
          return li;
        }
        li.dataset.canned = String(c.id);
        li.setAttribute("role", "option");
        const title = document.createElement("strong");
        title.textContent = c.title;
        const text = document.createElement("span");
        text.textContent = c.text.slice(0, 80);
        li.append(title, " ", text);
        return li;
      }),
    );
    this.menuIndex = 0;
    this.highlightMenu();
    this.menu.hidden = false;
  }

  highlightMenu() {
    [...this.menu.querySelectorAll("[data-canned]")].forEach((li, i) => {
      li.classList.toggle("is-active", i === this.menuIndex);
      li.setAttribute("aria-selected", String(i === this.menuIndex));
    });
  }

  insertCanned(id) {
    const reply = canned.find((c) => c.id === id);
    const slash = this.slashQuery();
    if (!reply || !slash) return;
    const value = this.text.value;
    const end = this.text.selectionStart;
    this.text.value = value.slice(0, slash.start) + reply.text + value.slice(end);
    const caret = slash.start + reply.text.length;
    this.text.setSelectionRange(caret, caret);
    this.menu.hidden = true;
    this.saveDraft();
    this.text.focus();
  }

  async send() {
    const text = this.text.value.trim();
    const attachments = await Promise.all([...this.files.files].map(readFile));
    if (!text && !attachments.length) return;
    const path = this.form.dataset.mode === "note" ? "notes" : "reply";
    const body = { text, attachments };
    // The channel the reply goes out on: another inbox puts it in the customer's conversation there.
    const channel = this.form.querySelector("#composer-inbox");
    if (path === "reply" && channel && channel.value !== channel.dataset.default) body.inbox_id = Number(channel.value);
    const button = this.form.querySelector("#composer-send");
    button.disabled = true;
    try {
      const message = await api("POST", `/api/v1/conversations/${this.id}/${path}`, body);
      this.text.value = "";
      this.files.value = "";
      this.showFiles();
      this.saveDraft();
      if (message.conversation_id !== this.id) {
        toast(t("sent_elsewhere", { id: message.conversation_id }));
        await this.inbox.open(message.conversation_id);
        return;
      }
      await this.inbox.upsertMessage(message.id);
      this.inbox.scrollTimeline(true);
      this.inbox.scheduleRow(this.id);
    } catch (error) {
      toast(t("send_failed", { reason: error.message }), true);
    } finally {
      button.disabled = false;
    }
  }
}
