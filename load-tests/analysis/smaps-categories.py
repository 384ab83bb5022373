# Usage: python3 load-tests/analysis/smaps-categories.py DIR   (DIR holds the smaps-<epoch>.txt memory-poll.sh writes)
# Prints, per smaps file, RSS in MB by kind of mapping (count of mappings in brackets): brk-heap (glibc's main arena),
# malloc-arena (its per-thread arenas), anon-256K-aligned (V8 heap pages), file (node, libraries, LMDB data), stacks.
import sys, re, glob, os
def parse(path):
    maps=[]; cur=None
    for line in open(path):
        m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$', line)
        if m:
            cur={'start':int(m[1],16),'end':int(m[2],16),'perm':m[3],'inode':int(m[4]),'name':m[5].strip(),'rss':0}
            maps.append(cur); continue
        if line.startswith('Rss:') and cur is not None: cur['rss']=int(line.split()[1])
    return maps
def cat(mp, prev, nxt):
    n=mp['name']; size=mp['end']-mp['start']
    if n=='[heap]': return 'brk-heap'
    if n.startswith('[stack'): return 'stack'
    if n and not n.startswith('['): return 'file'
    if n: return n
    if mp['perm']=='---p': return 'reserved'
    if size>=(1<<30): return 'huge(>=1G)'
    if mp['start'] % (64<<20) ==0 and nxt is not None and nxt['perm']=='---p' and nxt['start']==mp['end']: return 'malloc-arena'
    if size % (256<<10)==0 and mp['start']%(256<<10)==0: return 'anon-256K-aligned(V8?)'
    return 'anon-other'
def summary(path):
    maps=parse(path); out={}; cnt={}
    for i,mp in enumerate(maps):
        c=cat(mp, maps[i-1] if i else None, maps[i+1] if i+1<len(maps) else None)
        out[c]=out.get(c,0)+mp['rss']; cnt[c]=cnt.get(c,0)+1
    return out,cnt
if len(sys.argv) != 2:
    sys.exit(open(__file__).readline().lstrip('# ').rstrip())
files=sorted(glob.glob(sys.argv[1]+'/smaps-*.txt'))
if not files: sys.exit(f'{sys.argv[1]}: no smaps-*.txt')
t0=None; cats=None
for f in files:
    t=int(re.search(r'smaps-(\d+)',f)[1]); t0=t0 or t
    s,c=summary(f)
    if cats is None: cats=sorted(s, key=lambda k:-s[k]); print('min  '+'  '.join(f'{k[:18]:>18}' for k in cats)+'   total')
    print(f'{(t-t0)/60:4.0f} '+'  '.join(f'{s.get(k,0)/1024:11.1f}({c.get(k,0):4d})' for k in cats)+f'  {sum(s.values())/1024:7.1f}')
