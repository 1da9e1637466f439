// Sonnim chat widget: one <script> tag on a shop page. Plain JS, no build step, no dependencies.
// Drawn inside a shadow root (the shop's CSS cannot reach it); realtime over a websocket with a long-poll
// fallback; every item carries its stream sequence number, so a reconnect asks for what it missed.
(function () {
  "use strict";
  var boot = window.SonnimWidgetBoot;
  if (!boot || window.__sonnimWidget) return;
  var opts = window.SonnimChat || {};
  var base = boot.base, key = boot.key, api = base + "/widget/api/" + key + "/";
  var store = "sonnim." + key + ".token";
  var T = {
    ko: { title: "채팅 상담", placeholder: "메시지를 입력하세요", send: "보내기", read: "읽음", sending: "전송 중",
      failed: "전송 실패 · 다시 시도", typing: "상담원이 입력 중입니다…", start: "상담 시작", offlineTitle: "문의 남기기",
      name: "이름", email: "이메일", phone: "휴대폰 번호", via: "답변 받을 곳", viaEmail: "이메일", viaKakao: "카카오톡",
      message: "문의 내용", leave: "남기기", left: "접수되었습니다. 영업시간에 답변드릴게요.", file: "파일 첨부",
      close: "닫기", open: "채팅 상담 열기", required: "필수 항목을 입력해 주세요.", help: "이 글이 도움이 될 수 있어요" },
    en: { title: "Chat with us", placeholder: "Type a message", send: "Send", read: "Read", sending: "Sending",
      failed: "Not sent · retry", typing: "An agent is typing…", start: "Start chat", offlineTitle: "Leave a message",
      name: "Name", email: "Email", phone: "Phone", via: "Answer me by", viaEmail: "Email", viaKakao: "KakaoTalk",
      message: "Message", leave: "Send", left: "Thanks! We'll answer during business hours.", file: "Attach a file",
      close: "Close", open: "Open chat", required: "Please fill in the required fields.", help: "These may help" },
  };
  var state = { token: null, config: null, items: {}, order: [], lastSeq: 0, agentRead: 0, readSent: 0,
    pending: {}, ws: null, wsOpened: false, wsFailures: 0, polling: false, open: false, unread: 0, lang: "ko",
    typingSent: 0, typingTimer: null, answered: false };
  window.__sonnimWidget = state;

  try { state.token = localStorage.getItem(store); } catch (e) { state.token = null; }

  // ---- HTTP ----
  function call(method, path, body, isForm) {
    var headers = {};
    if (state.token) headers["X-Sonnim-Visitor"] = state.token;
    if (body && !isForm) headers["Content-Type"] = "application/json";
    return fetch(api + path, { method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = t ? JSON.parse(t) : {};
          if (!r.ok) { var err = new Error(data.message || r.status); err.status = r.status; err.code = data.code; throw err; }
          return data;
        });
      });
  }
  function uid() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return "c" + Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- DOM ----
  var host = document.createElement("div");
  host.setAttribute("data-sonnim-widget", "");
  var root = host.attachShadow({ mode: "open" });
  var css = ":host{all:initial}*{box-sizing:border-box;font-family:-apple-system,'Apple SD Gothic Neo','Noto Sans KR',sans-serif}" +
    ".sw-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center}" +
    ".sw-badge{position:absolute;top:-4px;right:-4px;background:#e11d48;color:#fff;border-radius:10px;font-size:12px;padding:1px 6px}" +
    ".sw-panel{position:fixed;right:20px;bottom:86px;width:360px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000;color:#111;font-size:14px}" +
    ".sw-panel[hidden]{display:none}.sw-head{color:#fff;padding:14px 16px}.sw-head b{display:block;font-size:16px}.sw-head span{font-size:13px;opacity:.9}" +
    ".sw-x{float:right;background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".sw-list{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9;list-style:none;margin:0}" +
    ".sw-msg{max-width:80%;margin:6px 0;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-break:break-word;clear:both}" +
    ".sw-visitor{float:right;color:#fff}.sw-agent,.sw-bot{float:left;background:#fff;border:1px solid #e5e7eb}" +
    ".sw-meta{display:block;font-size:11px;opacity:.75;margin-top:3px}.sw-author{display:block;font-size:12px;font-weight:600;margin-bottom:2px}" +
    ".sw-msg a{color:inherit}.sw-msg img{max-width:100%;border-radius:8px;display:block}" +
    ".sw-typing{font-size:12px;color:#555;padding:2px 14px;min-height:18px;background:#f6f7f9}" +
    ".sw-form{padding:12px;display:flex;flex-direction:column;gap:8px;overflow-y:auto}" +
    ".sw-form label{font-size:12px;color:#444;display:flex;flex-direction:column;gap:3px}" +
    "input,textarea,select{font:inherit;border:1px solid #d1d5db;border-radius:8px;padding:7px 9px;width:100%}" +
    ".sw-compose{display:flex;gap:6px;padding:8px;border-top:1px solid #e5e7eb;align-items:flex-end}" +
    ".sw-compose textarea{resize:none;height:40px}.sw-btn{border:0;color:#fff;border-radius:8px;padding:9px 12px;cursor:pointer;white-space:nowrap}" +
    ".sw-attach{background:none;border:0;cursor:pointer;padding:6px;color:#555}.sw-note{font-size:13px;color:#333}" +
    ".sw-error{color:#b91c1c;font-size:12px}.sw-retry{cursor:pointer;text-decoration:underline}" +
    ".sw-sugg{list-style:none;margin:0;padding:6px 10px;border-top:1px solid #e5e7eb;font-size:12px;color:#555}" +
    ".sw-sugg a{display:block;padding:5px 0;color:#111;font-size:13px;font-weight:600;text-decoration:none}" +
    ".sw-sugg small{display:block;font-weight:400;color:#666;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}";
  root.innerHTML = "<style>" + css + "</style>";

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  var svg = function (d) {
    return '<svg viewBox="0 0 24 24" width="26" height="26" fill="none" stroke="currentColor" stroke-width="2" ' +
      'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="' + d + '"/></svg>';
  };
  var bubble = el("button", "sw-bubble");
  bubble.innerHTML = svg("M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z"); // static markup only
  var badge = el("span", "sw-badge");
  badge.hidden = true;
  bubble.appendChild(badge);
  var panel = el("section", "sw-panel");
  panel.hidden = true;
  var head = el("div", "sw-head");
  var closeBtn = el("button", "sw-x", "×");
  var title = el("b");
  var greeting = el("span");
  head.append(closeBtn, title, greeting);
  var list = el("ul", "sw-list");
  var typingBar = el("div", "sw-typing");
  var form = el("div", "sw-form");
  form.hidden = true;
  var compose = el("div", "sw-compose");
  var attach = el("button", "sw-attach");
  attach.innerHTML = svg("M21 11.5l-8.5 8.5a5 5 0 0 1-7-7l8.5-8.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3l7.5-7.5");
  var fileInput = el("input");
  fileInput.type = "file";
  fileInput.hidden = true;
  var input = el("textarea", "sw-input");
  var sendBtn = el("button", "sw-btn sw-send");
  compose.append(attach, fileInput, input, sendBtn);
  var sugg = el("ul", "sw-sugg"); // help-center articles while the first message is typed
  sugg.hidden = true;
  panel.append(head, list, typingBar, form, sugg, compose);
  root.append(bubble, panel);

  function t(k) { return (T[state.lang] || T.ko)[k]; }
  function loc(v) { return v ? v[state.lang] || v.ko || "" : ""; }

  // ---- rendering ----
  function apply(items) {
    var fresh = false;
    items.forEach(function (it) {
      if (it.seq > state.lastSeq) state.lastSeq = it.seq;
      if (it.kind === "read") { state.agentRead = Math.max(state.agentRead, it.up_to); return; }
      if (state.items[it.seq]) return;
      state.items[it.seq] = it;
      state.order.push(it.seq);
      if (it.client_id && state.pending[it.client_id]) {
        state.pending[it.client_id].node.remove();
        delete state.pending[it.client_id];
      }
      if (it.from !== "visitor") { fresh = true; if (!state.open) state.unread++; }
    });
    state.order.sort(function (a, b) { return a - b; });
    render();
    if (fresh) { typingBar.textContent = ""; markRead(); }
  }
  function render() {
    var keep = list.querySelectorAll(".sw-pending");
    list.textContent = "";
    state.order.forEach(function (seq) { list.appendChild(messageNode(state.items[seq])); });
    Array.prototype.forEach.call(keep, function (n) { list.appendChild(n); });
    badge.hidden = !state.unread;
    badge.textContent = state.unread;
    list.scrollTop = list.scrollHeight;
  }
  function messageNode(it) {
    var li = el("li", "sw-msg sw-" + it.from);
    li.setAttribute("data-seq", it.seq);
    if (it.from === "visitor") li.style.background = color();
    if (it.from !== "visitor" && it.author) li.appendChild(el("span", "sw-author", it.author));
    if (it.text) li.appendChild(document.createTextNode(it.text));
    (it.files || []).forEach(function (f) {
      var a = el("a");
      a.href = base + f.url;
      a.target = "_blank";
      a.rel = "noopener";
      if (/^image\//.test(f.type)) { var img = el("img"); img.src = a.href; img.alt = f.name; a.appendChild(img); }
      else a.textContent = f.name;
      li.appendChild(a);
    });
    var meta = el("span", "sw-meta", new Date(it.at).toLocaleTimeString(state.lang, { hour: "2-digit", minute: "2-digit" }));
    if (it.from === "visitor" && it.seq <= state.agentRead) {
      var r = el("span", "sw-read", " · " + t("read"));
      meta.appendChild(r);
    }
    li.appendChild(meta);
    return li;
  }
  function color() { return (state.config && state.config.brand_color) || "#2563eb"; }

  // ---- sending ----
  function send(text, file, answers) {
    var clientId = uid();
    var node = el("li", "sw-msg sw-visitor sw-pending");
    node.style.background = color();
    node.appendChild(document.createTextNode(text || (file && file.name) || ""));
    var meta = el("span", "sw-meta", t("sending"));
    node.appendChild(meta);
    list.appendChild(node);
    list.scrollTop = list.scrollHeight;
    state.pending[clientId] = { node: node };
    var attempt = function () {
      var body, isForm = false;
      if (file) {
        body = new FormData();
        body.append("client_id", clientId);
        body.append("text", text || "");
        body.append("file", file);
        if (answers) body.append("answers", JSON.stringify(answers));
        isForm = true;
      } else body = { client_id: clientId, text: text, answers: answers || undefined };
      meta.textContent = t("sending");
      return call("POST", "messages", body, isForm).then(function (res) {
        apply([res.item]);
        resync();
      }, function (err) {
        meta.textContent = err.status && err.status < 500 && err.status !== 429 ? err.message : t("failed");
        meta.className = "sw-meta sw-error sw-retry";
        meta.onclick = function () { meta.onclick = null; attempt(); }; // same client_id: a resend is a no-op
      });
    };
    return attempt();
  }
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    sugg.hidden = true;
    send(text, null, null);
  }
  sendBtn.onclick = submit;
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  input.addEventListener("input", function () { typing(true); suggest(); });

  // ---- help-center suggestions before the first message (an opened one counts as a deflection) ----
  function suggest() {
    clearTimeout(state.suggestTimer);
    var q = input.value.trim();
    if (state.order.length || q.length < 2) { sugg.hidden = true; return; }
    state.suggestTimer = setTimeout(function () {
      call("GET", "articles?q=" + encodeURIComponent(q)).then(function (res) {
        if (input.value.trim() === q && !state.order.length) showArticles(res.articles || []);
      }, function () {});
    }, 300);
  }
  function showArticles(articles) {
    sugg.textContent = "";
    sugg.appendChild(el("li", null, t("help")));
    articles.forEach(function (a) {
      if (!/^https?:\/\//.test(a.url)) return;
      var link = el("a", null, a.title);
      link.href = a.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.appendChild(el("small", null, a.excerpt));
      link.onclick = function () { call("POST", "articles/" + a.id + "/deflected", {}).catch(function () {}); };
      sugg.appendChild(el("li")).appendChild(link);
    });
    sugg.hidden = sugg.childNodes.length < 2;
  }
  attach.onclick = function () { fileInput.click(); };
  fileInput.onchange = function () {
    if (fileInput.files[0]) send(input.value.trim(), fileInput.files[0], null);
    input.value = "";
    fileInput.value = "";
  };

  function typing(on) {
    var now = Date.now();
    if (on && now - state.typingSent < 3000) return;
    state.typingSent = on ? now : 0;
    if (!state.order.length) return; // agents have no conversation to see it in yet
    if (wsReady()) state.ws.send(JSON.stringify({ type: "typing", typing: on }));
    else call("POST", "typing", { typing: on }).catch(function () {});
    clearTimeout(state.typingTimer);
    if (on) state.typingTimer = setTimeout(function () { typing(false); }, 5000);
  }
  function markRead() {
    if (!state.open || document.hidden || state.lastSeq <= state.readSent) return;
    state.readSent = state.lastSeq;
    state.unread = 0;
    badge.hidden = true;
    if (wsReady()) state.ws.send(JSON.stringify({ type: "read", seq: state.lastSeq }));
    else call("POST", "read", { seq: state.lastSeq }).catch(function () { state.readSent = 0; });
  }
  document.addEventListener("visibilitychange", markRead);

  // ---- forms: pre-chat questions, offline ----
  function field(labelText, node) {
    var l = el("label", null, labelText);
    l.appendChild(node);
    form.appendChild(l);
    return node;
  }
  function showPrechat(questions) {
    form.textContent = "";
    form.hidden = false;
    compose.hidden = true;
    var inputs = {};
    questions.forEach(function (q) {
      var node;
      if (q.options && q.options.length) {
        node = el("select");
        node.appendChild(el("option", null, ""));
        q.options.forEach(function (o) { node.appendChild(el("option", null, o)); });
      } else node = el("input");
      node.name = q.name;
      inputs[q.name] = field(loc(q.label) + (q.required ? " *" : ""), node);
    });
    var first = field(t("message"), el("textarea", "sw-first"));
    var error = el("div", "sw-error");
    var go = el("button", "sw-btn sw-start", t("start"));
    go.style.background = color();
    form.append(error, go);
    go.onclick = function () {
      var answers = {};
      var missing = questions.some(function (q) {
        answers[q.name] = inputs[q.name].value.trim();
        return q.required && !answers[q.name];
      });
      if (missing || !first.value.trim()) { error.textContent = t("required"); return; }
      form.hidden = true;
      compose.hidden = false;
      send(first.value.trim(), null, answers);
    };
  }
  function showOffline() {
    form.textContent = "";
    form.hidden = false;
    compose.hidden = true;
    form.appendChild(el("p", "sw-note", loc(state.config.offline_message)));
    var name = field(t("name"), el("input"));
    var email = field(t("email"), el("input"));
    email.type = "email";
    var phone = field(t("phone"), el("input"));
    var via = field(t("via"), el("select"));
    [["email", t("viaEmail")], ["kakao", t("viaKakao")]].forEach(function (o) {
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      via.appendChild(opt);
    });
    var text = field(t("message"), el("textarea"));
    var error = el("div", "sw-error");
    var go = el("button", "sw-btn sw-leave", t("leave"));
    go.style.background = color();
    form.append(error, go);
    var clientId = uid();
    go.onclick = function () {
      if (!text.value.trim() || !(email.value.trim() || phone.value.trim())) { error.textContent = t("required"); return; }
      call("POST", "offline", { client_id: clientId, name: name.value, email: email.value, phone: phone.value,
        reply_via: via.value, text: text.value }).then(function (res) {
        form.textContent = "";
        form.appendChild(el("p", "sw-note sw-left", t("left")));
        apply([res.item]);
      }, function (err) { error.textContent = err.message; });
    };
  }

  // ---- realtime: websocket, long-poll fallback ----
  function wsReady() { return state.ws && state.ws.readyState === 1; }
  function connect() {
    if (state.polling || !window.WebSocket) return poll();
    var url = base.replace(/^http/, "ws") + "/ws/widget/" + key + "/?token=" + encodeURIComponent(state.token) + "&after=" + state.lastSeq;
    var ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = function () { state.wsOpened = true; state.wsFailures = 0; };
    ws.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.type === "items") apply(data.items);
      else if (data.type === "typing") {
        typingBar.textContent = t("typing");
        clearTimeout(state.typingShown);
        state.typingShown = setTimeout(function () { typingBar.textContent = ""; }, 6000);
      }
    };
    ws.onclose = function () {
      state.ws = null;
      if (!state.wsOpened && ++state.wsFailures >= 2) { state.polling = true; return poll(); } // blocked
      state.wsOpened = false;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, state.wsFailures++)));
    };
  }
  function poll() {
    state.polling = true;
    call("GET", "poll?after=" + state.lastSeq + "&wait=25").then(function (res) {
      apply(res.items);
      poll();
    }, function () { setTimeout(poll, 3000); });
  }
  function resync() {
    if (wsReady()) state.ws.send(JSON.stringify({ type: "sync", after: state.lastSeq }));
  }

  // ---- start ----
  function start() {
    var member = opts.member || null;
    return call("POST", "session", { token: state.token, member: member }).then(function (res) {
      if (res.token) {
        state.token = res.token;
        try { localStorage.setItem(store, res.token); } catch (e) { /* private mode: this page only */ }
      }
      var cfg = (state.config = res.config);
      var lang = opts.language || (cfg.language !== "auto" ? cfg.language : (navigator.language || "ko").slice(0, 2));
      state.lang = T[lang] ? lang : "en";
      bubble.style.background = head.style.background = sendBtn.style.background = cfg.brand_color;
      bubble.setAttribute("aria-label", t("open"));
      closeBtn.setAttribute("aria-label", t("close"));
      attach.title = t("file");
      title.textContent = cfg.name || t("title");
      greeting.textContent = loc(cfg.greeting);
      input.placeholder = t("placeholder");
      sendBtn.textContent = t("send");
      state.agentRead = res.agent_read_seq || 0;
      apply(res.items);
      state.unread = 0;
      render();
      if (!res.items.length && !cfg.is_open) showOffline();
      else if (!res.items.length && cfg.prechat.length) showPrechat(cfg.prechat);
      connect();
    });
  }
  bubble.onclick = function () {
    state.open = panel.hidden;
    panel.hidden = !state.open;
    if (state.open) { markRead(); input.focus(); list.scrollTop = list.scrollHeight; }
  };
  closeBtn.onclick = function () { state.open = false; panel.hidden = true; };
  function mount() {
    document.body.appendChild(host);
    start().catch(function () { host.remove(); window.__sonnimWidget = null; });
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
