// Entry point of every agent page: wires the inbox, realtime, composer, shortcuts and search.
import { Composer } from "./composer.js";
import { t } from "./i18n.js";
import { Inbox, toast } from "./inbox.js";
import { installShortcuts } from "./keyboard.js";
import { Presence } from "./presence.js";
import { Realtime } from "./realtime.js";
import { installSearch } from "./search.js";
import { refreshTimes } from "./time.js";

const main = document.querySelector("main.panes");
const banner = document.getElementById("offline-banner");
let inbox = null;
let composer = null;

if (main) {
  let wasOffline = false;
  const realtime = new Realtime({
    lastSeq: Number(main.dataset.lastSeq) || 0,
    onEvent: (event) => inbox.apply(event),
    onPresence: (message) => presence.receive(message),
    onStatus: (online) => {
      banner.hidden = online;
      document.body.classList.toggle("is-offline", !online);
      if (online && wasOffline) {
        inbox.recover();
        toast(t("reconnected"));
        presence.heartbeat();
      }
      wasOffline = !online;
      if (online) document.body.dataset.lastSeq = String(realtime.lastSeq);
    },
  });
  const presence = new Presence((message) => realtime.send(message));
  inbox = new Inbox(main, { presence, onOpened: () => composer.attach() });
  composer = new Composer({ inbox, presence });
  composer.attach();
  realtime.connect();
  window.sonnim = { realtime, inbox, presence }; // for the browser tests and for debugging
  const first = inbox.openId;
  if (first) {
    inbox.select(first);
    // Tell the others once the socket is up (the hello arrives right after open).
    const announce = setInterval(() => {
      if (realtime.socket && realtime.socket.readyState === WebSocket.OPEN) {
        presence.view(first);
        clearInterval(announce);
      }
    }, 100);
    inbox.scrollTimeline(true);
  }
}

const searchForm = document.querySelector("form[data-search-page]");
if (searchForm) installSearch(searchForm);
installShortcuts({ inbox, composer });
refreshTimes();
setInterval(() => refreshTimes(), 30000);
