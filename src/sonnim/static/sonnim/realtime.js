// The agent websocket with catch-up: every event carries the workspace's sequence number; after a drop
// (or a gap in the sequence) we fetch everything after the last one applied, page by page, so no update
// is lost. Applying an event is idempotent (it re-renders from the server), so a repeat is harmless.
import { api } from "./api.js";

export class Realtime {
  constructor({ lastSeq, onEvent, onPresence, onStatus }) {
    this.lastSeq = lastSeq;
    this.onEvent = onEvent;
    this.onPresence = onPresence;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.catchingUp = null;
    this.socket = null;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/agent/`);
    this.socket = socket;
    socket.addEventListener("message", (e) => this.receive(JSON.parse(e.data)));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.onStatus(false);
      const delay = Math.min(5000, 250 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  async receive(message) {
    if (message.type === "hello") {
      this.attempt = 0;
      try {
        if (message.last_seq > this.lastSeq) await this.catchUp();
      } catch {
        setTimeout(() => this.receive(message), 1000); // the API is not back yet: try again
        return;
      }
      this.onStatus(true);
    } else if (message.type === "event") {
      const event = message.event;
      if (event.seq <= this.lastSeq) return;
      if (event.seq > this.lastSeq + 1 || this.catchingUp) {
        await this.catchUp(); // a gap: fetch in order what came before (this one included)
        return;
      }
      this.lastSeq = event.seq;
      this.onEvent(event);
    } else if (message.type === "presence") {
      this.onPresence(message);
    }
  }

  catchUp() {
    if (!this.catchingUp) {
      this.catchingUp = this.fetchMissed().finally(() => (this.catchingUp = null));
    }
    return this.catchingUp;
  }

  async fetchMissed() {
    for (;;) {
      const page = await api("GET", `/api/v1/events?after=${this.lastSeq}&limit=500`);
      for (const event of page.events) {
        if (event.seq > this.lastSeq) {
          this.lastSeq = event.seq;
          this.onEvent(event);
        }
      }
      if (!page.has_more) return;
    }
  }
}
