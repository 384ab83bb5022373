/** Error codes carried by every error this module raises, so callers branch on `code`, never on message text. */
export type SmppErrorCode =
  | 'SMPP_TIMEOUT' // no response within the response timeout
  | 'SMPP_DISCONNECTED' // the link closed while the request was outstanding
  | 'SMPP_NOT_BOUND' // tried to send on a session that is not bound
  | 'SMPP_WINDOW_FULL' // the window of outstanding requests is full
  | 'SMPP_BIND_FAILED' // the SMSC refused the bind (bad credentials, ...)
  | 'SMPP_PARSE' // the peer sent bytes that are not a valid PDU
  | 'SMPP_COMMAND_STATUS' // the peer answered with a non-zero command_status
  | 'SMPP_DEAD_LINK' // no traffic (or no enquire_link_resp) for too long
  | 'SMPP_CLOSED' // the component was closed
  | 'SMPP_CONFIG'; // invalid options or URL

export class SmppError extends Error {
  readonly code: SmppErrorCode;
  /** SMPP command_status when code is SMPP_COMMAND_STATUS. */
  readonly commandStatus?: number;
  constructor(code: SmppErrorCode, message: string, commandStatus?: number) {
    super(message);
    this.name = 'SmppError';
    this.code = code;
    if (commandStatus !== undefined) this.commandStatus = commandStatus;
  }
}
