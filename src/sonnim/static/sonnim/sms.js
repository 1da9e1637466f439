// The SMS byte counter under the composer: the same rule as inboxes/adapters/sms.py sms_bytes() -
// EUC-KR/CP949 bytes, ASCII one byte and every other character two; up to 90 bytes an SMS, up to 2,000 an
// LMS, longer is refused by the server. Shown while the reply goes out on an SMS inbox.
export function smsBytes(text) {
  let bytes = 0;
  for (const ch of text) bytes += ch.codePointAt(0) < 0x80 ? 1 : 2;
  return bytes;
}

export function attachSmsCounter(form) {
  const counter = form.querySelector("#composer-sms-count");
  const text = form.querySelector("textarea");
  if (!counter || !text) return;
  const smsMax = Number(counter.dataset.smsMax);
  const lmsMax = Number(counter.dataset.lmsMax);
  const kind = () => {
    const select = form.querySelector("#composer-inbox");
    const option = select && select.selectedOptions[0];
    return option ? option.dataset.kind : counter.dataset.channel;
  };
  const update = () => {
    const isSms = kind() === "sms" && form.dataset.mode !== "note";
    counter.hidden = !isSms;
    if (!isSms) return;
    const bytes = smsBytes(text.value);
    const type = bytes <= smsMax ? "SMS" : "LMS";
    counter.textContent = `${type} ${bytes.toLocaleString()} / ${(bytes <= smsMax ? smsMax : lmsMax).toLocaleString()} ${counter.dataset.unit}`;
    counter.classList.toggle("is-over", bytes > lmsMax);
    counter.dataset.type = type;
  };
  text.addEventListener("input", update);
  text.addEventListener("focus", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", () => setTimeout(update, 0));
  update();
}
