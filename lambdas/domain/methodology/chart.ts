import type { BacktestResult } from './backtest';

/**
 * A self-contained SVG line chart of a backtest: the index, the benchmark asset held, and the
 * market-cap-weighted variant, on a linear scale from the common base level, with axes, grid,
 * labels, a legend with final levels and a footnote on price coverage.
 */
export function renderBacktestSvg(result: BacktestResult): string {
  const width = 1120;
  const height = 580;
  const margin = { top: 72, right: 280, bottom: 96, left: 76 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const rows = result.daily;
  const series = [
    { label: result.indexId, color: '#1f5fbf', dash: '', width: 2.2, values: rows.map((row) => row.index) },
    { label: `${result.benchmarkSymbol} buy-and-hold`, color: '#f08c00', dash: '', width: 1.6, values: rows.map((row) => row.benchmark) },
    { label: 'Market-cap weighted variant', color: '#2f9e44', dash: '6 4', width: 1.6, values: rows.map((row) => row.marketCap) },
  ];
  const all = series.flatMap((line) => line.values).concat(result.baseLevel);
  const low = Math.min(...all);
  const high = Math.max(...all);
  // A log scale once the lines span more than 8x, so early years are not flattened.
  const logScale = low > 0 && high / low > 8;
  const ticks = logScale ? logTicks(low, high) : niceTicks(low, high, 6);
  const yMin = logScale ? Math.min(low, ticks[0]) : ticks[0];
  const yMax = logScale ? Math.max(high, ticks[ticks.length - 1]) : ticks[ticks.length - 1];
  const scale = (value: number): number => (logScale ? Math.log(value) : value);
  const x = (i: number): number => margin.left + (rows.length > 1 ? (i / (rows.length - 1)) * plotWidth : 0);
  const y = (value: number): number => margin.top + plotHeight - ((scale(value) - scale(yMin)) / (scale(yMax) - scale(yMin))) * plotHeight;
  const parts: string[] = [];

  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${margin.left}" y="30" font-size="20" font-weight="bold" fill="#111">${escapeXml(`${result.indexId} backtest, ${result.start} to ${result.end}`)}</text>`);
  parts.push(
    `<text x="${margin.left}" y="52" font-size="13" fill="#444">${escapeXml(
      `Daily levels (start = ${result.baseLevel}), ${result.rebalances.length} monthly rebalances; vs ${result.benchmarkSymbol} buy-and-hold and the same selection with plain market-cap weights`,
    )}</text>`,
  );

  // Horizontal grid and y labels.
  for (const tick of ticks) {
    const ty = y(tick).toFixed(1);
    parts.push(`<line x1="${margin.left}" y1="${ty}" x2="${margin.left + plotWidth}" y2="${ty}" stroke="#e3e3e3" stroke-width="1"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${ty}" font-size="12" fill="#333" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`);
  }
  // Vertical grid at year (or month) starts, with date labels.
  const labelEvery = rows.length > 540 ? 'year' : 'month';
  rows.forEach((row, i) => {
    const isYearStart = row.date.endsWith('-01-01');
    const isMonthStart = row.date.endsWith('-01');
    if (!(labelEvery === 'year' ? isYearStart : isMonthStart && (rows.length < 200 || ['01', '04', '07', '10'].includes(row.date.slice(5, 7))))) return;
    const tx = x(i).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${margin.top}" x2="${tx}" y2="${margin.top + plotHeight}" stroke="#e3e3e3" stroke-width="1"/>`);
    parts.push(`<text x="${tx}" y="${margin.top + plotHeight + 18}" font-size="12" fill="#333" text-anchor="middle">${labelEvery === 'year' ? row.date.slice(0, 4) : row.date.slice(0, 7)}</text>`);
  });
  // Base level reference line.
  const baseY = y(result.baseLevel).toFixed(1);
  parts.push(`<line x1="${margin.left}" y1="${baseY}" x2="${margin.left + plotWidth}" y2="${baseY}" stroke="#888" stroke-width="1" stroke-dasharray="2 3"/>`);
  // Axes.
  parts.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#333" stroke-width="1"/>`);
  parts.push(`<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="#333" stroke-width="1"/>`);
  parts.push(
    `<text x="18" y="${margin.top + plotHeight / 2}" font-size="13" fill="#333" text-anchor="middle" transform="rotate(-90 18 ${margin.top + plotHeight / 2})">Level (start = ${result.baseLevel}${logScale ? ', log scale' : ''})</text>`,
  );
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${margin.top + plotHeight + 40}" font-size="13" fill="#333" text-anchor="middle">Date (UTC daily close)</text>`);

  // Lines, the index last so it stays on top where they overlap.
  for (const line of [...series].reverse()) {
    const points = line.values.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${line.color}" stroke-width="${line.width}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''} stroke-linejoin="round" points="${points}"/>`);
  }

  // Legend with final levels, to the right of the plot.
  const legendX = margin.left + plotWidth + 24;
  const legendY = margin.top + 8;
  parts.push(`<text x="${legendX}" y="${legendY}" font-size="13" font-weight="bold" fill="#111">Final level (return)</text>`);
  series.forEach((line, i) => {
    const ly = legendY + 26 + i * 44;
    const last = line.values[line.values.length - 1];
    const change = (last / result.baseLevel - 1) * 100;
    parts.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 26}" y2="${ly}" stroke="${line.color}" stroke-width="3"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`);
    parts.push(`<text x="${legendX + 34}" y="${ly}" font-size="12.5" fill="#111" dominant-baseline="middle">${escapeXml(line.label)}</text>`);
    parts.push(
      `<text x="${legendX + 34}" y="${ly + 17}" font-size="12.5" fill="#333" dominant-baseline="middle">${escapeXml(`${last.toFixed(1)} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`)}</text>`,
    );
  });
  const metrics = result.metrics.index;
  const facts = [
    `${result.indexId}:`,
    `annualised return ${(metrics.annualizedReturn * 100).toFixed(1)}%`,
    `volatility ${(metrics.annualizedVolatility * 100).toFixed(1)}% (daily)`,
    `max drawdown ${(metrics.maxDrawdown * 100).toFixed(1)}%`,
    `avg turnover ${(result.turnover.index.average * 100).toFixed(1)}% per rebalance`,
  ];
  facts.forEach((fact, i) => {
    parts.push(`<text x="${legendX}" y="${legendY + 170 + i * 18}" font-size="12" fill="#333">${escapeXml(fact)}</text>`);
  });

  // Footnote on where prices came from.
  const shares = result.coverage.shares;
  const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;
  parts.push(
    `<text x="${margin.left}" y="${height - 30}" font-size="11.5" fill="#555">${escapeXml(
      `Constituent prices: ${pct(shares['daily-close'])} daily closes, ${pct(shares.snapshot)} snapshot prices, ${pct(shares.carried)} carried from the last observation, ${pct(shares.migrated)} via a token swap, ${pct(shares['dropout-bound'])} dropout bound.`,
    )}</text>`,
  );
  parts.push(
    `<text x="${margin.left}" y="${height - 12}" font-size="11.5" fill="#555">${escapeXml(
      'Data: CoinMarketCap monthly top-200 snapshots and Coinbase daily OHLC (public, incomplete). Backtest only; not investment advice.',
    )}</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Round tick values (1, 2, 2.5 or 5 x 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, target: number): number[] {
  if (!(max > min)) return [min - 1, min, min + 1];
  const raw = (max - min) / Math.max(1, target - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let value = first; value < max + step * 0.999; value += step) ticks.push(Number(value.toFixed(10)));
  return ticks;
}

/** Ticks at 1, 2 and 5 x 10^k inside [min, max] (plus the powers of ten around them). */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power += 1) {
    for (const factor of [1, 2, 5]) {
      const value = factor * 10 ** power;
      if (value >= min / 1.5 && value <= max * 1.5) ticks.push(Number(value.toPrecision(6)));
    }
  }
  return ticks;
}

function formatTick(value: number): string {
  if (value >= 1) return Number.isInteger(value) ? String(value) : value.toFixed(1);
  return String(Number(value.toPrecision(2)));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
