/**
 * A D-Bus variant: a value with its own signature. Decoded 'v' values are Variants; anything
 * shaped `{ signature, value }` may be written as one.
 */
export interface VariantLike<T = unknown> {
  signature: string;
  value: T;
}

export class Variant<T = unknown> implements VariantLike<T> {
  constructor(
    readonly signature: string,
    readonly value: T,
  ) {}
}
