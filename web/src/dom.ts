/** Builds DOM with text nodes only: API values never reach innerHTML, so nothing they hold runs. */
export type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : String(child));
  }
  return node;
}

/** A definition list of label/value facts. */
export function facts(entries: Array<[string, Child]>): HTMLDListElement {
  return el('dl', { class: 'facts' }, ...entries.map(([label, value]) => el('div', {}, el('dt', {}, label), el('dd', {}, value))));
}

export function utc(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** Time left until `endsAt` (ms) counted from `now` (ms), in days, hours and minutes, or `ended` once it has passed. */
export function clock(endsAt: number, now: number, ended: string): string {
  const left = Math.floor((endsAt - now) / 1000);
  if (left <= 0) return ended;
  const [d, h, m] = [Math.floor(left / 86_400), Math.floor((left % 86_400) / 3600), Math.floor((left % 3600) / 60)];
  return `${d} d ${h} h ${m} min left`;
}
