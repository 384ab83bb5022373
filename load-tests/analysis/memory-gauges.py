# Usage: python3 load-tests/analysis/memory-gauges.py GAUGES_TXT   (the gauges.txt memory-poll.sh writes)
# Prints one row a minute, MB (10^6 bytes): RSS, the committed V8 heaps (main thread by space, workers in all and per
# worker by space), wasm memories, call slabs live/idle, external memory, and the rest of RSS (RSS less heaps, wasm, slabs).
import re, sys

if len(sys.argv) != 2:
    sys.exit(open(__file__).readline().lstrip('# ').rstrip())
rows = []; cur = None
for line in open(sys.argv[1]):
    if line.startswith('# t='): cur = {'t': int(line[4:])}; rows.append(cur); continue
    m = re.match(r'^(\S+?)(\{[^}]*\})?\s+(\S+)$', line.strip())
    if m and cur is not None: cur[(m[1] + (m[2] or '')).replace('callguard_', '')] = float(m[3])
if not rows: sys.exit(f'{sys.argv[1]}: no "# t=" samples')
t0 = rows[0]['t']
def g(r, k): return r.get(k, 0) / 1e6
print(' min  rss   mainTot mainNew mainOld mainLO  wTot  w1new w1old w1LO w2new w2old  wasm  slabL slabI  mainExt wExt  rest')
for r in rows:
    main = g(r, 'nodejs_heap_size_total_bytes'); wt = g(r, 'worker_heap_total_bytes{thread="all"}'); wasm = g(r, 'worker_backend_memory_bytes{thread="all"}')
    sl = g(r, 'call_slab_bytes{state="live"}'); si = g(r, 'call_slab_bytes{state="idle"}'); rss = g(r, 'process_resident_memory_bytes')
    ws = lambda th, sp: g(r, f'worker_heap_space_bytes{{thread="{th}",space="{sp}"}}')
    ms = lambda sp: g(r, f'nodejs_heap_space_size_total_bytes{{space="{sp}"}}')
    me = g(r, 'nodejs_external_memory_bytes'); we = g(r, 'worker_external_memory_bytes{thread="all"}')
    print(f"{(r['t']-t0)/60:4.0f} {rss:5.0f}  {main:6.1f} {ms('new'):6.1f} {ms('old'):6.1f} {ms('large_object'):6.1f}  {wt:5.1f}  {ws(1,'new_space'):5.1f} {ws(1,'old_space'):5.1f} {ws(1,'large_object_space'):4.1f} {ws(2,'new_space'):5.1f} {ws(2,'old_space'):5.1f}  {wasm:4.1f}  {sl:5.1f} {si:5.1f}  {me:6.1f} {we:5.1f}  {rss-main-wt-wasm-sl-si:5.1f}")
