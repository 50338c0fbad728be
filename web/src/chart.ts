/** A small inline SVG line chart, built as DOM nodes (no markup strings, no library). */
const SVG = 'http://www.w3.org/2000/svg';

export interface Series {
  name: string;
  /** A CSS class giving the line its colour (app.css). */
  className: string;
  values: number[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** About `target` round steps between min and max (1, 2 or 5 times a power of ten). */
function ticks(min: number, max: number, target = 5): number[] {
  const raw = (max - min) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/**
 * Lines over shared x labels (dates), with a y axis in `unit`, a legend, and a title and
 * description read by screen readers (their element ids start with `id`, unique on the page);
 * scales to its container's width. A series of one value is drawn as a dot.
 */
export function lineChart(options: { id: string; title: string; description: string; unit: string; labels: string[]; series: Series[] }): SVGSVGElement {
  const [width, height, left, right, top, bottom] = [720, 320, 56, 16, 16, 48];
  const all = options.series.flatMap((s) => s.values);
  const [low, high] = [Math.min(...all), Math.max(...all)];
  // A flat series (e.g. one day) gets a band of 1 % either side, so it sits mid-chart with ticks around it.
  const pad = low === high ? Math.abs(low) / 100 || 1 : 0;
  const [min, max] = [low - pad, high + pad];
  const x = (i: number) => left + (i / Math.max(1, options.labels.length - 1)) * (width - left - right);
  const y = (v: number) => top + (1 - (v - min) / (max - min || 1)) * (height - top - bottom);
  const [titleId, descId] = [`${options.id}-title`, `${options.id}-desc`];
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': `${titleId} ${descId}` }, svg('title', { id: titleId }, options.title), svg('desc', { id: descId }, options.description));
  for (const tick of ticks(min, max)) {
    chart.append(svg('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }), svg('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' }, `${tick}`));
  }
  chart.append(svg('text', { x: 4, y: top + 4, class: 'axis' }, options.unit));
  const first = options.labels[0] ?? '';
  const last = options.labels[options.labels.length - 1] ?? '';
  chart.append(svg('text', { x: left, y: height - bottom + 18, class: 'axis' }, first), svg('text', { x: width - right, y: height - bottom + 18, 'text-anchor': 'end', class: 'axis' }, last));
  options.series.forEach((series, n) => {
    const points = series.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, class: `line ${series.className}`, 'data-series': series.name }));
    if (series.values.length === 1) chart.append(svg('circle', { cx: x(0), cy: y(series.values[0]!), r: 4, class: `dot ${series.className}` }));
    const lx = left + n * 200;
    chart.append(svg('line', { x1: lx, x2: lx + 24, y1: height - 10, y2: height - 10, class: `line ${series.className}` }), svg('text', { x: lx + 30, y: height - 6, class: 'axis' }, series.name));
  });
  return chart;
}
