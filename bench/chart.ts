// The chart: one panel per row, a bar per library, drawn as SVG straight from the figures
// (no plotting dependency). Bars are scaled within their row; the number is printed on each.
import { LABELS, LIBRARIES, type RowResult } from './report.js';

const COLORS: Record<string, string> = {
  blekit: '#1f6feb',
  'blekit-dbus-next': '#4d8ef0',
  'blekit-noacquire': '#79a6f2',
  'blekit-gatttool': '#b6cdf7',
  'blekit-bgapi': '#d3e1fa',
  bleak: '#d29922',
  'node-ble': '#8957e5',
  gatttool: '#57606a',
  noble: '#2da44e',
};

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(rows: RowResult[], title: string, present: string[]): string {
  const libs = LIBRARIES.filter((l) => present.includes(l));
  const barH = 14;
  const gap = 3;
  const labelW = 210;
  const plotW = 420;
  const panelH = libs.length * (barH + gap) + 30;
  const width = labelW + plotW + 110;
  const height = 60 + rows.length * panelH + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  libs.forEach((l, i) => {
    const x = 10 + (i % 4) * 180;
    const y = 36 + Math.floor(i / 4) * 14;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${COLORS[l]}"/>`);
    out.push(`<text x="${x + 14}" y="${y}">${esc(LABELS[l] ?? l)}</text>`);
  });
  let y = 60 + Math.ceil(libs.length / 4) * 14 - 14;
  for (const r of rows) {
    const vals = libs.map((l) => r.median[l] ?? null);
    const max = Math.max(...vals.map((v) => v ?? 0), 1e-9);
    out.push(
      `<text x="10" y="${y + 14}" font-weight="bold">${esc(`${r.label} (${r.unit}, ${r.better} is better)`)}</text>`,
    );
    libs.forEach((l, i) => {
      const v = vals[i] ?? null;
      const by = y + 22 + i * (barH + gap);
      out.push(
        `<text x="${labelW - 6}" y="${by + barH - 3}" text-anchor="end">${esc(LABELS[l] ?? l)}</text>`,
      );
      if (v === null) {
        out.push(`<text x="${labelW + 4}" y="${by + barH - 3}" fill="#888">not measured</text>`);
        return;
      }
      const w = Math.max(1, (v / max) * plotW);
      out.push(
        `<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[l]}"/>`,
      );
      const digits = v >= 100 ? 0 : 1;
      out.push(
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${by + barH - 3}">${v.toFixed(digits)}</text>`,
      );
    });
    y += panelH;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
