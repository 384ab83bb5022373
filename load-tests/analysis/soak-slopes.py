# Usage: python3 load-tests/analysis/soak-slopes.py RUN_DIR [SMAPS_DIR]   (RUN_DIR holds a soak's report.json or report.json.gz)
# Least-squares RSS slopes of a soak (MiB/min, as the report's RSS) from minutes 5, 20 and 30, per 10-minute window, and
# with the smaps-<epoch>.txt of memory-poll.sh (in SMAPS_DIR, default RUN_DIR) the anonymous and file-backed slopes.
import gzip,json,numpy as np,os,re,glob,sys
if len(sys.argv) not in (2, 3):
    sys.exit(open(__file__).readline().lstrip('# ').rstrip())
d=sys.argv[1]
smaps_dir=sys.argv[2] if len(sys.argv) == 3 else d
p=d+'/report.json'
r=json.load(open(p) if os.path.exists(p) else gzip.open(p+'.gz','rt'))
S=[s for s in r['soak']['samples'] if s['rssMB'] is not None]
t=np.array([s['t'] for s in S])/60; rss=np.array([s['rssMB'] for s in S]); act=np.array([s['activeCalls'] for s in S])
end=t[act>100].max()
for a in (5,20,30):
    m=(t>=a)&(t<=end); print('RSS slope from min %d to %.0f: %.2f MiB/min'%(a,end,np.polyfit(t[m],rss[m],1)[0]))
# 10-minute windows
for a in range(5,65,10):
    m=(t>=a)&(t<a+10)
    if m.sum()>100: print('  10-min window %d-%d: slope %.2f MiB/min, mean %.1f'%(a,a+10,np.polyfit(t[m],rss[m],1)[0],rss[m].mean()))
# smaps anon vs file
files=sorted(glob.glob(smaps_dir+'/smaps-*.txt')); T=[];A=[];F=[]
if not files: sys.exit(0)  # the smaps are not kept with the reports (too large): slopes of RSS only
t0=int(re.search(r'smaps-(\d+)',files[0])[1])
for f in files:
    rs=0; fb=0; name=''
    for line in open(f):
        m=re.match(r'^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$',line)
        if m: name=m[2].strip(); continue
        if line.startswith('Rss:'):
            v=int(line.split()[1]); rs+=v
            if name and not name.startswith('['): fb+=v
    T.append((int(re.search(r'smaps-(\d+)',f)[1])-t0)/60); A.append((rs-fb)/1024); F.append(fb/1024)
T=np.array(T);A=np.array(A);F=np.array(F)
for a in (5,20):
    m=(T>=a)&(T<=end)
    print('smaps from min %d: anon slope %.2f MiB/min (%.1f -> %.1f), file-backed slope %.2f (%.1f -> %.1f)'%(a,np.polyfit(T[m],A[m],1)[0],A[m][0],A[m][-1],np.polyfit(T[m],F[m],1)[0],F[m][0],F[m][-1]))
