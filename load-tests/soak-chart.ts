import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLitePng } from './vega-png.js';
import { anonMB, type SoakSample } from './soak-analysis.js';

/**
 * The soak's chart, drawn like the load chart (vega-lite → vega SVG headless → resvg PNG): engine RSS, the V8 heaps
 * in use and committed, the rest of RSS outside the heaps, wasm and slabs, and RSS split into anonymous and
 * file-backed, against minutes into the soak, with the warm-up shaded, and the active calls below it.
 */
export async function renderSoakChart(
  samples: readonly SoakSample[],
  warmUpSeconds: number,
  title: string,
): Promise<Buffer> {
  const mem = samples.flatMap((s) => [
    { minute: s.t / 60, value: s.rssMB, series: 'RSS' },
    ...(s.heapMB === null ? [] : [{ minute: s.t / 60, value: s.heapMB, series: 'main-thread heap used' }]),
    ...(s.workerHeapMB == null ? [] : [{ minute: s.t / 60, value: s.workerHeapMB, series: 'worker heaps used (sum)' }]),
    ...(s.committedHeapMB == null
      ? []
      : [{ minute: s.t / 60, value: s.committedHeapMB, series: 'V8 heaps committed (all threads)' }]),
    ...(s.unattributedMB == null
      ? []
      : [{ minute: s.t / 60, value: s.unattributedMB, series: 'rest of RSS (not V8 heaps, wasm or slabs)' }]),
    ...(s.fileMB == null ? [] : [{ minute: s.t / 60, value: anonMB(s), series: 'anonymous RSS (not file-backed)' }]),
    ...(s.fileMB == null ? [] : [{ minute: s.t / 60, value: s.fileMB, series: 'file-backed RSS (code, LMDB files)' }]),
  ]);
  const calls = samples.filter((s) => s.activeCalls !== null).map((s) => ({ minute: s.t / 60, value: s.activeCalls }));
  const x = { field: 'minute', type: 'quantitative', title: 'minutes into the soak' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 14 },
    vconcat: [
      {
        width: 620,
        height: 240,
        layer: [
          {
            data: { values: [{ from: 0, to: warmUpSeconds / 60 }] },
            mark: { type: 'rect', color: '#eee' },
            encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
          },
          {
            data: { values: mem },
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative', title: 'MB' },
              color: {
                field: 'series',
                type: 'nominal',
                title: null,
                legend: { orient: 'top', labelLimit: 400, columns: 3 },
              },
            },
          },
        ],
      },
      {
        width: 620,
        height: 120,
        data: { values: calls },
        mark: { type: 'line', color: '#2ca02c' },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: 'active calls' } },
      },
    ],
    config: { font: 'DejaVu Sans', background: 'white' },
  } as unknown as TopLevelSpec;
  return renderVegaLitePng(spec);
}
