// "Someone else is viewing / typing": ephemeral hints relayed by the websocket, never stored.
import { t } from "./i18n.js";

const EXPIRE_MS = 40000; // a viewer that stopped sending heartbeats is gone
const TYPING_MS = 6000;

export class Presence {
  constructor(send) {
    this.send = send;
    this.viewers = new Map(); // conversation id -> Map(agent id -> {name, state, at})
    this.openId = null;
    this.lastTypingSent = 0;
    setInterval(() => this.heartbeat(), 15000);
    setInterval(() => this.render(), 5000);
  }

  view(conversationId) {
    if (this.openId && this.openId !== conversationId) this.send({ type: "left", conversation_id: this.openId });
    this.openId = conversationId;
    if (conversationId) this.send({ type: "viewing", conversation_id: conversationId });
    this.render();
  }

  heartbeat() {
    if (this.openId) this.send({ type: "viewing", conversation_id: this.openId });
  }

  typing() {
    const now = Date.now();
    if (this.openId && now - this.lastTypingSent > 3000) {
      this.lastTypingSent = now;
      this.send({ type: "typing", conversation_id: this.openId });
    }
  }

  receive({ agent_id: agentId, agent_name: name, conversation_id: cid, state }) {
    for (const [id, agents] of this.viewers) {
      if (state === "left" && cid !== null && id !== cid) continue;
      if (state !== "left" && id === cid) continue;
      agents.delete(agentId); // an agent views one conversation at a time
    }
    if (state !== "left" && cid) {
      if (!this.viewers.has(cid)) this.viewers.set(cid, new Map());
      const agents = this.viewers.get(cid);
      const isNew = !agents.has(agentId);
      agents.set(agentId, { name: name || `#${agentId}`, state, at: Date.now() });
      // Tell a newcomer that we are here too (once: they already know us if they knew us before).
      if (isNew && cid === this.openId) this.send({ type: "viewing", conversation_id: cid });
    }
    this.render();
  }

  others(cid) {
    const agents = this.viewers.get(cid);
    if (!agents) return [];
    const now = Date.now();
    for (const [id, v] of agents) if (now - v.at > EXPIRE_MS) agents.delete(id);
    return [...agents.values()].map((v) => ({ ...v, typing: v.state === "typing" && now - v.at < TYPING_MS }));
  }

  render() {
    const bar = document.getElementById("presence-bar");
    if (bar) {
      const others = this.openId ? this.others(this.openId) : [];
      bar.textContent = others.map((o) => t(o.typing ? "typing" : "viewing", { name: o.name })).join(" · ");
      bar.classList.toggle("is-active", others.length > 0);
    }
    for (const row of document.querySelectorAll(".row[data-id]")) {
      const badge = row.querySelector("[data-row-presence]");
      const names = this.others(Number(row.dataset.id)).map((o) => o.name);
      if (badge) badge.textContent = names.join(", ");
    }
  }
}
