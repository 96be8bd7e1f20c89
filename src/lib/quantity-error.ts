/**
 * The error a resource.Quantity operation throws. Parse failures carry Kubernetes' own message
 * text, so a user sees the same words kubectl and the apiserver print for the same mistake.
 */
import { ErrorCode, KubemeterError } from './errors.ts';

/** Which check rejected the input: the three ParseQuantity errors, or an exact result too large to build. */
export type QuantityErrorKind = 'format' | 'numeric' | 'suffix' | 'range';

/** The regular expression Kubernetes quotes in its format error (the scanner is stricter). */
export const QUANTITY_REGEXP = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** Kubernetes' message for each parse error kind (ErrFormatWrong, ErrNumeric, ErrSuffix). */
export const QUANTITY_ERROR_MESSAGES = {
  format: `quantities must match the regular expression '${QUANTITY_REGEXP}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
  range: 'quantity is too large to compute exactly',
} as const satisfies Record<QuantityErrorKind, string>;

/** A quantity that does not parse, or an exact result beyond the supported size. */
export class QuantityError extends KubemeterError {
  /** Which check failed. */
  readonly kind: QuantityErrorKind;
  /** The offending input (the text given to parse, or the quantity an operation ran on). */
  readonly input: string;

  constructor(kind: QuantityErrorKind, input: string, message: string = QUANTITY_ERROR_MESSAGES[kind]) {
    super(ErrorCode.InvalidQuantity, message);
    this.name = 'QuantityError';
    this.kind = kind;
    this.input = input;
  }
}
