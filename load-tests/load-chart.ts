import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLitePng } from './vega-png.js';

/**
 * The report's chart, drawn with a real plotting library and no browser: a vega-lite spec compiled to vega, rendered
 * to SVG headless (vega's 'none' renderer needs no canvas), rasterised to PNG by resvg (a prebuilt binary shipped in
 * the npm package). Panels against concurrent calls, per step: the engine's lag (from GET /calls), its CPU, and its
 * main thread's CPU (one thread: the part more worker threads do not relieve).
 */
export interface ChartPoint {
  /** Calls with media flowing when sampled. */
  concurrency: number;
  /** Engine lag from /calls, ms (worst call at that moment); null when the engine does not expose it. */
  lagMs: number | null;
  /** Engine CPU over the last sample period, % of one core. */
  cpuPercent: number | null;
  /**
   * The engine's main thread alone, same unit (one thread: about 100 at most, clock-tick rounding aside); null or
   * absent when not sampled.
   */
  mainThreadCpuPercent?: number | null;
  /** Ramp step the sample belongs to, or 'run'. */
  series: string;
}

export async function renderLoadChart(points: readonly ChartPoint[], title: string): Promise<Buffer> {
  const lag = points
    .filter((p) => p.lagMs !== null)
    .map((p) => ({ concurrency: p.concurrency, value: p.lagMs, series: p.series }));
  const cpu = points
    .filter((p) => p.cpuPercent !== null)
    .map((p) => ({ concurrency: p.concurrency, value: p.cpuPercent, series: p.series }));
  const main = points.flatMap((p) =>
    p.mainThreadCpuPercent == null
      ? []
      : [{ concurrency: p.concurrency, value: p.mainThreadCpuPercent, series: p.series }],
  );
  // Points and lines are coloured by step: a step's arrival and departure samples sit at lower concurrency than its
  // level, and joining samples of different steps (a level that fell behind, seen while its calls depart) across the
  // x axis once made a late level's lag look like spikes at every lower level.
  const color = { field: 'series', type: 'nominal', title: 'step', sort: null };
  const panel = (values: object[], yTitle: string) => ({
    width: 560,
    height: 220,
    data: { values },
    layer: [
      {
        mark: { type: 'point', opacity: 0.45, filled: true, size: 18 },
        encoding: {
          x: { field: 'concurrency', type: 'quantitative', title: 'concurrent calls' },
          y: { field: 'value', type: 'quantitative', title: yTitle },
          color,
        },
      },
      {
        // The mean per concurrency within each step: a step's plateau reads as one point.
        mark: { type: 'line', point: true, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'concurrency', type: 'quantitative' },
          y: { aggregate: 'mean', field: 'value', type: 'quantitative' },
          color,
        },
      },
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 14 },
    vconcat: [
      panel(lag, 'engine lag, ms (worst call, per sample)'),
      panel(cpu, 'engine CPU, % of one core'),
      ...(main.length ? [panel(main, 'engine main thread CPU, %')] : []),
    ],
    config: { font: 'DejaVu Sans', background: 'white' },
  } as unknown as TopLevelSpec;
  return renderVegaLitePng(spec);
}
