/**
 * dbus-next's Variant class, taken from its own small module: values decoded by blekit's
 * codec keep the exact class callers (and tests) already compare with, and a process that only
 * uses blekit's client does not load dbus-next's bus, introspection and XML code.
 */
import { createRequire } from 'node:module';

export interface VariantLike<T = unknown> {
  signature: string;
  value: T;
}

type VariantClass = new <T = unknown>(signature: string, value: T) => VariantLike<T>;

export const Variant = (
  createRequire(import.meta.url)('dbus-next/lib/variant.js') as { Variant: VariantClass }
).Variant;
