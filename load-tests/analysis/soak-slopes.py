import json,numpy as np,re,glob,sys
d=sys.argv[1]
r=json.load(open(d+'/report.json'))
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
files=sorted(glob.glob(d+'/smaps-*.txt')); T=[];A=[];F=[]
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
