// The JS strings, translated by the server into the page (json_script "sonnim-i18n").
const node = document.getElementById("sonnim-i18n");
const strings = node ? JSON.parse(node.textContent) : {};

export function t(key, params = {}) {
  const text = strings[key] || key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => (name in params ? String(params[name]) : ""));
}

export const lang = document.documentElement.lang || "ko";
