// A small hand-written SVG bar chart generator for the bench reports (no dependency): stacked panels of
// grouped vertical bars, linear or log scale, a value label on every bar, a legend per panel.

export interface BarSeries {
  name: string;
  /** One value per category; null/NaN = no bar (labelled "n/a"). */
  values: (number | null)[];
  color?: string;
}

export interface BarPanel {
  title: string;
  /** Axis unit shown after the title, e.g. "rows/s" or "ms". */
  unit: string;
  categories: string[];
  series: BarSeries[];
  /** 'log' for values spanning orders of magnitude (latencies); default 'linear'. */
  scale?: 'linear' | 'log';
}

export interface ChartSpec {
  title: string;
  /** Smaller lines under the title (machine, command…). */
  subtitle?: string[];
  panels: BarPanel[];
  width?: number;
  panelHeight?: number;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** 1234 → "1234", 18432 → "18.4k", 1.5e6 → "1.5M", 0.123 → "0.123". */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6, a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${trim(v / 1e3, a >= 1e5 ? 0 : 1)}k`;
  if (a >= 100) return String(Math.round(v));
  if (a >= 10) return trim(v, 1);
  if (a >= 1) return trim(v, 2);
  if (a === 0) return '0';
  return trim(v, 3);
}

function trim(v: number, digits: number): string {
  return String(Number(v.toFixed(digits)));
}

function num(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** "Nice" linear ticks from 0 to ≥ max: steps of 1, 2 or 5 × 10^k. */
export function linearTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}

/** Powers of ten covering [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min > 0 ? min : 1));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max > 0 ? max : 10)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return ticks;
}

function renderPanel(p: BarPanel, x0: number, y0: number, width: number, height: number, out: string[]): void {
  const left = 64;
  const right = 16;
  const top = 40;
  const bottom = 46;
  const plotX = x0 + left;
  const plotY = y0 + top;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = p.series
    .flatMap((s) => s.values)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const log = p.scale === 'log';
  const positive = finite.filter((v) => v > 0);
  const ticks = log
    ? logTicks(positive.length ? Math.min(...positive) : 1, positive.length ? Math.max(...positive) : 10)
    : linearTicks(finite.length ? Math.max(...finite) : 1);
  const tMin = ticks[0]!;
  const tMax = ticks[ticks.length - 1]!;
  const yOf = (v: number) => {
    const f = log
      ? (Math.log10(Math.max(v, tMin)) - Math.log10(tMin)) / (Math.log10(tMax) - Math.log10(tMin))
      : (v - tMin) / (tMax - tMin);
    return plotY + plotH - Math.max(0, Math.min(1, f)) * plotH;
  };

  out.push(`<g class="panel">`);
  out.push(
    `<text x="${num(x0 + 8)}" y="${num(y0 + 18)}" font-size="14" font-weight="600" ${FONT}>${escapeXml(p.title)} <tspan font-weight="400" fill="#555">(${escapeXml(p.unit)}${log ? ', log scale' : ''})</tspan></text>`,
  );
  // Legend (only when there is more than one series).
  if (p.series.length > 1) {
    let lx = x0 + width - right;
    for (let s = p.series.length - 1; s >= 0; s--) {
      const name = p.series[s]!.name;
      const w = 18 + name.length * 7;
      lx -= w;
      out.push(`<rect x="${num(lx)}" y="${num(y0 + 8)}" width="10" height="10" fill="${colorOf(p.series[s]!, s)}"/>`);
      out.push(`<text x="${num(lx + 14)}" y="${num(y0 + 17)}" font-size="11" ${FONT}>${escapeXml(name)}</text>`);
    }
  }
  // Grid and axis labels.
  for (const t of ticks) {
    const y = yOf(t);
    out.push(
      `<line x1="${num(plotX)}" y1="${num(y)}" x2="${num(plotX + plotW)}" y2="${num(y)}" stroke="#ddd" stroke-width="1"/>`,
    );
    out.push(
      `<text x="${num(plotX - 6)}" y="${num(y + 4)}" font-size="11" text-anchor="end" fill="#444" ${FONT}>${escapeXml(formatValue(t))}</text>`,
    );
  }
  out.push(
    `<line x1="${num(plotX)}" y1="${num(plotY + plotH)}" x2="${num(plotX + plotW)}" y2="${num(plotY + plotH)}" stroke="#333" stroke-width="1"/>`,
  );
  // Bars.
  const groups = Math.max(1, p.categories.length);
  const groupW = plotW / groups;
  const inner = groupW * 0.8;
  const barW = inner / Math.max(1, p.series.length);
  p.categories.forEach((cat, c) => {
    const gx = plotX + c * groupW + (groupW - inner) / 2;
    p.series.forEach((s, k) => {
      const v = s.values[c];
      const bx = gx + k * barW;
      const cx = bx + barW / 2;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        out.push(
          `<text x="${num(cx)}" y="${num(plotY + plotH - 4)}" font-size="10" text-anchor="middle" fill="#888" ${FONT}>n/a</text>`,
        );
        return;
      }
      const y = yOf(v);
      const h = Math.max(plotY + plotH - y, v > 0 ? 1 : 0);
      out.push(
        `<rect x="${num(bx + 1)}" y="${num(plotY + plotH - h)}" width="${num(Math.max(1, barW - 2))}" height="${num(h)}" fill="${colorOf(s, k)}"><title>${escapeXml(`${cat} ${s.name}: ${formatValue(v)} ${p.unit}`)}</title></rect>`,
      );
      out.push(
        `<text x="${num(cx)}" y="${num(plotY + plotH - h - 4)}" font-size="10" text-anchor="middle" fill="#222" ${FONT}>${escapeXml(formatValue(v))}</text>`,
      );
    });
    out.push(
      `<text x="${num(plotX + c * groupW + groupW / 2)}" y="${num(plotY + plotH + 18)}" font-size="12" text-anchor="middle" ${FONT}>${escapeXml(cat)}</text>`,
    );
  });
  out.push(`</g>`);
}

function colorOf(s: BarSeries, k: number): string {
  return escapeXml(s.color ?? PALETTE[k % PALETTE.length]!);
}

/** The whole chart as a standalone SVG document. */
export function renderBarChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const panelHeight = spec.panelHeight ?? 300;
  const subtitle = spec.subtitle ?? [];
  const header = 30 + subtitle.length * 16;
  const height = header + spec.panels.length * panelHeight + 8;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="8" y="22" font-size="16" font-weight="700" ${FONT}>${escapeXml(spec.title)}</text>`);
  subtitle.forEach((line, i) =>
    out.push(`<text x="8" y="${40 + i * 16}" font-size="11" fill="#555" ${FONT}>${escapeXml(line)}</text>`),
  );
  spec.panels.forEach((p, i) => renderPanel(p, 0, header + i * panelHeight, width, panelHeight, out));
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
