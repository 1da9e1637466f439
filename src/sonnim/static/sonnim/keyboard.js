// Keyboard shortcuts. Single keys act only outside text boxes; every action also has a button.
const isTyping = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

export function installShortcuts({ inbox, composer }) {
  let pendingG = 0;
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const openDialog = document.querySelector("dialog[open]");
    if (openDialog) {
      const choice = openDialog.querySelector(`[data-priority]:nth-of-type(${e.key})`);
      if (openDialog.id === "priority-dialog" && /^[1-4]$/.test(e.key) && choice) {
        e.preventDefault();
        choice.click();
      }
      return;
    }
    if (isTyping(e.target)) return;
    const key = e.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (key === "i") {
        e.preventDefault();
        location.href = "/";
      }
      return;
    }
    const actions = {
      "?": () => document.getElementById("shortcuts-dialog").showModal(),
      "/": () => document.getElementById("top-search").focus(),
      g: () => (pendingG = Date.now()),
    };
    if (inbox) {
      Object.assign(actions, {
        j: () => inbox.move(1),
        k: () => inbox.move(-1),
        Enter: () => inbox.openSelected(),
        r: () => composer.focus("reply"),
        n: () => composer.focus("note"),
        e: () => inbox.resolve(),
        a: () => inbox.assignMe(),
        t: () => inbox.askTag(),
        p: () => inbox.askPriority(),
      });
    }
    const action = actions[key];
    if (!action) return;
    // Enter on a focused link or button keeps its own meaning.
    if (key === "Enter" && e.target.closest && e.target.closest("a, button") && !e.target.closest(".row")) return;
    e.preventDefault();
    action();
  });
}
