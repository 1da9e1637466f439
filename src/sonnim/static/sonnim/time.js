// Relative times like "3분 전" / "3 minutes ago": the same rules as the `reltime` template filter.
import { lang, t } from "./i18n.js";

const format = new Intl.RelativeTimeFormat(lang, { numeric: "always" });

export function relTime(date, now = new Date()) {
  const seconds = (now - date) / 1000;
  if (seconds < 45) return t("just_now");
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return format.format(-minutes, "minute");
  const hours = Math.round(seconds / 3600);
  if (hours < 24) return format.format(-hours, "hour");
  return format.format(-Math.round(seconds / 86400), "day");
}

export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-rel]")) {
    el.textContent = relTime(new Date(el.getAttribute("datetime")));
  }
}
