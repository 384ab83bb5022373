/** Error codes carried by every error this module raises, so callers branch on `code`, never on message text. */
import { CallguardError, type CallguardErrorCode } from '../common/errors.js';

/** The CG_SMPP_* codes of the catalogue (common/errors.ts says what each means and what to do). */
export type SmppErrorCode = Extract<CallguardErrorCode, `CG_SMPP_${string}`>;

export class SmppError extends CallguardError<SmppErrorCode> {
  override name = 'SmppError';
  /** The SMSC's command_status when the error is its answer (a refused bind, say). */
  readonly commandStatus?: number;
  constructor(code: SmppErrorCode, message: string, commandStatus?: number) {
    super(code, message);
    if (commandStatus !== undefined) this.commandStatus = commandStatus;
  }
}
