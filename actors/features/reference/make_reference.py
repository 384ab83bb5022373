#!/usr/bin/env python3
"""Independent numpy/scipy reference for the callguard streaming feature front-end.

Run from the repo root:

    python3 actors/features/reference/make_reference.py

It writes JSON fixtures next to this file.  Everything is deterministic (fixed
seeds, no wall-clock input).  Floats are rounded to 6 significant digits and
inputs are stored as int16 integer lists.

Spec implemented here (the TypeScript implementation follows the same text)
---------------------------------------------------------------------------
Input / framing
  * x = int16 / 32768.0 as float64, sample rate 8000.
  * Frame length N=200 (25 ms), hop H=80 (10 ms), nfft=256.  Frame k covers
    x[80k : 80k+200]; frames exist only while 80k+200 <= len(x) (no padding at
    either end).

Per raw frame f (before pre-emphasis / window)
  * rms = sqrt(mean(f^2)); dbfs = 20*log10(max(rms, 1e-10));
    logEnergy = ln(max(sum(f^2), 1e-10));
    zcr = #{i in 1..199 : (f[i] >= 0) != (f[i-1] >= 0)} / 199.

Spectrum
  * Pre-emphasis per frame (Kaldi style, 0.97): y[i] = f[i] - 0.97*f[i-1] for
    i >= 1, y[0] = f[0] - 0.97*f[0].
  * Window: 'hann' (default) periodic = scipy.signal.get_window('hann', 200,
    fftbins=True); 'hamming' periodic likewise; 'povey' =
    (0.5 - 0.5*cos(2*pi*n/(N-1)))**0.85, n = 0..N-1.
  * y*window, zero-padded to 256, X = numpy.fft.rfft (129 bins);
    P = |X|^2, M = |X|.
  * centroid (Hz) = sum(freq_k*M_k)/sum(M_k), freq_k = k*8000/256; 0 if
    sum(M) == 0.
  * flux = sqrt(sum((M_k - Mprev_k)^2)), Mprev = zeros before the first frame.

Mel / MFCC
  * 40 bands, fmin=0, fmax=4000 over the 129 rfft bins, librosa algorithm:
    fftfreqs = linspace(0, sr/2, 129); mel_f = 42 points equally spaced in mel
    between hz_to_mel(fmin) and hz_to_mel(fmax), converted back to Hz;
    fdiff = diff(mel_f); ramps = mel_f[:,None] - fftfreqs[None,:];
    W[i] = max(0, min(-ramps[i]/fdiff[i], ramps[i+2]/fdiff[i+1])).
    Norm 'slaney' (default): W[i] *= 2/(mel_f[i+2]-mel_f[i]); 'none': unscaled.
    Scale 'slaney' (default; linear below 1000 Hz with f_sp=200/3, log above
    with logstep=ln(6.4)/27, min_log_mel=1000/f_sp) or 'htk'
    (2595*log10(1+f/700)).
  * E = W @ P; logmel = ln(max(E, 1e-10));
    mfcc = scipy.fft.dct(logmel, type=2, norm='ortho')[:13].

Pitch (YIN on a 4 kHz decimated stream)
  * h = scipy.signal.firwin(31, 0.45); d[j] = sum_{i=0}^{30} h[i]*x[2j-i]
    (causal, x[<0] = 0), i.e. d = lfilter(h, 1, x)[::2].
  * Frame k ends (exclusive) at e = 80k+200; the pitch buffer b is the last
    L=167 decimated samples ending at j_last = (e-2)/2:
    b = d[j_last-166 .. j_last] (zeros for negative indices).
  * fs'=4000, W=100, tauMin=10, tauMax=66:
    diff(tau) = sum_{j=0}^{99} (b[j]-b[j+tau])^2 for tau = 0..67;
    cmnd(0)=1; cmnd(tau) = diff(tau)*tau / sum_{k=1}^{tau} diff(k)
    (cmnd = 1 where that sum is 0).
  * Search tau = tauMin..tauMax for the first cmnd(tau) < 0.15, then advance
    while tau+1 <= tauMax and cmnd(tau+1) < cmnd(tau): candidate, periodic.
    Otherwise candidate = first argmin of cmnd over [tauMin, tauMax], not
    periodic.  aperiodicity = cmnd(candidate).
  * Parabolic refinement on cmnd at tau-1, tau, tau+1:
    den = c[tau-1] - 2c[tau] + c[tau+1]; shift = 0.5*(c[tau-1]-c[tau+1])/den
    if den != 0 else 0; clamp shift to [-1, 1].
  * voiced = periodic AND dbfs > -50; f0 = 4000/(tau+shift) if voiced else 0.
  * Frames at or below the voicing gate (dbfs <= -50) cannot be voiced, so YIN
    is not run for them: aperiodicity = 1, f0 = 0, voiced = 0.

VAD (streaming, in frame order)
  * floor = -60.0, hang = 0.  Per frame: if dbfs < floor: floor = dbfs else
    floor += 0.002*(dbfs - floor); floor = max(floor, -100).
    raw = dbfs > max(floor + 10, -55) (floor after this frame's update).
    raw -> hang = 8, vad = 1; elif hang > 0 -> hang -= 1, vad = 1; else vad=0.

Window aggregates
  * Window = 200 frames, hop = 50 frames; window w covers frames
    [50w, 50w+200) and is emitted when those 200 frames exist.  At end of
    stream, if the frames not covered by any emitted window number >= 25
    (half a hop) for a stream of >= 200 frames, or >= 100 for a shorter one
    (all of its frames uncovered), emit one final window over the last
    min(200, total) frames with "partial": true.
  * Per window: startFrame, frameCount, speechRatio = mean(vad);
    level = 10*log10(max(mean(rms^2 over vad frames), 1e-20)) (over all frames
    if no vad frame); f0Median = median of f0 over voiced frames if >= 5
    voiced else 0; f0SpreadSemitones = population std of 12*log2(f0) over
    voiced frames if >= 5 voiced else 0; onsetsPerSecond = (# maximal runs of
    consecutive voiced frames inside the window, clipped to the window, with
    in-window length >= 3) / (#vad frames * 0.01 s), 0 if no vad frames;
    centroidMean = mean centroid over vad frames (0 if none).

Decisions taken where the text was open (see also the report printed at the end)
  * median with an even count = mean of the two middle values (numpy.median).
  * a voiced run that began before the window start is clipped to the window
    and counted if its in-window part is >= 3 frames.
  * the partial window of a stream with >= 200 frames covers the last 200
    frames (startFrame = total-200), even though it overlaps the last full one.
  * all arithmetic in float64 (librosa itself builds the filterbank in
    float32 by default; we do not).
  * harmonic-complex tones use sine phase 0 for every harmonic and are scaled
    so that the int16 peak is exactly round(0.5*32767).
  * the 440 Hz sine lies above the 400 Hz pitch ceiling (tauMin=10 at 4 kHz,
    true period 9.09 lags), so YIN per spec reports the sub-octave, ~220 Hz.
    This is expected, not a bug.
  * extra fixture aggregate-long.json (speech A + 0.5 s digital silence +
    speech B, 448 frames): the 0.6 s fixtures have 58 frames (< 100, so no
    window at all) and the 2 s speech files have 198 frames (one partial
    window), so only this one exercises full windows, the hop and the final
    window (48 frames uncovered >= 25: a final full-length window).  Its digital silence also hits the dbfs=-200 / VAD floor
    clamp at -100 / centroid 0 / cmnd-all-ones paths.
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy.fft
import scipy.signal

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (stdlib, deprecated in 3.11, removed in 3.13)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = "/work/shared/data/emodb-8k"

SR = 8000
N = 200
HOP = 80
NFFT = 256
NBINS = NFFT // 2 + 1
PREEMPH = 0.97
N_MELS = 40
N_MFCC = 13
LOG_FLOOR = 1e-10

# pitch
DEC_TAPS = 31
DEC_CUTOFF = 0.45
PITCH_SR = 4000
YIN_L = 167
YIN_W = 100
TAU_MIN = 10
TAU_MAX = 66
YIN_THRESH = 0.15
VOICED_MIN_DBFS = -50.0

# vad
VAD_FLOOR_INIT = -60.0
VAD_FLOOR_ALPHA = 0.002
VAD_FLOOR_MIN = -100.0
VAD_MARGIN_DB = 10.0
VAD_ABS_MIN_DBFS = -55.0
VAD_HANG = 8

# aggregates
AGG_WIN = 200
AGG_HOP = 50
AGG_MIN_PARTIAL = 100
AGG_MIN_VOICED = 5
AGG_RUN_MIN = 3
FRAME_SEC = HOP / SR  # 0.01


def default_config(window="hann", mel_scale="slaney", mel_norm="slaney"):
    return {
        "sampleRate": SR,
        "frameLength": N,
        "hopLength": HOP,
        "nfft": NFFT,
        "preemphasis": PREEMPH,
        "window": window,
        "melBands": N_MELS,
        "fmin": 0,
        "fmax": SR / 2,
        "melScale": mel_scale,
        "melNorm": mel_norm,
        "numCeps": N_MFCC,
        "logFloor": LOG_FLOOR,
        "pitch": {
            "decimationTaps": DEC_TAPS,
            "decimationCutoff": DEC_CUTOFF,
            "sampleRate": PITCH_SR,
            "bufferLength": YIN_L,
            "integrationWindow": YIN_W,
            "tauMin": TAU_MIN,
            "tauMax": TAU_MAX,
            "threshold": YIN_THRESH,
            "voicedMinDbfs": VOICED_MIN_DBFS,
        },
        "vad": {
            "floorInit": VAD_FLOOR_INIT,
            "floorAlpha": VAD_FLOOR_ALPHA,
            "floorMin": VAD_FLOOR_MIN,
            "marginDb": VAD_MARGIN_DB,
            "absMinDbfs": VAD_ABS_MIN_DBFS,
            "hangFrames": VAD_HANG,
        },
        "aggregate": {
            "windowFrames": AGG_WIN,
            "hopFrames": AGG_HOP,
            "minPartialFrames": AGG_MIN_PARTIAL,
            "minVoicedFrames": AGG_MIN_VOICED,
            "minRunFrames": AGG_RUN_MIN,
        },
    }


# ----------------------------------------------------------------------------
# building blocks
# ----------------------------------------------------------------------------

def make_window(kind):
    n = np.arange(N, dtype=np.float64)
    if kind == "hann":
        return scipy.signal.get_window("hann", N, fftbins=True).astype(np.float64)
    if kind == "hamming":
        return scipy.signal.get_window("hamming", N, fftbins=True).astype(np.float64)
    if kind == "povey":
        return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / (N - 1))) ** 0.85
    raise ValueError(kind)


def hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    if scale != "slaney":
        raise ValueError(scale)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    lin = f / f_sp
    with np.errstate(divide="ignore"):
        log = min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log, lin)


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    if scale != "slaney":
        raise ValueError(scale)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    lin = f_sp * m
    log = min_log_hz * np.exp(logstep * (m - min_log_mel))
    return np.where(m >= min_log_mel, log, lin)


def mel_filterbank(scale="slaney", norm="slaney", fmin=0.0, fmax=SR / 2):
    fftfreqs = np.linspace(0.0, SR / 2, NBINS)
    mels = np.linspace(hz_to_mel(fmin, scale), hz_to_mel(fmax, scale), N_MELS + 2)
    mel_f = mel_to_hz(mels, scale)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    W = np.zeros((N_MELS, NBINS))
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        W[i] = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        W *= (2.0 / (mel_f[2:N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    elif norm != "none":
        raise ValueError(norm)
    return W


def frame_signal(x):
    nf = 0 if len(x) < N else (len(x) - N) // HOP + 1
    idx = HOP * np.arange(nf)[:, None] + np.arange(N)[None, :]
    return x[idx] if nf else np.zeros((0, N))


def basic_features(F):
    rms = np.sqrt(np.mean(F ** 2, axis=1))
    dbfs = 20.0 * np.log10(np.maximum(rms, 1e-10))
    log_energy = np.log(np.maximum(np.sum(F ** 2, axis=1), LOG_FLOOR))
    s = F >= 0
    zcr = np.sum(s[:, 1:] != s[:, :-1], axis=1) / (N - 1)
    return rms, dbfs, log_energy, zcr


def spectrum(F, window):
    Y = F.copy()
    Y[:, 1:] = F[:, 1:] - PREEMPH * F[:, :-1]
    Y[:, 0] = F[:, 0] - PREEMPH * F[:, 0]
    Y = Y * make_window(window)[None, :]
    X = np.fft.rfft(Y, n=NFFT, axis=1)
    M = np.abs(X)
    P = X.real ** 2 + X.imag ** 2  # |X|^2
    return M, P


def spectral_features(M):
    freqs = np.arange(NBINS) * SR / NFFT
    sm = M.sum(axis=1)
    num = (M * freqs[None, :]).sum(axis=1)
    centroid = np.where(sm > 0, num / np.where(sm > 0, sm, 1.0), 0.0)
    Mprev = np.vstack([np.zeros((1, NBINS)), M[:-1]]) if len(M) else M
    flux = np.sqrt(np.sum((M - Mprev) ** 2, axis=1))
    return centroid, flux


def mel_features(P, scale="slaney", norm="slaney"):
    W = mel_filterbank(scale, norm)
    E = P @ W.T
    logmel = np.log(np.maximum(E, LOG_FLOOR))
    mfcc = scipy.fft.dct(logmel, type=2, norm="ortho", axis=1)[:, :N_MFCC]
    return logmel, mfcc


def decimate(x):
    h = scipy.signal.firwin(DEC_TAPS, DEC_CUTOFF)
    return scipy.signal.lfilter(h, [1.0], x)[::2], h


def pitch_buffers(d, nframes):
    j_last = (HOP * np.arange(nframes) + N - 2) // 2  # = 40k + 99
    idx = j_last[:, None] - (YIN_L - 1) + np.arange(YIN_L)[None, :]
    dpad = np.concatenate([np.zeros(YIN_L), d])
    return dpad[idx + YIN_L]  # negative indices land in the zero pad


def yin(B, dbfs):
    K = B.shape[0]
    ntau = TAU_MAX + 2  # tau = 0..67
    diff = np.zeros((K, ntau))
    for tau in range(ntau):
        diff[:, tau] = np.sum((B[:, :YIN_W] - B[:, tau:tau + YIN_W]) ** 2, axis=1)
    cum = np.cumsum(diff[:, 1:], axis=1)  # cum[:, tau-1] = sum_{k=1}^{tau}
    taus = np.arange(1, ntau)
    cmnd = np.ones((K, ntau))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = diff[:, 1:] * taus[None, :] / cum
    cmnd[:, 1:] = np.where(cum != 0, c, 1.0)

    f0 = np.zeros(K)
    voiced = np.zeros(K, dtype=np.int64)
    aper = np.zeros(K)
    cand = np.zeros(K, dtype=np.int64)
    periodic = np.zeros(K, dtype=bool)
    for k in range(K):
        c = cmnd[k]
        tau = -1
        for t in range(TAU_MIN, TAU_MAX + 1):
            if c[t] < YIN_THRESH:
                tau = t
                break
        if tau >= 0:
            while tau + 1 <= TAU_MAX and c[tau + 1] < c[tau]:
                tau += 1
            periodic[k] = True
        else:
            tau = TAU_MIN + int(np.argmin(c[TAU_MIN:TAU_MAX + 1]))
        cand[k] = tau
        aper[k] = c[tau]
        den = c[tau - 1] - 2.0 * c[tau] + c[tau + 1]
        shift = 0.5 * (c[tau - 1] - c[tau + 1]) / den if den != 0 else 0.0
        shift = min(1.0, max(-1.0, shift))
        v = periodic[k] and dbfs[k] > VOICED_MIN_DBFS
        if dbfs[k] <= VOICED_MIN_DBFS:
            aper[k] = 1.0
            periodic[k] = False
        voiced[k] = 1 if v else 0
        f0[k] = PITCH_SR / (tau + shift) if v else 0.0
    return f0, voiced, aper, cmnd, cand, periodic


def vad(dbfs):
    floor = VAD_FLOOR_INIT
    hang = 0
    out = np.zeros(len(dbfs), dtype=np.int64)
    margins = np.zeros(len(dbfs))
    for k, db in enumerate(dbfs):
        if db < floor:
            floor = db
        else:
            floor = floor + VAD_FLOOR_ALPHA * (db - floor)
        floor = max(floor, VAD_FLOOR_MIN)
        thr = max(floor + VAD_MARGIN_DB, VAD_ABS_MIN_DBFS)
        margins[k] = db - thr
        if db > thr:
            hang = VAD_HANG
            out[k] = 1
        elif hang > 0:
            hang -= 1
            out[k] = 1
        else:
            out[k] = 0
    return out, margins


def voiced_runs(v):
    """(start, length) of maximal runs of 1s in v (indices relative to v)."""
    runs = []
    k = 0
    n = len(v)
    while k < n:
        if v[k]:
            s = k
            while k < n and v[k]:
                k += 1
            runs.append((s, k - s))
        else:
            k += 1
    return runs


def aggregate_window(fr, start, count, partial):
    sl = slice(start, start + count)
    vadw = np.asarray(fr["vad"][sl])
    rms = np.asarray(fr["rms"][sl])
    voiced = np.asarray(fr["voiced"][sl])
    f0 = np.asarray(fr["f0"][sl])
    cen = np.asarray(fr["centroid"][sl])
    sel = vadw == 1
    nvad = int(sel.sum())
    ms = np.mean(rms[sel] ** 2) if nvad else np.mean(rms ** 2)
    level = 10.0 * np.log10(max(ms, 1e-20))
    vf = f0[voiced == 1]
    if len(vf) >= AGG_MIN_VOICED:
        f0med = float(np.median(vf))
        spread = float(np.std(12.0 * np.log2(vf)))
    else:
        f0med = 0.0
        spread = 0.0
    runs = voiced_runs(voiced)
    nruns = sum(1 for (_, ln) in runs if ln >= AGG_RUN_MIN)
    onsets = nruns / (nvad * FRAME_SEC) if nvad else 0.0
    # alternative reading: don't count a run that started before the window
    nruns_alt = sum(1 for (s, ln) in runs if ln >= AGG_RUN_MIN
                    and not (s == 0 and start > 0 and fr["voiced"][start - 1]))
    cmean = float(np.mean(cen[sel])) if nvad else 0.0
    w = {
        "startFrame": int(start),
        "frameCount": int(count),
        "speechRatio": float(np.mean(vadw)),
        "level": float(level),
        "f0Median": f0med,
        "f0SpreadSemitones": spread,
        "onsetsPerSecond": float(onsets),
        "centroidMean": cmean,
    }
    if partial:
        w["partial"] = True
    return w, (nruns != nruns_alt), (len(vf) >= AGG_MIN_VOICED and len(vf) % 2 == 0)


def aggregate(fr):
    T = len(fr["rms"])
    out = []
    notes = {"runAmbiguity": 0, "evenMedian": 0}
    last_end = 0
    w = 0
    while AGG_HOP * w + AGG_WIN <= T:
        res = aggregate_window(fr, AGG_HOP * w, AGG_WIN, False)
        out.append(res[0])
        notes["runAmbiguity"] += res[1]
        notes["evenMedian"] += res[2]
        last_end = AGG_HOP * w + AGG_WIN
        w += 1
    # A stream that had full windows ends with one more over its last AGG_WIN frames once half a hop is uncovered;
    # a stream too short for a full window needs AGG_MIN_PARTIAL frames.
    need = max(1, (AGG_HOP + 1) // 2) if T >= AGG_WIN else AGG_MIN_PARTIAL
    if T - last_end >= need:
        cnt = min(AGG_WIN, T)
        res = aggregate_window(fr, T - cnt, cnt, True)
        out.append(res[0])
        notes["runAmbiguity"] += res[1]
        notes["evenMedian"] += res[2]
    return out, notes


# ----------------------------------------------------------------------------
# full pipeline
# ----------------------------------------------------------------------------

def analyse(pcm, window="hann", mel_scale="slaney", mel_norm="slaney"):
    x = np.asarray(pcm, dtype=np.float64) / 32768.0
    F = frame_signal(x)
    K = F.shape[0]
    rms, dbfs, log_energy, zcr = basic_features(F)
    M, P = spectrum(F, window)
    centroid, flux = spectral_features(M)
    logmel, mfcc = mel_features(P, mel_scale, mel_norm)
    d, _ = decimate(x)
    B = pitch_buffers(d, K)
    f0, voiced, aper, cmnd, cand, periodic = yin(B, dbfs)
    vad_flags, vad_margin = vad(dbfs)
    frames = {
        "rms": rms, "dbfs": dbfs, "logEnergy": log_energy, "zcr": zcr,
        "centroid": centroid, "flux": flux, "logmel": logmel, "mfcc": mfcc,
        "f0": f0, "voiced": voiced, "aperiodicity": aper, "vad": vad_flags,
    }
    diag = {
        "cmnd": cmnd, "cand": cand, "periodic": periodic, "vadMargin": vad_margin,
        "F": F, "x": x, "d": d, "B": B, "M": M, "P": P,
    }
    return frames, diag


# ----------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------

def r6(v):
    v = float(v)
    if not np.isfinite(v):
        raise ValueError("non-finite value in fixture")
    if v == 0.0:
        return 0.0
    return float(f"{v:.6g}")


def jsonable(obj):
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "iub":
            return obj.astype(np.int64).tolist()
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return r6(obj)
    return obj


FRAME_KEYS = ["rms", "dbfs", "logEnergy", "zcr", "centroid", "flux", "logmel",
              "mfcc", "f0", "voiced", "aperiodicity", "vad"]


def frames_out(frames, keys=FRAME_KEYS):
    return {k: frames[k] for k in keys}


def write_fixture(fname, obj, nframes, nwindows):
    path = os.path.join(HERE, fname)
    text = json.dumps(jsonable(obj), separators=(",", ":"), allow_nan=False)
    with open(path, "w") as fh:
        fh.write(text)
        fh.write("\n")
    size = os.path.getsize(path)
    print(f"{fname:22s} frames={nframes:4d} windows={nwindows:2d} bytes={size}")
    return size


# ----------------------------------------------------------------------------
# signals
# ----------------------------------------------------------------------------

def to_int16(sig):
    return np.clip(np.round(np.asarray(sig) * 32767.0), -32768, 32767).astype(np.int16)


def sig_sine():
    t = np.arange(int(0.6 * SR)) / SR
    return to_int16(0.5 * np.sin(2 * np.pi * 440.0 * t))


def sig_chirp():
    t = np.arange(int(0.6 * SR)) / SR
    return to_int16(0.4 * scipy.signal.chirp(t, f0=100.0, t1=0.6, f1=3500.0, method="linear"))


def sig_noise():
    rng = np.random.default_rng(1234)
    return to_int16(rng.normal(0.0, 0.1, int(0.6 * SR)))


TONE_F0S = [80, 110, 150, 200, 250, 320]
TONE_AMPS = [1.0, 0.6, 0.4, 0.3, 0.2]


def sig_tone(f0):
    t = np.arange(int(0.5 * SR)) / SR
    s = sum(a * np.sin(2 * np.pi * f0 * (h + 1) * t) for h, a in enumerate(TONE_AMPS))
    s = 0.5 * s / np.max(np.abs(s))
    return to_int16(s)


def read_ulaw_wav(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[0:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not RIFF/WAVE")
    pos = 12
    fmt = None
    data = None
    while pos + 8 <= len(raw):
        cid = raw[pos:pos + 4]
        size = int.from_bytes(raw[pos + 4:pos + 8], "little")
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = {
                "formatTag": int.from_bytes(body[0:2], "little"),
                "channels": int.from_bytes(body[2:4], "little"),
                "sampleRate": int.from_bytes(body[4:8], "little"),
                "bitsPerSample": int.from_bytes(body[14:16], "little"),
            }
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)  # chunks are word aligned
    if fmt is None or data is None:
        raise ValueError(f"{path}: missing fmt or data chunk")
    if fmt["formatTag"] != 7 or fmt["channels"] != 1 or fmt["sampleRate"] != SR:
        raise ValueError(f"{path}: unexpected format {fmt}")
    pcm = np.frombuffer(audioop.ulaw2lin(data, 2), dtype="<i2").astype(np.int16)
    return pcm, fmt


def pick_speech_files():
    names = sorted(os.listdir(DATA_DIR)) if os.path.isdir(DATA_DIR) else []
    out = []
    for want, emo in (("03a01Wa.wav", "W"), ("08a01Na.wav", "N")):
        if want in names:
            out.append(want)
            continue
        males = {"03", "10", "11", "12", "15"}
        females = {"08", "09", "13", "14", "16"}
        pool = males if emo == "W" else females
        cands = [n for n in names if len(n) >= 7 and n[5] == emo and n[:2] in pool]
        if cands:
            out.append(cands[0])
    return out


# ----------------------------------------------------------------------------
# self checks: slow, loop-based re-derivations of a few frames
# ----------------------------------------------------------------------------

def self_check(pcm, frames, diag, label):
    x = diag["x"]
    h = scipy.signal.firwin(DEC_TAPS, DEC_CUTOFF)
    assert abs(h.sum() - 1.0) < 1e-12
    K = len(frames["rms"])
    # decimation by the explicit sum formula
    d = diag["d"]
    for j in [0, 1, 7, 15, 16, len(d) // 2, len(d) - 1]:
        acc = 0.0
        for i in range(DEC_TAPS):
            n = 2 * j - i
            if n >= 0:
                acc += h[i] * x[n]
        assert abs(acc - d[j]) < 1e-12, (label, j)
    W = mel_filterbank()
    for k in sorted(set([0, 1, K // 2, K - 1])):
        f = x[HOP * k:HOP * k + N]
        # basic features
        zc = sum(1 for i in range(1, N) if (f[i] >= 0) != (f[i - 1] >= 0)) / 199
        assert abs(zc - frames["zcr"][k]) < 1e-15
        # spectrum by explicit DFT
        y = np.array([f[i] - PREEMPH * f[i - 1] if i else f[0] - PREEMPH * f[0] for i in range(N)])
        y = y * make_window("hann")
        nn = np.arange(N)
        X = np.array([np.sum(y * np.exp(-2j * np.pi * kk * nn / NFFT)) for kk in range(NBINS)])
        P = np.abs(X) ** 2
        assert np.allclose(P, diag["P"][k], rtol=1e-9, atol=1e-12 * max(P.max(), 1e-30))
        E = np.array([sum(W[m, b] * P[b] for b in range(NBINS)) for m in range(N_MELS)])
        lm = np.log(np.maximum(E, LOG_FLOOR))
        assert np.allclose(lm, frames["logmel"][k], atol=1e-9)
        # DCT-II ortho by formula
        c = np.array([sum(lm[n] * np.cos(np.pi * q * (2 * n + 1) / (2 * N_MELS)) for n in range(N_MELS))
                      for q in range(N_MFCC)])
        c *= np.sqrt(2.0 / N_MELS)
        c[0] /= np.sqrt(2.0)
        assert np.allclose(c, frames["mfcc"][k], atol=1e-9)
        # pitch buffer by explicit index arithmetic
        e = HOP * k + N
        jl = (e - 2) // 2
        b = np.array([d[j] if j >= 0 else 0.0 for j in range(jl - 166, jl + 1)])
        assert np.array_equal(b, diag["B"][k])
        df = [sum((b[j] - b[j + t]) ** 2 for j in range(YIN_W)) for t in range(TAU_MAX + 2)]
        cm = [1.0]
        s = 0.0
        for t in range(1, TAU_MAX + 2):
            s += df[t]
            cm.append(df[t] * t / s if s != 0 else 1.0)
        assert np.allclose(cm, diag["cmnd"][k], rtol=1e-9, atol=1e-12)


def mel_sanity():
    # slaney scale: 1000 Hz -> mel 15, continuity, round trip
    assert abs(hz_to_mel(1000.0, "slaney") - 15.0) < 1e-12
    for sc in ("slaney", "htk"):
        f = np.linspace(0, 4000, 101)
        assert np.allclose(mel_to_hz(hz_to_mel(f, sc), sc), f, atol=1e-9)
    W = mel_filterbank()
    assert W.shape == (N_MELS, NBINS) and np.all(W >= 0)
    assert np.all(W.sum(axis=1) > 0), "empty mel band"


# ----------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------

def margin_report(label, frames, diag):
    """Smallest distance of any frame to a hard decision threshold."""
    cm = diag["cmnd"][:, TAU_MIN:TAU_MAX + 1]
    yin_margin = float(np.min(np.abs(cm - YIN_THRESH)))
    db = frames["dbfs"]
    dbm = float(np.min(np.abs(db[diag["periodic"]] - VOICED_MIN_DBFS))) if diag["periodic"].any() else float("inf")
    vm = float(np.min(np.abs(diag["vadMargin"]))) if len(db) else float("inf")
    return f"  margins {label}: |cmnd-0.15|min={yin_margin:.2e} |dbfs+50|min(periodic)={dbm:.2e} |vad|min={vm:.2e}"


def main():
    mel_sanity()
    total = {}
    notes_all = []
    margins = []

    def full_fixture(fname, name, pcm, extra=None):
        frames, diag = analyse(pcm)
        self_check(pcm, frames, diag, name)
        wins, notes = aggregate(frames)
        obj = {"name": name, "sampleRate": SR, "config": default_config()}
        if extra:
            obj.update(extra)
        obj["input"] = pcm.astype(np.int64)
        obj["frames"] = frames_out(frames)
        obj["windows"] = wins
        total[fname] = write_fixture(fname, obj, len(frames["rms"]), len(wins))
        notes_all.append((name, notes))
        margins.append(margin_report(name, frames, diag))
        return frames, diag

    sine = sig_sine()
    full_fixture("sine.json", "sine", sine,
                 {"signal": {"type": "sine", "frequency": 440, "amplitude": 0.5, "seconds": 0.6}})
    chirp = sig_chirp()
    full_fixture("chirp.json", "chirp", chirp,
                 {"signal": {"type": "chirp", "method": "linear", "f0": 100, "f1": 3500,
                             "amplitude": 0.4, "seconds": 0.6}})
    noise = sig_noise()
    full_fixture("noise.json", "noise", noise,
                 {"signal": {"type": "gaussian", "std": 0.1, "seed": 1234,
                             "generator": "numpy.random.default_rng", "seconds": 0.6}})

    # tones
    tones = []
    tone_err = []
    for f0 in TONE_F0S:
        pcm = sig_tone(f0)
        frames, diag = analyse(pcm)
        self_check(pcm, frames, diag, f"tone{f0}")
        wins, _ = aggregate(frames)
        margins.append(margin_report(f"tone{f0}", frames, diag))
        v = frames["voiced"] == 1
        est = frames["f0"][v]
        # steady state: pitch buffer fully inside the signal (j_last-166 >= 0 -> k >= 2)
        steady = v & (np.arange(len(v)) >= 2)
        err = np.abs(frames["f0"][steady] / f0 - 1.0) * 100
        tone_err.append((f0, int(v.sum()), len(v), float(np.median(est)) if len(est) else 0.0,
                         float(err.max()) if len(err) else float("nan"),
                         float(err.mean()) if len(err) else float("nan"),
                         np.flatnonzero(~v).tolist()))
        tones.append({"f0": f0, "input": pcm.astype(np.int64), "frames": frames_out(frames),
                      "windows": wins})
    obj = {"name": "tones", "sampleRate": SR, "config": default_config(),
           "signal": {"type": "harmonic", "amplitudes": TONE_AMPS, "phase": 0, "peak": 0.5,
                      "seconds": 0.5},
           "tones": tones}
    nf = sum(len(t["frames"]["rms"]) for t in tones)
    total["tones.json"] = write_fixture("tones.json", obj, nf, 0)

    # speech
    speech_pcm = {}
    for wav in pick_speech_files():
        pcm, fmt = read_ulaw_wav(os.path.join(DATA_DIR, wav))
        speech_pcm[wav] = pcm
        stem = wav[:-4]
        full_fixture(f"speech-{stem}.json", f"speech-{stem}", pcm,
                     {"file": wav, "wavFormat": fmt})

    # windows.json: sine through three window types
    variants = []
    for wt in ("hann", "hamming", "povey"):
        frames, _ = analyse(sine, window=wt)
        variants.append({"window": wt, "config": default_config(window=wt),
                         "frames": frames_out(frames, ["logmel", "mfcc"])})
    obj = {"name": "windows", "sampleRate": SR, "config": default_config(),
           "note": "input is the sine.json input; each variant differs only in config.window",
           "windowFunctions": {wt: make_window(wt) for wt in ("hann", "hamming", "povey")},
           "input": sine.astype(np.int64), "variants": variants}
    total["windows.json"] = write_fixture("windows.json", obj, len(variants[0]["frames"]["logmel"]), 0)

    # mel-htk.json: chirp with htk scale and no norm
    frames, _ = analyse(chirp, mel_scale="htk", mel_norm="none")
    obj = {"name": "mel-htk", "sampleRate": SR,
           "config": default_config(mel_scale="htk", mel_norm="none"),
           "melFilterbank": mel_filterbank("htk", "none"),
           "input": chirp.astype(np.int64), "frames": frames_out(frames, ["logmel", "mfcc"])}
    total["mel-htk.json"] = write_fixture("mel-htk.json", obj, len(frames["logmel"]), 0)

    # long stream for the window aggregator (the 0.6 s fixtures have < 100 frames
    # and the 2 s speech files have 198, so they give at most one partial window).
    if len(speech_pcm) >= 2:
        a, b = list(speech_pcm.values())[:2]
        pcm = np.concatenate([a, np.zeros(SR // 2, dtype=np.int16), b])
        frames, diag = analyse(pcm)
        self_check(pcm, frames, diag, "long")
        wins, notes = aggregate(frames)
        notes_all.append(("aggregate-long", notes))
        margins.append(margin_report("aggregate-long", frames, diag))
        keys = ["rms", "dbfs", "centroid", "f0", "voiced", "aperiodicity", "vad"]
        obj = {"name": "aggregate-long", "sampleRate": SR, "config": default_config(),
               "note": ("speech files concatenated with 0.5 s of digital silence between them; "
                        "frames hold only the fields the aggregator uses"),
               "parts": list(speech_pcm.keys())[:2] + ["silence 4000 samples"],
               "partOrder": [list(speech_pcm.keys())[0], "silence", list(speech_pcm.keys())[1]],
               "input": pcm.astype(np.int64), "frames": frames_out(frames, keys),
               "windows": wins}
        total["aggregate-long.json"] = write_fixture("aggregate-long.json", obj,
                                                     len(frames["rms"]), len(wins))

    print("\nYIN on harmonic tones (steady-state frames k>=2):")
    for f0, nv, n, med, emax, emean, unv in tone_err:
        print(f"  f0={f0:3d} Hz voiced {nv}/{n} median={med:.3f} Hz "
              f"maxErr={emax:.4f}% meanErr={emean:.4f}% unvoicedFrames={unv}")
    print("\nDecision margins (small values = fragile comparisons):")
    for m in margins:
        print(m)
    print("\nAggregate ambiguity counters:")
    for name, notes in notes_all:
        print(f"  {name}: {notes}")
    big = [k for k, v in total.items() if v > 400_000]
    if big:
        print("WARNING: fixtures over 400 KB:", big, file=sys.stderr)


if __name__ == "__main__":
    main()
