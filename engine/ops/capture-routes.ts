import { HttpError, RawResponse, type HttpApi } from '../http/http-api.js';
import type { DebugCapture } from '../calls/debug-capture.js';
import type { SiprecBridge } from '../calls/siprec-bridge.js';

/**
 * Debug audio capture, all behind the admin token (it writes a subscriber's voice to disk):
 * POST /calls/:callId/capture starts writing a running call's legs as WAV, DELETE stops it, GET /captures lists files.
 */
export function registerCaptureRoutes(http: HttpApi, bridge: SiprecBridge, capture: () => DebugCapture | null): void {
  http.post(
    '/calls/:callId/capture',
    (_req, _url, ctx) => {
      let files: string[] | null;
      try {
        files = bridge.startCapture(ctx.params.callId);
      } catch (err) {
        throw new HttpError(507, 'CG_CAPTURE_FULL', (err as Error).message);
      }
      if (!files) throw new HttpError(404, 'NO_SUCH_CALL', 'no analysed call with this id is running');
      return new RawResponse(201, { callId: ctx.params.callId, files: files.map((f) => f.split('/').pop()) });
    },
    { auth: true },
  );
  http.delete(
    '/calls/:callId/capture',
    (_req, _url, ctx) => {
      if (!bridge.stopCapture(ctx.params.callId))
        throw new HttpError(404, 'NOT_CAPTURING', 'this call is not running or not being captured');
      return { callId: ctx.params.callId, capturing: false };
    },
    { auth: true },
  );
  http.get(
    '/captures',
    () => {
      const c = capture();
      if (!c) throw new HttpError(503, 'NOT_READY', 'debug capture not started');
      return { dir: c.dir, totalBytes: c.totalBytes(), limits: c.limits, files: c.files() };
    },
    { auth: true },
  );
}
