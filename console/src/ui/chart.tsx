/**
 * Time-series chart (uPlot: small, canvas-based, no dependencies). Times on the x axis are shown
 * in Vietnam time whatever the browser's time zone; a table of the same numbers sits under each
 * chart for screen readers and copying.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { vnDate, vnTime } from '../lib/format';

const PALETTE = ['#1d4ed8', '#b91c1c', '#047857', '#b45309', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f', '#475569', '#9a3412'];

/** uPlot reads wall-clock fields from a local Date: hand it one whose fields are Vietnam time. */
function vnWallClock(tsSeconds: number): Date {
  const d = new Date(tsSeconds * 1000 + 7 * 3_600_000);
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
}

export interface ChartProps {
  title: string;
  /** Bucket starts, epoch ms. */
  x: number[];
  series: { name: string; values: (number | null)[] }[];
  unit?: string;
  height?: number;
}

export function TimeChart({ title, x, series, unit = '', height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(300, el.clientWidth);
    const opts: uPlot.Options = {
      title,
      width,
      height,
      tzDate: vnWallClock,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [
        {
          values: (_u, splits) => splits.map((s) => `${vnTime(s * 1000).slice(0, 5)}\n${vnDate(s * 1000).slice(0, 5)}`),
          size: 44,
        },
        { label: unit, values: (_u, splits) => splits.map((v) => v.toLocaleString('vi-VN')), size: 60 },
      ],
      series: [
        { label: 'Thời điểm', value: (_u, v) => (v == null ? '—' : `${vnDate(v * 1000)} ${vnTime(v * 1000).slice(0, 5)}`) },
        ...series.map((s, i) => ({ label: s.name, stroke: PALETTE[i % PALETTE.length], width: 2, points: { size: 5 }, value: (_u: uPlot, v: number | null) => (v == null ? '—' : `${v.toLocaleString('vi-VN')} ${unit}`) })),
      ],
    };
    const data = [x.map((ms) => ms / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, x, series, unit, height]);
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`Biểu đồ: ${title}`} />
      {series.length === 0 && <figcaption class="muted">Chưa có dữ liệu trong khoảng này.</figcaption>}
    </figure>
  );
}
