/**
 * callguard's ESME: scam-call alerts to the operator's SMSC over SMPP 3.4, with a persistent outbox.
 * The engine calls createAlertService(); the CLI's smsc-sim calls startSmscSimulator().
 */
export {
  createAlertService,
  AlertService,
  relativeValidity,
  type AlertServiceOptions,
  type AlertInput,
  type EnqueueResult,
  type AlertServiceEvent,
  type AlertServiceStatus,
} from './alert-service.js';
export { parseSmscUrls, type SmscEndpoint } from './smsc-url.js';
export { normalizeMsisdn } from './address.js';
export {
  renderAlertText,
  renderConfirmation,
  DEFAULT_TEMPLATES,
  type AlertTemplate,
  type TemplateOptions,
  type AlertContent,
} from './templates.js';
export {
  startSmscSimulator,
  type SmscSimulator,
  type SmscSimulatorOptions,
  type ReceivedSubmit,
  type ReceiptOptions,
} from './smsc-simulator.js';
export { SmppError, type SmppErrorCode } from './errors.js';
export type { Logger } from './logger.js';
export type { AlertRecord, AlertState, PartState } from './outbox.js';
export { Outbox } from './outbox.js';
export { OutboxLedger } from './outbox-ledger.js';
export type {
  ConsentLedger,
  AdmitLimits,
  AdmitResult,
  AlertAdmission,
  ConsentChange,
  MoRecord,
} from './consent-ledger.js';
export type { ReceiptState } from './receipt.js';
